"""Stage 6: render a finished scan. Renderers read the result types of `model` only,
never the engine, so a report can be drawn from any `ScanResult`.

* `table` — the ranked groups for a person (Rich); `formats` — JSON, JSONL, CSV, Parquet;
* `documents` — the JSON objects those are built from; `selection` — which groups to show;
* `drilldown` — the `explain`, `templates` and `accounts` views; `html` — the HTML report;
* `export` — the evidence files of `scan --export`;
* `safe` and `cells` — what every renderer shares: inert log text, and cell text.
"""
