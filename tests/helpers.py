"""Builders for small canonical request frames used across the stage tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from distillscan.aggregate.partial import batch_parts, empty_part
from distillscan.aggregate.spill import PartialStore
from distillscan.aggregate.tables import MERGE_KEYS
from distillscan.model.aggregates import TABLES, Aggregates
from distillscan.schema import CANONICAL_SCHEMA

START = datetime(2026, 4, 20, tzinfo=timezone.utc)


def requests_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Canonical requests from partial rows: missing columns become nulls."""
    filled = [{name: row.get(name) for name in CANONICAL_SCHEMA} for row in rows]
    return pl.DataFrame(filled, schema=CANONICAL_SCHEMA)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return START + timedelta(days=days, hours=hours, minutes=minutes)


def assert_same_aggregates(left: Aggregates, right: Aggregates) -> None:
    """Every table equal, rows in the same order, whether held in memory or read from disk
    (the item table's rows in any order: it promises none)."""
    for name in TABLES:
        tables = [getattr(side, name).lazy().collect() for side in (left, right)]
        if name == "account_items":
            tables = [table.sort(MERGE_KEYS[name]) for table in tables]
        assert_frame_equal(*tables, check_row_order=True)


def aggregate(*shards: pl.DataFrame) -> Aggregates:
    """The completed aggregates of canonical requests, made as a scan makes them: each
    shard reduced batch by batch to partial tables, the union completed once."""
    store = PartialStore()
    for shard in shards:
        for part in batch_parts(shard.lazy()):
            store.add(part)
    store.add(empty_part(shards[0].lazy()))
    return store.finish()
