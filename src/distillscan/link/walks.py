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

Memory: the item table as numbers (on disk in a scan) read a part at a time; the rows of
walked items (20 bytes each), sorted a part of the accounts at a time (WALK_PART_ROWS);
every step as a number with its account (12 bytes), its repeats found a part of the
step values at a time. On the 10M-request log (8.6M item rows, 6.0M walked, 3.6M steps)
it held 430 MB at most, in 1.3 s; run before the items are counted, the scan's peak did
not move (1,539 MB).
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

# A walker shares at least this many of its steps with other accounts...
MIN_WALK_STEPS: Final = 8
# ... and at least this share of them.
WALK_SHARE: Final = 0.5
# Rows of walked items sorted into steps at a time (about 60 MB of working memory per
# million).
WALK_PART_ROWS: Final = 1_000_000
# Polars' hash with a fixed seed is the same on every run: a step is counted by it.
_STEP_SEED: Final = 29


def walker_codes(items: pl.LazyFrame, max_holders: int, max_repeat: float, parts: int = 1) -> pl.Series:
    """The account codes whose walks other accounts repeat (see the module's notes),
    sorted. `items`: the numeric item table (account, topic, item, n, first_ts); an item
    held by more than `max_holders` accounts, or sent more than `max_repeat` times per
    holder (a wrapper), is not walked. The items are counted a part of their values at a
    time (`parts`); the rows of walked items are held (20 bytes each) and walked a part
    of the accounts at a time; each step is one number (8 bytes and the account's 4),
    counted a part of the step values at a time."""
    # Holders are counted as rows: an account that sent one item under two topics counts
    # twice (0.15% more items walked at 10M requests than an exact count; summing each
    # account's rows first held 2.7 times the memory).
    walked = pl.concat([
        items.filter(pl.col("item") % parts == part)
        .group_by("item")
        .agg(holders=pl.len(), rows=pl.col("n").sum())
        .filter(pl.col("holders").is_between(2, max_holders), pl.col("rows") <= max_repeat * pl.col("holders"))
        .select("item")
        .collect(engine="streaming")
        for part in range(parts)
    ])
    # The rows of walked items, read once (20 bytes each: 6.0M of the 10M-request log's
    # 8.6M), then walked a part of the accounts at a time.
    rows = (
        items.filter(pl.col("item").is_in(walked.get_column("item").implode()))
        .select("account", "item", "first_ts")
        .collect(engine="streaming")
    )
    walk_parts = max(1, math.ceil(rows.height / WALK_PART_ROWS))
    steps = pl.concat([
        _steps(rows.filter(pl.col("account") % walk_parts == part)) for part in range(walk_parts)
    ])
    del rows
    # A step is shared when another account holds it too: a repeated value. Its holders
    # need no cap, as its items are capped. Counted a share of the step values at a
    # time, so one part's hash table is held, not one for every distinct step.
    shared = pl.concat([
        steps.filter(pl.col("step") % walk_parts == part)
        .filter(pl.col("step").is_duplicated())
        .group_by("account")
        .agg(shared=pl.len())
        for part in range(walk_parts)
    ])
    walkers: pl.Series = (
        steps.group_by("account")
        .agg(steps=pl.len())
        .join(shared.group_by("account").agg(pl.col("shared").sum()), on="account")
        .filter(pl.col("shared") >= MIN_WALK_STEPS, pl.col("shared") >= WALK_SHARE * pl.col("steps"))
        .get_column("account")
        .cast(pl.UInt32)
        .sort()
    )
    return walkers


def _steps(rows: pl.DataFrame) -> pl.DataFrame:
    """(account, step): each account's steps through its items (`rows`: account, item,
    first_ts) in the order it first sent them, a step as a hash of (item, next item).

    An item an account sent under two topics is two rows of the item table, so it is
    walked twice if first sent at two times: rare, and grouping the rows by account and
    item first held 500 MB for the 2M rows of a third of the 10M-request log's accounts,
    where sorting them held 70 MB."""
    ordered = rows.sort("account", "first_ts", "item", nulls_last=False)
    account, first_ts, item = (ordered.get_column(name) for name in ("account", "first_ts", "item"))
    # A step goes from one request to a later one: a request's two anchors, first sent
    # at the same time, are not a step (they are the same prompt's, shared by everyone
    # who sends it).
    is_step = (account == account.shift(1)) & (first_ts > first_ts.shift(1))
    step = pl.DataFrame({"previous": item.shift(1), "item": item}).select(
        step=pl.struct("previous", "item").hash(_STEP_SEED)
    )
    return pl.DataFrame({"account": account}).with_columns(step.get_column("step")).filter(is_step)
