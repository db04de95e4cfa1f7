"""The tokens each candidate pair shares, found from what is shared: never by listing
all of one account's tokens for each of its pairs.

A pair is scored on every token it shares, including tokens in which the candidate
window did not pair it. A token's shared pairs can be found two ways. From the token:
pair each holder with every later holder, n(n-1)/2 pairs for n holders, and keep the
candidate pairs. From the pairs: each candidate pair looks the tokens of one account up
among the other's, which costs, for this token, at most the candidate pairs of its
holders (their degrees, summed). Each token goes the cheaper way, so the work is, summed
over tokens, the smaller of the two; either way finds every shared pair. A token of a
kind that draws candidates, held by at most NEIGHBOUR_WINDOW + 1 accounts, goes from the
token (the window paired all its holders). Accounts behind rotating residential proxies
hold thousands of IPs and subnets, each held by a few other accounts: those tokens cost
the few pairs they make. A user agent held by 20,000 accounts goes from the pairs.

Memory, beyond the token table: per account its degree and where its tokens lie; per
candidate pair its key and where its looked-up tokens lie; and one chunk of at most
ROW_BUDGET listed or looked-up (pair, token) rows at a time. The shared (pair, token)
rows are never all held: each chunk is handed over to be reduced before the next.
`scoring` passes the candidate pairs a block at a time, so the per-pair part is a
block's (PAIR_BLOCK): on the 10M-request real-text log, 4.52M pairs in 5 blocks read
as 28 chunks of 2M rows over 2.95M token rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import polars as pl

from distillscan.link.candidates import PAIR_BASE, pair_ends, pair_key

# (pair, token) rows listed or looked up at a time: about 80 bytes each while a chunk
# is read (measured: 0.36, 0.48 and 0.94 GB at 0.5M, 2M and 8M for 250k pairs). On the
# adversarial log (1,000 accounts × 2,500 IPs: 657k candidate pairs, 440M listed rows,
# most from /24s held by 900 of the accounts) scoring peaked 293 MiB over its input in
# chunks of 2M and 213 MiB in chunks of 1M, but took 88 s rather than 67 s (linking
# alone, back to back on a busy machine): each chunk builds the pairs' hash set again.
ROW_BUDGET: Final = 1_000_000
# Columns of the token rows that say which token, and who holds it; the token and the
# others (evidence) are carried to the shared rows.
_PLACE: Final = ("account", "token", "holders")


def shared_tokens(pairs: pl.DataFrame, rows: pl.DataFrame) -> Iterator[pl.LazyFrame]:
    """(pair, token, *evidence) for every token both accounts of a pair hold, in parts
    of at most ROW_BUDGET rows (lazy: each is read once, by whoever reduces it).

    `pairs` holds `pair` (see `pair_key`), each pair once; `rows` holds `account` (a
    code below 2³²), `token`, `holders` (the token's rows) and evidence columns, sorted
    by token and account, each account once per token.
    """
    keys = pairs.get_column("pair")
    accounts = pl.concat([keys // PAIR_BASE, keys % PAIR_BASE]).cast(rows.schema["account"])
    degrees = accounts.value_counts(name="degree").rename({accounts.name: "account"})
    holders = pl.col("holders").cast(pl.Int64)
    from_pairs = (
        rows.lazy()
        .join(degrees.lazy(), on="account", how="left", maintain_order="left")
        .select(pl.col("degree").fill_null(0).cast(pl.Int64).sum().over("token") < holders * (holders - 1) // 2)
        .collect()
        .to_series()
    )
    evidence = [column for column in rows.columns if column not in _PLACE]
    yield from _within_tokens(pairs, rows, evidence, listed=~from_pairs)
    yield from _looked_up(pairs, rows.filter(from_pairs), evidence)


def _within_tokens(
    pairs: pl.DataFrame, rows: pl.DataFrame, evidence: list[str], listed: pl.Series
) -> Iterator[pl.LazyFrame]:
    """(pair, token, *evidence) for each two holders of a token that are a candidate pair:
    each row of a `listed` token pairs with the rows after it in its token.

    A row's account is the smaller of the pairs it lists, so only the rows of accounts
    from the smallest to the largest first account of `pairs` are listed: a block of the
    pairs (see `scoring.PAIR_BLOCK`) lists its share of the rows, not all of them. Rows
    that list nothing are given a count of 0 rather than filtered out: filtering copies
    every column (on the adversarial log's 3.57M token rows, three such copies held 0.3
    GB through scoring).
    """
    if not pairs.height:
        return
    keys = pairs.get_column("pair")
    first_account, last_account = keys.min() // PAIR_BASE, keys.max() // PAIR_BASE  # type: ignore[operator]
    # Positions as 32-bit numbers (a token table has fewer rows than 2³¹): the span
    # columns, and what they are computed from, are as long as the token rows.
    row = pl.int_range(pl.len(), dtype=pl.Int32)
    starts_token = (pl.col("token") != pl.col("token").shift()).fill_null(True)
    # The rows after each in its token, from where its token starts (a rank over the
    # tokens, a million groups, took 25 times as long).
    later = pl.col("holders").cast(pl.Int32) - 1 - (row - pl.when(starts_token).then(row).forward_fill())
    lists = pl.lit(listed) & pl.col("account").is_between(first_account, last_account)
    spans = rows.select("account", "token", *evidence, start=row + 1, count=pl.when(lists).then(later).otherwise(0))
    partners = rows.get_column("account")
    # A membership test against the pairs, not a semi-join: 0.03 s against 0.23 s for a
    # chunk of 2M rows checked against 657k pairs.
    candidate = pl.col("pair").is_in(keys.implode())
    for listed_rows in _in_chunks(spans):
        partner = pl.lit(partners.gather(listed_rows["position"]))
        yield (
            listed_rows.select("token", *evidence, pair=pair_key(pl.col("account"), partner))
            .lazy()
            .filter(candidate)
        )


def _looked_up(pairs: pl.DataFrame, rows: pl.DataFrame, evidence: list[str]) -> Iterator[pl.LazyFrame]:
    """(pair, token, *evidence) for the tokens of `rows` each pair shares.

    Each pair reads the tokens of the account that holds fewer (where they lie in
    `by_account`) and keeps those the `other` account holds too. Pairs are ordered by
    the other account, so a chunk checks against the tokens of a range of accounts.
    """
    by_account = rows.sort("account", "token")
    spans = by_account.with_row_index("row").group_by("account").agg(
        start=pl.col("row").first().cast(pl.Int64), held=pl.len().cast(pl.Int64)
    )
    account_dtype = by_account.schema["account"]
    fewer = pl.col("held_a") <= pl.col("held_b")
    oriented = (
        pairs.lazy()
        .select(
            "pair",
            *pair_ends(pl.col("pair"), account_dtype),
        )
        .join(spans.lazy().rename({"account": "a", "start": "start_a", "held": "held_a"}), on="a")
        .join(spans.lazy().rename({"account": "b", "start": "start_b", "held": "held_b"}), on="b")
        .select(
            "pair",
            other=pl.when(fewer).then("b").otherwise("a"),
            start=pl.when(fewer).then("start_a").otherwise("start_b"),
            count=pl.min_horizontal("held_a", "held_b"),
        )
        .sort("other", "pair")
        .collect()
    )
    held_by = by_account.get_column("account")
    for wanted in _in_chunks(oriented):
        looked_up = by_account.select(pl.col("token", *evidence).gather(wanted["position"]))
        from_row = held_by.search_sorted(wanted["other"][0], side="left")
        to_row = held_by.search_sorted(wanted["other"][-1], side="right")
        members = by_account.slice(from_row, to_row - from_row).select(other="account", token="token")
        yield (
            pl.concat([wanted.select("pair", "other"), looked_up], how="horizontal")
            .lazy()
            .join(members.lazy(), on=["other", "token"], how="semi")
            .select("pair", "token", *evidence)
        )


def _in_chunks(spans: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """Each span (`start`, `count`) as one row per `position` from start to start +
    count, ROW_BUDGET positions at a time (a span may be split between chunks), with the
    span's other columns; `spans` stay in their order. Only a chunk's spans are copied:
    those of count 0 are dropped from each chunk, not from `spans`."""
    ends = spans.get_column("count").cast(pl.Int64).cum_sum()
    total = ends[-1] if ends.len() else 0
    begin = pl.col("end") - pl.col("count")
    for low in range(0, total, ROW_BUDGET):
        high = low + ROW_BUDGET
        # The spans that overlap [low, high) of the running count.
        first, last = ends.search_sorted(low, side="right"), ends.search_sorted(high, side="left")
        yield (
            spans.slice(first, last - first + 1)
            .with_columns(end=ends.slice(first, last - first + 1))
            .filter(pl.col("count") > 0)
            .select(
                pl.exclude("start", "count", "end"),
                position=pl.int_ranges(
                    pl.col("start") + pl.max_horizontal(begin, low) - begin,
                    pl.col("start") + pl.min_horizontal("end", high) - begin,
                ),
            )
            .explode("position")
        )
