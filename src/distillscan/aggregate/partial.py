"""Reduce each batch of canonical requests to partial aggregate tables.

The raw rows are touched once: each batch of a shard is annotated once and reduced
to partial tables keyed by account; `combine_aggregates` sums partial tables into the
partial tables of their union, and `complete.complete_aggregates` finishes them once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import polars as pl

from distillscan.aggregate.tables import BUCKET_SECONDS, MERGE_KEYS, VALUE_COLUMNS, merge_measures, smallest_items
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


def shard_queries(annotated: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """The aggregate queries over one shard of annotated requests, one per Aggregates field."""
    ts = pl.col("timestamp")
    multi_turn, depth_known = depth_expressions()
    # A later turn with no tool result in it: someone (a person, an app) asking on, not
    # an agent loop feeding back tool output.
    follow_up = (multi_turn == 1) & (pl.col("n_tool_results").fill_null(0) == 0)
    values = [
        annotated.select("account_id", kind=pl.lit(kind), value=pl.col(column))
        for kind, column in VALUE_COLUMNS.items()
        if kind != "subnet"
    ]
    return {
        "accounts": annotated.group_by("account_id").agg(
            n=pl.len(),
            n_multi_turn=multi_turn.sum(),
            # Rows whose conversation depth is logged or can be read off the billed input:
            # without any, depth is unknown.
            n_depth_known=depth_known.cast(pl.UInt32).sum(),
            n_cot=pl.col("is_cot").cast(pl.UInt32).sum(),
            n_with_images=(pl.col("n_images").fill_null(0) > 0).cast(pl.UInt32).sum(),
            n_with_tool_results=(pl.col("n_tool_results").fill_null(0) > 0).cast(pl.UInt32).sum(),
            input_tokens=pl.col("input_tokens").sum(),
            output_tokens=pl.col("output_tokens").sum(),
            first_ts=ts.min(),
            last_ts=ts.max(),
            created_at=pl.col("account_created_at").min(),
        ),
        "account_frames": annotated.group_by("account_id", "frame_fp", "system_fp").agg(
            n=pl.len(),
            n_slotted=(pl.col("has_slot") & (multi_turn == 0)).cast(pl.UInt32).sum(),
            n_cot=pl.col("is_cot").cast(pl.UInt32).sum(),
            n_follow_up=follow_up.cast(pl.UInt32).sum(),
            first_ts=ts.min(),
            last_ts=ts.max(),
        ),
        "account_topics": annotated.group_by("account_id", "topic").agg(n=pl.len()),
        "frames": annotated.group_by("frame_fp", "skeleton").agg(n=pl.len()),
        "systems": annotated.drop_nulls("system_fp")
        .group_by("system_fp", "system_text")
        .agg(n=pl.len()),
        "account_buckets": annotated.group_by(
            "account_id",
            bucket=ts.dt.epoch("s") // BUCKET_SECONDS,
            model=pl.col("model"),
        ).agg(n=pl.len()),
        "account_values": pl.concat(values)
        .drop_nulls("value")
        .group_by("account_id", "kind", "value")
        .agg(n=pl.len()),
        "account_params": annotated.group_by("account_id", "temperature", "max_tokens").agg(
            n=pl.len()
        ),
        # First turns only: a later turn's text is the conversation's, not a task item.
        # Not cut to each account's smallest here: every merge of partial tables and
        # their completion cut them (`smallest_items`), and a batch holds at most two rows
        # a request. The cut's window rank was 60% of this query's time (37 ms a batch
        # of 200k real-text requests, 8% more rows kept).
        "account_items": pl.concat([
            annotated.filter(multi_turn == 0).select("account_id", "topic", item=pl.col(column))
            for column in ("item", "item_2")
        ])
        .drop_nulls("item")
        .group_by("account_id", "topic", "item")
        .agg(n=pl.len()),
    }


def batch_aggregates(annotated: pl.DataFrame) -> Aggregates:
    """Every aggregate table of one batch of annotated requests (partial: no subnet rows,
    unsorted, items not cut to each account's smallest; `complete_aggregates` completes
    them). The batch is annotated once, in memory, before the queries read it."""
    queries = shard_queries(annotated.lazy())
    return Aggregates.of(dict(zip(queries, pl.collect_all(list(queries.values())), strict=True)))


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
    """Sum partial aggregates into the partial aggregates of their union (exact, unsorted,
    without derived subnet rows or folded one-off frames): the cheap step repeated while
    streaming, and what shards computed apart (files, days, machines) are merged with."""
    if len(parts) == 1:
        return parts[0]
    combined: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        keys = MERGE_KEYS[name]
        stacked = pl.concat([getattr(part, name) for part in parts], how="vertical_relaxed")
        combined[name] = stacked.group_by(keys).agg(merge_measures(stacked.columns, keys))
        if name == "account_items":
            combined[name] = smallest_items(combined[name].lazy()).collect()
    return Aggregates.of(combined)
