"""The scan report as files: JSON, JSONL, CSV and Parquet, and writing them out.

JSON and Parquet keep the data exact; CSV is read by spreadsheets, so its text cells
are defused (see `render_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from distillscan.model.scan import ScanResult
from distillscan.report.documents import (
    SCHEMA_VERSION,
    group_documents,
    json_text,
    summary_document,
    suppressed_documents,
)
from distillscan.report.safe import spreadsheet_safe


def render_json(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """The full report as one JSON document, with a trailing newline; `suppressed`
    (allowlisted groups to list) adds `suppressed_groups`."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, shown),
        "groups": group_documents(result, shown),
    }
    if suppressed is not None:
        document["suppressed_groups"] = suppressed_documents(result, suppressed)
    return json_text(document, indent=2) + "\n"


def render_jsonl(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """One group object per line (each with schema_version), trailing newline; listed
    suppressed groups follow, marked `"suppressed": true`."""
    groups = group_documents(result, shown)
    if suppressed is not None:
        groups += suppressed_documents(result, suppressed)
    lines = [json_text({"schema_version": SCHEMA_VERSION, **group}) for group in groups]
    return "".join(line + "\n" for line in lines)


CSV_COLUMNS: Final[tuple[str, ...]] = (
    "rank", "group_id", "severity", "score", "n_accounts", "n_requests", "first_seen",
    "last_seen", "top_template", "top_skeleton", "reasons", "accounts",
)


BASELINE_CSV_COLUMNS: Final[tuple[str, ...]] = ("baseline_status", "baseline_group_id")
SUPPRESSED_CSV_COLUMNS: Final[tuple[str, ...]] = ("suppressed", "allowed_by")


def _flat_rows(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    groups = group_documents(result, shown)
    if suppressed is not None:
        groups += suppressed_documents(result, suppressed)
    rows = []
    for group in groups:
        top = group["templates"][0] if group["templates"] else {}
        rows.append(
            {
                "rank": group["rank"],
                "group_id": group["group_id"],
                "severity": group["severity"],
                "score": group["score"],
                "n_accounts": group["n_accounts"],
                "n_requests": group["n_requests"],
                "first_seen": group["first_seen"],
                "last_seen": group["last_seen"],
                "top_template": top.get("template"),
                "top_skeleton": top.get("skeleton"),
                "reasons": " | ".join(group["reasons"]),
                "accounts": ";".join(group["accounts"]),
            }
        )
        if result.baseline is not None:
            status = group.get("baseline", {})
            rows[-1].update(baseline_status=status.get("status"), baseline_group_id=status.get("matched_group_id"))
        if suppressed is not None:
            rows[-1].update(suppressed=str(group.get("suppressed", False)).lower(),
                            allowed_by=";".join(group.get("allowed_by", [])))
    return rows


def render_csv(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """One row per group; lists joined with ';' (accounts) and ' | ' (reasons). A
    baseline adds its status columns; listed suppressed groups follow, marked.

    CSV is read by spreadsheets, which run cells that look like formulas: every text
    cell passes through `spreadsheet_safe` and is quoted (so a carriage return inside
    one cannot end the row); numbers are written as they are.
    """
    columns = list(CSV_COLUMNS)
    if result.baseline is not None:
        columns += BASELINE_CSV_COLUMNS
    if suppressed is not None:
        columns += SUPPRESSED_CSV_COLUMNS
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writeheader()
    writer.writerows(
        {key: spreadsheet_safe(value) if isinstance(value, str) else value for key, value in row.items()}
        for row in _flat_rows(result, shown, suppressed)
    )
    return buffer.getvalue()


def write_parquet(result: ScanResult, shown: pl.DataFrame, path: Path) -> None:
    """Groups as a Parquet table, lists kept as list columns."""
    documents = group_documents(result, shown)
    baseline_status = pl.Series("baseline_status", [group.get("baseline", {}).get("status") for group in documents],
                                dtype=pl.String)
    frame = pl.DataFrame(
        [
            {
                **{key: group[key] for key in ("rank", "group_id", "severity", "score",
                                               "n_accounts", "n_requests", "first_seen",
                                               "last_seen", "accounts", "reasons")},
                "templates": [template["template"] for template in group["templates"]],
            }
            for group in documents
        ],
        schema={
            "rank": pl.UInt32, "group_id": pl.String, "severity": pl.String,
            "score": pl.Float64, "n_accounts": pl.UInt32, "n_requests": pl.UInt32,
            "first_seen": pl.String, "last_seen": pl.String, "accounts": pl.List(pl.String),
            "reasons": pl.List(pl.String), "templates": pl.List(pl.String),
        },
    )
    if result.baseline is not None:
        frame = frame.with_columns(baseline_status)
    frame.write_parquet(path)


def csv_text(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV, values as they are, quoted only where CSV needs it (the drill-down
    lists; the scan report's cells go through `spreadsheet_safe`, see `render_csv`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_text(text: str, output: Path | None, stdout: Any) -> None:
    """Write a machine-readable document to a file, or to stdout."""
    if output is None:
        stdout.write(text)
        stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")
