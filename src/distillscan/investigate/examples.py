"""Example requests for a group's templates: the one view that reads the logs a second
time, streamed and filtered to the group's accounts, stopping once it has enough."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.fingerprint.annotate import annotate_requests
from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.model.templates import with_template_fp
from distillscan.model.views import GroupView
from distillscan.read import discover_sources
from distillscan.read.choice import choose_presets, read_shards

# Characters of a prompt or system prompt kept in an example request.
EXAMPLE_CHARS: Final = 240
# Rows of a group's traffic annotated at a time while looking for examples.
EXAMPLE_BATCH_ROWS: Final = 50_000


def example_requests(
    paths: Sequence[str],
    options: ScanOptions,
    result: ScanResult,
    view: GroupView,
    templates: int = 5,
    per_template: int = 2,
    max_chars: int = EXAMPLE_CHARS,
) -> pl.DataFrame:
    """Up to `per_template` raw requests for each of the group's top `templates` templates.

    A second, streamed pass over the logs, read with the preset the scan used and
    filtered on the group's accounts before anything is annotated; it stops as soon as
    every template has its examples. Examples come in log order, text cut to `max_chars`.
    """
    schema = pl.Schema({
        "template_fp": pl.UInt64(), "template": pl.String(), "account_id": pl.String(),
        "timestamp": pl.Datetime("us", "UTC"), "model": pl.String(), "system": pl.String(),
        "prompt": pl.String(), "prompt_chars": pl.UInt32(),
    })
    wanted = view.templates.head(templates).select("template_fp", "template")
    if per_template < 1 or wanted.height == 0:
        return pl.DataFrame(schema=schema)
    if "-" in paths:
        raise UsageError("examples need a second read of the logs, and standard input cannot be read twice")
    sources = discover_sources(paths, options.input_format)
    choice = choose_presets(sources, options)
    members = view.accounts["account_id"].implode()
    need = dict.fromkeys(wanted["template_fp"].to_list(), per_template)
    found: list[pl.DataFrame] = []
    shards = read_shards(choice, options)
    for shard in shards:
        rows = shard.frame.filter(pl.col("account_id").is_in(members))
        for batch in rows.collect_batches(chunk_size=EXAMPLE_BATCH_ROWS, maintain_order=True):
            still = pl.DataFrame(
                {"template_fp": list(need), "need": list(need.values())},
                schema={"template_fp": pl.UInt64, "need": pl.Int64},
            )
            picked = (
                with_template_fp(annotate_requests(batch.lazy()), result.templates, keep_order=True)
                .join(still.lazy(), on="template_fp", maintain_order="left")
                .filter(pl.int_range(pl.len()).over("template_fp") < pl.col("need"))
                .select(
                    "template_fp", "account_id", "timestamp", "model",
                    system=pl.col("system").str.slice(0, max_chars),
                    prompt=pl.col("prompt").str.slice(0, max_chars),
                    prompt_chars=pl.col("prompt").str.len_chars().cast(pl.UInt32),
                )
                .collect()
            )
            found.append(picked)
            for template_fp, n in picked.group_by("template_fp").len().iter_rows():
                need[template_fp] -= n
                if need[template_fp] <= 0:
                    del need[template_fp]
            if not need:
                break
        if not need:
            break
    if not found:
        return pl.DataFrame(schema=schema)
    order = wanted.with_row_index("_order")
    return (
        pl.concat(found)
        .with_row_index("_seen")
        .join(order, on="template_fp")
        .sort("_order", "_seen")
        .select(schema.names())
        .cast(schema)
    )
