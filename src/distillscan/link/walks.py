"""Walks: accounts that send their items in an order other accounts send them in.

An evaluation harness runs a public benchmark in its published order, and so does every
other run of it. Ordered by when an account first sent each of its items
(`account_items.first_ts`), its steps (one item, then the next) recur in other
accounts. A campaign deals items from its pool in no order its accounts share, so its
accounts share few steps even where they share many items. A harness that runs the
dataset a campaign's pool was drawn from holds the pool's share of it, which the item
tests (`coharvest`, `attach`) read as co-harvesting; its walk says why it holds them.

On the generator's 1M-request logs (seeds 7 and 23 of the grammar text, seed 3 of real
text), the two harnesses in each that run the math benchmark share 61-100% of their
steps with other accounts; no campaign account shares MIN_WALK_STEPS steps, and those
sharing 3 or more share at most 31%.

Only items that could link accounts are walked (held by two or more accounts, by no
more than an item may be, and not a wrapper: see `coharvest`), so a harness's
few-shot preamble or a question template's popular words do not make every account's
walk alike. The item table keeps each account's smallest anchors (ITEMS_PER_ACCOUNT), so
the steps of a large sender are between the items it kept; two runs of one benchmark
keep the same ones. Order comes from timestamps, so the result does not depend on how
the log was cut into batches, files or shards.

Memory: the item table as numbers (on disk in a scan), one row per (account, item)
sorted by account and first sight, and one count per distinct step.
"""

from __future__ import annotations

from typing import Final

import polars as pl

# A walker shares at least this many of its steps with other accounts...
MIN_WALK_STEPS: Final = 8
# ... and at least this share of them.
WALK_SHARE: Final = 0.5


def walker_codes(items: pl.LazyFrame, max_holders: int, max_repeat: float) -> pl.Series:
    """The account codes whose walks other accounts repeat (see the module's notes),
    sorted. `items`: the numeric item table (account, topic, item, n, first_ts); an item
    held by more than `max_holders` accounts, or sent more than `max_repeat` times per
    holder (a wrapper), is not walked."""
    per_account = items.group_by("account", "item").agg(pl.col("n").sum(), pl.col("first_ts").min())
    walked = (
        per_account.group_by("item")
        .agg(holders=pl.len(), rows=pl.col("n").sum())
        .filter(pl.col("holders").is_between(2, max_holders), pl.col("rows") <= max_repeat * pl.col("holders"))
        .select("item")
    )
    steps = (
        per_account.join(walked, on="item")
        .sort("account", "first_ts", "item", nulls_last=False)
        .with_columns(
            previous=pl.col("item").shift(1),
            # A step goes from one request to a later one: a request's two anchors, first
            # sent at the same time, are not a step (they are the same prompt's, shared by
            # everyone who sends it).
            step=(pl.col("account") == pl.col("account").shift(1)) & (pl.col("first_ts") > pl.col("first_ts").shift(1)),
        )
        .filter(pl.col("step"))
        .select("account", "previous", "item")
    )
    shared = pl.col("holders").is_between(2, max_holders)
    return (
        steps.join(steps.group_by("previous", "item").agg(holders=pl.len()), on=["previous", "item"])
        .group_by("account")
        .agg(steps=pl.len(), shared=shared.sum())
        .filter(pl.col("shared") >= MIN_WALK_STEPS, pl.col("shared") >= WALK_SHARE * pl.col("steps"))
        .select(pl.col("account").cast(pl.UInt32))
        .sort("account")
        .collect(engine="streaming")
        .get_column("account")
    )
