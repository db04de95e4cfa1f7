"""The per-account aggregate tables every stage after reading works on."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

Table = pl.DataFrame | pl.LazyFrame
"""A table held in memory, or read from Parquet files each time it is queried."""


@dataclass(frozen=True)
class Aggregates:
    """Per-account tables that summarise the whole log; each merges exactly across shards.

    The tables that grow with traffic or with the accounts' addresses (`account_frames`,
    `account_buckets`, `account_items`, `account_closers`, `account_values`) and the repeated frames'
    text (`frames`) may be lazy scans of completed Parquet files (see
    `complete_aggregates`): read them with `.lazy()` and collect what is needed, never
    the whole table.
    """

    accounts: pl.DataFrame
    """account_id → n, n_multi_turn, n_depth_known, n_cot, n_with_images, n_with_tool_results,
    input_tokens, output_tokens, first_ts, last_ts, created_at."""
    account_frames: Table
    """(account_id, frame_fp, system_fp) → n, n_slotted (first-turn requests whose prompt
    runs past the frame), n_cot, n_follow_up (later turns without a tool result),
    first_ts, last_ts, n_frames. Complete tables fold the frames seen once in the whole
    log (one-off prompts, most of a log's distinct frames) into one row per (account,
    system prompt) with a null frame_fp; n_frames says how many distinct frames a row
    stands for (1 for any other row)."""
    account_topics: pl.DataFrame
    """(account_id, topic) → n."""
    frames: Table
    """frame_fp → skeleton, n (requests); complete tables keep the frames seen at least
    REPEATED_FRAME_MIN_REQUESTS times (partial ones keep every frame)."""
    systems: pl.DataFrame
    """system_fp → system_text (normalised head of the system prompt), n."""
    account_buckets: Table
    """(account_id, bucket, model) → n, where bucket is the 10-minute slot since the epoch."""
    account_values: Table
    """(account_id, kind, value) → n for ip, subnet (/24, or /48 for IPv6), user agent,
    payment, org."""
    account_params: pl.DataFrame
    """(account_id, temperature, max_tokens) → n."""
    account_items: Table
    """(account_id, topic, item) → n, first_ts: the item anchors (`item`, `item_2`: the task inside
    a request's wrappers as numbers, see the core's items.rs) of each account's
    first-turn requests by the request's topic, its ITEMS_PER_ACCOUNT smallest only, so
    the table holds at most that many rows an account (a batch's partial table is cut
    only when merged). Unlike the other tables, its
    rows come in no particular order: read it only where order cannot matter. `first_ts`
    orders an account's items as it first sent them (`link.walks`)."""
    account_closers: Table
    """(account_id, closer_fp) → n: the closing sentences of each account's prompts (the
    wrapper's last sentence after the task, see the core's closers.rs)."""
    folder: tempfile.TemporaryDirectory[str] | None = field(default=None, compare=False, repr=False)
    """The folder the lazy tables read from, if any: held here so that it is removed
    only once no Aggregates reads from it."""

    def close(self) -> None:
        """Remove the folder the lazy tables read from (they cannot be read after)."""
        if self.folder is not None:
            self.folder.cleanup()

    def with_tables(self, **tables: Table) -> Aggregates:
        """These aggregates with some tables replaced, keeping the folder they read from."""
        return Aggregates.of({name: tables.get(name, getattr(self, name)) for name in TABLES}, folder=self.folder)

    @classmethod
    def of(cls, tables: Mapping[str, Table], folder: tempfile.TemporaryDirectory[str] | None = None) -> Aggregates:
        """Aggregates from every table by name (see TABLES)."""
        fields: dict[str, Any] = {name: tables[name] for name in TABLES}
        return cls(**fields, folder=folder)


TABLES: Final[tuple[str, ...]] = (
    "accounts", "account_frames", "account_topics", "frames", "systems",
    "account_buckets", "account_values", "account_params", "account_items", "account_closers",
)
"""The tables of `Aggregates`, in order."""
