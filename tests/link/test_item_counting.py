"""The core's item counting gives exactly what the Polars reference gives: the same
topics, holders, wrappers dropped and token numbers, over items filed under several
topics, repeated sends and parts."""

from __future__ import annotations

import random

import polars as pl
import pytest

from distillscan import _core
from distillscan.link.coharvest import _counted_items
from distillscan.model.topics import TOPICS
from tests.link.items_reference import counted_items_reference


def _items(seed: int, rows: int) -> pl.LazyFrame:
    """(account, topic, item, n) rows, one per account, topic and item: a few hundred
    items over a few dozen accounts, some filed under two topics, some sent again and
    again (wrappers), some held by one account only."""
    rng = random.Random(seed)
    topics = sorted(TOPICS)
    seen: dict[tuple[int, str, int], int] = {}
    for _ in range(rows):
        item = rng.randrange(300) * 0x9E3779B97F4A7C15 % (1 << 64)
        topic = rng.choice(topics[:3]) if rng.random() < 0.3 else topics[3]
        key = (rng.randrange(40), topic, item)
        seen[key] = seen.get(key, 0) + (rng.choice([1, 1, 1, 2, 5]))
    return pl.LazyFrame(
        [(account, topic, item, n) for (account, topic, item), n in seen.items()],
        schema={"account": pl.UInt32, "topic": pl.Enum(topics), "item": pl.UInt64, "n": pl.UInt32},
        orient="row",
    )


@pytest.mark.parametrize(("seed", "parts"), [(1, 1), (2, 3), (3, 2)])
def test_the_core_counts_items_as_the_polars_reference_does(seed: int, parts: int) -> None:
    items = _items(seed, 3_000)
    size, shared, tokens = _counted_items(items, parts)
    want_size, want_shared, want_tokens = counted_items_reference(items, parts)
    assert tokens == want_tokens > 0
    assert shared.equals(want_shared)
    assert size.sort("account", "topic").equals(want_size.sort("account", "topic"))


def test_no_items_count_nothing() -> None:
    size, shared, tokens = _counted_items(_items(4, 0), 2)
    assert (size.height, shared.height, tokens) == (0, 0, 0)


def test_bad_columns_are_an_error_not_a_crash() -> None:
    with pytest.raises(ValueError, match="topic"):
        _core.count_items(
            pl.Series([1], dtype=pl.UInt32), pl.Series([99], dtype=pl.UInt32), pl.Series([1], dtype=pl.UInt64),
            pl.Series([1], dtype=pl.UInt32), len(TOPICS), 1.2, 0,
        )
    with pytest.raises(ValueError, match="UInt64"):
        _core.count_items(
            pl.Series([1], dtype=pl.UInt32), pl.Series([0], dtype=pl.UInt32), pl.Series([1], dtype=pl.UInt32),
            pl.Series([1], dtype=pl.UInt32), len(TOPICS), 1.2, 0,
        )
