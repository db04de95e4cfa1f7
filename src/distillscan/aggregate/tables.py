"""What the aggregate tables are keyed by and how their partial rows merge.

Every table is a group-by with sums, minimums and maximums, so partial tables from
separate batches, files, days or machines merge exactly.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.schema import TIMESTAMP_DTYPE

BUCKET_SECONDS: Final = 600
BUCKETS_PER_DAY: Final = 86_400 // BUCKET_SECONDS
# A frame seen fewer times than this in the whole log is a one-off prompt: completed
# aggregates fold it into its account's one-off row instead of keeping a row per frame.
REPEATED_FRAME_MIN_REQUESTS: Final = 2
# Infrastructure values kept per account: kind name -> canonical column (subnets are
# derived from the IP rows).
VALUE_COLUMNS: Final[dict[str, str]] = {
    "ip": "ip",
    "subnet": "ip",
    "user_agent": "user_agent",
    "payment": "payment_fingerprint",
    "org": "org_id",
}
MERGE_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "accounts": ("account_id",),
    "account_frames": ("account_id", "frame_fp", "system_fp"),
    "account_topics": ("account_id", "topic"),
    "frames": ("frame_fp", "skeleton"),
    "systems": ("system_fp", "system_text"),
    "account_buckets": ("account_id", "bucket", "model"),
    "account_values": ("account_id", "kind", "value"),
    "account_params": ("account_id", "temperature", "max_tokens"),
    "account_items": ("account_id", "topic", "item"),
    "account_closers": ("account_id", "closer_fp"),
}
PARTIAL_SCHEMAS: Final[dict[str, dict[str, pl.DataType]]] = {
    "accounts": {
        "account_id": pl.String(), "n": pl.UInt32(), "n_multi_turn": pl.UInt32(), "n_depth_known": pl.UInt32(),
        "n_cot": pl.UInt32(), "n_with_images": pl.UInt32(), "n_with_tool_results": pl.UInt32(),
        "input_tokens": pl.Int64(), "output_tokens": pl.Int64(), "first_ts": TIMESTAMP_DTYPE,
        "last_ts": TIMESTAMP_DTYPE, "created_at": TIMESTAMP_DTYPE,
    },
    "account_frames": {
        "account_id": pl.String(), "frame_fp": pl.UInt64(), "system_fp": pl.UInt64(), "n": pl.UInt32(),
        "n_slotted": pl.UInt32(), "n_cot": pl.UInt32(), "n_follow_up": pl.UInt32(), "first_ts": TIMESTAMP_DTYPE,
        "last_ts": TIMESTAMP_DTYPE,
    },
    "account_topics": {"account_id": pl.String(), "topic": pl.String(), "n": pl.UInt32()},
    "frames": {"frame_fp": pl.UInt64(), "skeleton": pl.String(), "n": pl.UInt32()},
    "systems": {"system_fp": pl.UInt64(), "system_text": pl.String(), "n": pl.UInt32()},
    "account_buckets": {"account_id": pl.String(), "bucket": pl.Int64(), "model": pl.String(), "n": pl.UInt32()},
    "account_values": {"account_id": pl.String(), "kind": pl.String(), "value": pl.String(), "n": pl.UInt32()},
    "account_params": {
        "account_id": pl.String(), "temperature": pl.Float64(), "max_tokens": pl.Int64(), "n": pl.UInt32(),
    },
    "account_items": {
        "account_id": pl.String(), "topic": pl.String(), "item": pl.UInt64(), "n": pl.UInt32(),
        "first_ts": TIMESTAMP_DTYPE,
    },
    "account_closers": {"account_id": pl.String(), "closer_fp": pl.UInt64(), "n": pl.UInt32()},
}
"""Each partial table's columns: its keys (`tables.MERGE_KEYS`), then its measures."""
ITEMS_PER_ACCOUNT: Final = 1024
"""Item anchors kept per account: its smallest. The smallest of a union are among the
smallest of each part, so partial tables cut to them merge exactly; the table is bounded
by accounts. On the 1M-request real-text log 13,281 accounts hold 941k distinct anchors,
862k kept; the 200 low-and-slow accounts hold at most 949 each, and only the largest
senders (pipelines, resellers, harnesses, tutoring apps: 1,000 to 10,000 each) are cut."""


def smallest_items(table: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of each account's ITEMS_PER_ACCOUNT smallest items (`account_items`)."""
    # Rank "min": rows of one anchor under two topics stay or go together, whatever order
    # the rows come in (a row goes when ITEMS_PER_ACCOUNT rows are strictly smaller).
    return table.filter(pl.col("item").rank("min").over("account_id") <= ITEMS_PER_ACCOUNT)
_MIN_COLUMNS: Final = frozenset({"first_ts", "created_at"})
_MAX_COLUMNS: Final = frozenset({"last_ts"})


def merge_measures(columns: list[str], keys: tuple[str, ...]) -> list[pl.Expr]:
    """How each measure column merges: minimum, maximum or sum."""
    return [
        pl.col(name).min() if name in _MIN_COLUMNS
        else pl.col(name).max() if name in _MAX_COLUMNS
        else pl.col(name).sum()
        for name in columns
        if name not in keys
    ]
