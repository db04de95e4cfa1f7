"""The Polars item counting that the core's `count_items` replaced, kept as the
reference the tests hold it to (`test_item_counting`)."""

from __future__ import annotations

import polars as pl

from distillscan.link.coharvest import ITEM_MAX_REPEAT


def counted_items_reference(items: pl.LazyFrame, parts: int) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """`coharvest._counted_items` as group-bys, joins and sorts: (size, shared, tokens)."""
    sizes, shared = [], []
    tokens = 0
    for part in range(parts):
        kept = _kept_items(items.filter(pl.col("item") % parts == part))
        sizes.append(kept.group_by("account", "topic").agg(size=pl.len()))
        shared_rows = kept.filter(pl.col("holders") >= 2)
        numbers = (
            shared_rows.select("topic", "item").unique().sort("topic", "item")
            .with_row_index("token").with_columns(pl.col("token").cast(pl.UInt32))
        )
        numbered = (
            shared_rows.join(numbers, on=["topic", "item"])
            .sort(pl.col("token").cast(pl.UInt64) * (1 << 32) + pl.col("account"))
            .select("account", "topic", "holders", "token")
        )
        shared.append(numbered.with_columns(pl.col("token") + tokens))
        tokens += numbers.height
    size = pl.concat(sizes).group_by("account", "topic").agg(pl.col("size").sum().cast(pl.Float64))
    return size, pl.concat(shared), tokens


def _kept_items(part: pl.LazyFrame) -> pl.DataFrame:
    holders = part.group_by("item", "topic").agg(holders=pl.len())
    topic = holders.group_by("item").agg(
        item_topic=pl.col("topic").sort_by("holders", "topic", descending=[True, False]).first()
    )
    filed = (
        part.join(topic, on="item")
        .group_by("account", "item_topic", "item")
        .agg(pl.col("n").sum())
        .select("account", topic="item_topic", item="item", n="n")
    )
    per_item = filed.group_by("topic", "item").agg(holders=pl.len(), repeat=pl.col("n").mean())
    return (
        filed.join(per_item.filter(pl.col("repeat") <= ITEM_MAX_REPEAT), on=["topic", "item"])
        .select("account", "topic", "item", pl.col("holders").cast(pl.UInt32))
        .collect()
    )
