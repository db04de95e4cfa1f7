"""Reduce each batch of canonical requests to partial aggregate tables.

The raw rows are touched once: each batch of a shard is annotated once and reduced
to partial tables keyed by account; `combine_aggregates` sums partial tables into the
partial tables of their union, and `complete.complete_aggregates` finishes them once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import polars as pl

from distillscan import _core
from distillscan.aggregate.tables import (
    BUCKET_SECONDS,
    MERGE_KEYS,
    PARTIAL_SCHEMAS,
    VALUE_COLUMNS,
    merge_measures,
    smallest_items,
)
from distillscan.fingerprint.annotate import annotate_requests
from distillscan.model.aggregates import TABLES, Aggregates
from distillscan.read.shards import read_batches
from distillscan.stages import stage

# Rows annotated and aggregated at a time; partial aggregates are merged every few batches.
BATCH_ROWS: Final = 200_000
MERGE_EVERY: Final = 8
# An API bills a later turn for the whole conversation so far, so a request billed for
# more input tokens than its logged text has bytes, plus this allowance for the chat
# format's own tokens, carries earlier turns that the gateway did not log: every BPE
# token spells at least one byte. Only read where no depth is logged.
HIDDEN_CONTEXT_TOKENS: Final = 32
# ... and only for user text of at most this many bytes: asking on is short (99.9% of
# the human follow-ups in the hh-rlhf corpus), while a long prompt billed beyond its
# logged bytes is as likely one that a gateway truncated before logging it.
FOLLOW_UP_MAX_BYTES: Final = 512


def depth_expressions() -> tuple[pl.Expr, pl.Expr]:
    """(multi_turn, depth_known) per request. Depth is the logged one (a message list's
    user turns, else the turn number); where neither is logged, a request whose billed
    input outgrows its logged text (see HIDDEN_CONTEXT_TOKENS) is a later turn, unless it
    carries images, which are billed but not logged as text, or its user text is longer
    than FOLLOW_UP_MAX_BYTES. Known where either is."""
    logged = pl.col("n_turns").fill_null(pl.col("turn"))
    prompt_bytes = pl.col("prompt").str.len_bytes().fill_null(0)
    visible_bytes = prompt_bytes + pl.col("system").str.len_bytes().fill_null(0)
    hidden_context = (
        (pl.col("input_tokens") > visible_bytes.cast(pl.Int64) + HIDDEN_CONTEXT_TOKENS)
        & (pl.col("n_images").fill_null(0) == 0)
        & (prompt_bytes <= FOLLOW_UP_MAX_BYTES)
    )
    multi_turn = pl.when(logged.is_not_null()).then(logged > 1).otherwise(hidden_context).fill_null(False)
    return multi_turn.cast(pl.UInt32), (logged.is_not_null() | pl.col("input_tokens").is_not_null())


# The core's text inputs (the first of `_core.REDUCE_INPUTS`): cast to String before the
# call (see `reduction_inputs`), and read in as many chunks as they come.
_TEXT_INPUTS: Final = tuple(_core.REDUCE_TEXT_INPUTS)
# The core's value tables (`values:<kind>`) and the canonical column each reads.
_VALUE_KINDS: Final = {kind: column for kind, column in VALUE_COLUMNS.items() if kind != "subnet"}


def reduction_inputs(annotated: pl.DataFrame) -> pl.DataFrame:
    """The columns the core reduces a batch of annotated requests from (`_core.REDUCE_INPUTS`):
    the key columns as they are, timestamps as microseconds, and the per-request flags the
    tables count, null read as false.

    A later turn with no tool result in it is a follow-up: someone (a person, an app)
    asking on, not an agent loop feeding back tool output. A slotted request is a first
    turn whose prompt runs past its frame (`has_slot`)."""
    multi_turn, depth_known = depth_expressions()
    ts = pl.col("timestamp")
    derived = {
        "timestamp": ts.dt.epoch("us"),
        "account_created_at": pl.col("account_created_at").dt.epoch("us"),
        "bucket": ts.dt.epoch("s") // BUCKET_SECONDS,
        "multi_turn": multi_turn == 1,
        "depth_known": depth_known.fill_null(False),
        "follow_up": (multi_turn == 1) & (pl.col("n_tool_results").fill_null(0) == 0),
        "slotted": pl.col("has_slot").fill_null(False) & (multi_turn == 0),
        "is_cot": pl.col("is_cot").fill_null(False),
        "has_images": pl.col("n_images").fill_null(0) > 0,
        "has_tool_results": pl.col("n_tool_results").fill_null(0) > 0,
    }
    # A column of nothing but nulls has Polars' Null type, which exports no buffers the
    # core can read as text: those go as (null) strings.
    text = {name: pl.col(name).cast(pl.String) for name in _TEXT_INPUTS}
    exprs = {**text, **derived}
    inputs = annotated.select([exprs.get(name, pl.col(name)).alias(name) for name in _core.REDUCE_INPUTS])
    # The core reads a column of numbers or flags in place when it is one chunk (else it
    # copies it); text is read in as many chunks as it comes, and not copied here.
    return inputs.with_columns(
        inputs.get_column(name).rechunk() for name in _core.REDUCE_INPUTS if name not in _TEXT_INPUTS
    )


def batch_aggregates(annotated: pl.DataFrame) -> Aggregates:
    """Every aggregate table of one batch of annotated requests (partial: no subnet rows,
    items not cut to each account's smallest; `complete_aggregates` completes them).

    The core reduces the batch in hash maps, all tables side by side
    (`_core.reduce_batch`), and gives each group's first row; the key columns are
    gathered from the batch at those rows. Nine Polars group-bys over the batch took
    about twice the CPU (see `benchmarks/results.md`); their queries are kept as the
    reference in `tests/aggregate/polars_reference.py`."""
    inputs = reduction_inputs(annotated)
    reduced = {
        name: pl.DataFrame(columns)
        for name, columns in _core.reduce_batch([inputs.get_column(name) for name in _core.REDUCE_INPUTS])
    }
    tables: dict[str, pl.DataFrame] = {}
    for name, schema in PARTIAL_SCHEMAS.items():
        if name == "account_values":
            continue
        part = reduced[name]
        if name == "frames":
            # In frame order, as the core gives the tables keyed by account in account
            # order: a range of keys then reads a slice of each batch (`RANGE_KEYS`).
            part = part.sort(inputs.get_column("frame_fp").gather(part.get_column("row")), maintain_order=True)
        keys = [key for key in MERGE_KEYS[name] if key not in part.columns]
        gathered = inputs.select(pl.col(keys).gather(part.get_column("row")))
        tables[name] = pl.concat([gathered, part.drop("row")], how="horizontal").select(
            pl.col(column).cast(dtype) for column, dtype in schema.items()
        )
    tables["account_values"] = pl.concat([
        _value_rows(inputs, kind, column, reduced[f"values:{kind}"]) for kind, column in _VALUE_KINDS.items()
    ])
    return Aggregates.of(tables)


def _value_rows(inputs: pl.DataFrame, kind: str, column: str, reduced: pl.DataFrame) -> pl.DataFrame:
    """The account_values rows of one kind: the core's (row, n) with the account and the
    value gathered from `column` at each row."""
    rows = reduced.get_column("row")
    return inputs.select(
        pl.col("account_id").gather(rows), kind=pl.lit(kind, pl.String), value=pl.col(column).gather(rows)
    ).with_columns(n=reduced.get_column("n"))


def batch_parts(
    requests: pl.LazyFrame, batch_rows: int = BATCH_ROWS, read_rows: int | None = None
) -> Iterator[Aggregates]:
    """The partial aggregates of each batch of a shard, each batch annotated once
    (`read_rows`: see `read_batches`)."""
    for batch in read_batches(requests, batch_rows, read_rows):
        with stage("annotate"):
            annotated = annotate_requests(batch.lazy()).collect()
        with stage("batch aggregates"):
            part = batch_aggregates(annotated)
        yield part


def empty_part(requests: pl.LazyFrame) -> Aggregates:
    """Partial aggregates with no rows, shaped like those of `requests`."""
    return batch_aggregates(annotate_requests(requests.clear()).collect())


def combine_aggregates(parts: list[Aggregates]) -> Aggregates:
    """Sum partial aggregates into the partial aggregates of their union (exact, without
    derived subnet rows or folded one-off frames): the cheap step repeated while
    streaming, and what shards computed apart (files, days, machines) are merged with.
    Keys keep the order they first appear in, so the union of parts in key order is a
    run of key-ordered slices, as the spill wants (see `ranges.RANGE_KEYS`): a Ray task
    returns its piece's parts so combined (kept in order: 1.35 s against 1.66 s
    unordered for 8 batches' tables)."""
    if len(parts) == 1:
        return parts[0]
    combined: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        keys = MERGE_KEYS[name]
        stacked = pl.concat([getattr(part, name) for part in parts], how="vertical_relaxed")
        combined[name] = stacked.group_by(keys, maintain_order=True).agg(merge_measures(stacked.columns, keys))
        if name == "account_items":
            combined[name] = smallest_items(combined[name].lazy()).collect()
    return Aggregates.of(combined)
