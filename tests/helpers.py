"""Builders for small canonical request frames used across the stage tests."""

from __future__ import annotations

from collections.abc import Sequence
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


CAMPAIGN_WRAPPERS = (
    "Problem {step}: compute {a} plus {b}. Think it through and explain your reasoning step by step before the answer.",
    "Puzzle {step} for you: what is {a} times {b}? Reason carefully, showing each step, then give the final answer.",
    "Question {step}, please: how many days are in {a} weeks and {b} days? Work it out step by step, then answer.",
)
CHAT = ("what should I cook tonight", "is it going to rain in lisbon", "help me word an apology",
        "suggest a name for a grey kitten", "how do I fix a squeaky door", "recommend a novel about the sea")


def campaign_rows(accounts: int) -> list[dict[str, Any]]:
    """`accounts` accounts (op00, op01, …) sending the three CAMPAIGN_WRAPPERS round the
    clock on one card and /24: one group, flagged high or above."""
    return [
        {
            "account_id": f"op{index:02d}", "timestamp": at(days=step // 12, hours=(step * 2) % 24, minutes=index),
            "prompt": CAMPAIGN_WRAPPERS[step % 3].format(step=step, a=step * 7 + index, b=index + 3),
            "ip": f"45.0.0.{index + 1}", "payment_fingerprint": "card-1", "temperature": 0.0, "max_tokens": 1024,
        }
        for index in range(accounts)
        for step in range(60)
    ]


def customer_rows(account: str, topic: int, relayed: Sequence[int], ip: str, card: str) -> list[dict[str, Any]]:
    """30 daytime requests of an account whose customers ask CHAT[topic] (one topic an
    account, so no two accounts share a template), with its first requests in the
    campaign's frames instead: one with each of the CAMPAIGN_WRAPPERS `relayed` names
    (fresh numbers)."""
    rows = []
    for step in range(30):
        prompt = f"{CHAT[topic]} (ticket {step})"
        if step < len(relayed):
            prompt = CAMPAIGN_WRAPPERS[relayed[step]].format(step=500 + step, a=step, b=step + 1)
        rows.append({
            "account_id": account, "timestamp": at(days=step // 10, hours=9 + step % 10, minutes=step % 50),
            "prompt": prompt, "ip": ip, "payment_fingerprint": card, "temperature": 0.7, "max_tokens": 512,
        })
    return rows


def assert_same_aggregates(left: Aggregates, right: Aggregates) -> None:
    """Every table equal, rows in the same order, whether held in memory or read from disk
    (the item and closer tables' rows in any order: they promise none)."""
    for name in TABLES:
        tables = [getattr(side, name).lazy().collect() for side in (left, right)]
        if name in ("account_items", "account_closers"):
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
