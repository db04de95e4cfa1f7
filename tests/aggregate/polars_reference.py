"""The Polars group-bys the core's batch reduction replaced (`aggregate.partial`), kept
as its reference in tests only: the same batch must give the same partial tables."""

from __future__ import annotations

import polars as pl

from distillscan.aggregate.partial import depth_expressions
from distillscan.aggregate.tables import BUCKET_SECONDS, VALUE_COLUMNS


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
            annotated.filter(multi_turn == 0).select("account_id", "topic", "timestamp", item=pl.col(column))
            for column in ("item", "item_2")
        ])
        .drop_nulls("item")
        .group_by("account_id", "topic", "item")
        .agg(n=pl.len(), first_ts=pl.col("timestamp").min()),
        "account_closers": annotated.drop_nulls("closer_fp").group_by("account_id", "closer_fp").agg(n=pl.len()),
    }
