"""Contiguous ranges of keys (accounts, frame ids) that stages work through one at a
time, so that a group-by holds one range's state instead of the whole log's."""

from __future__ import annotations

import math
from typing import Final

import polars as pl

from distillscan.model.aggregates import Table

# Requests whose keys a per-key stage (`profile`, the linker's evidence tokens) takes at
# a time (`request_ranges`). Measured on the 30M-row log's tables
# (15.9M account × frame rows): one range took 7.0 s and 1.76 GB over its input, ranges
# of 8M requests 6.9 s and 0.58 GB, of 4M 7.2 s and 0.37 GB.
RANGE_REQUESTS: Final = 4_000_000
RANGE_KEYS: Final[dict[str, str]] = {
    "account_buckets": "account_id", "account_frames": "account_id", "account_values": "account_id",
    "frames": "frame_fp", "account_items": "account_id", "account_closers": "account_id",
}
"""The tables completed a range of keys at a time, and the key each is cut on
(`account_ranges`, `frame_ranges`). Every range reads the partial rows again, so each
batch's partial rows come in key order (the core walks a batch account by account, in
id order, so its tables keyed by account come sorted, account_values one kind after
another; `frames` is sorted by id) and are spilled with statistics: a range's read
skips the row groups that lie outside it."""


def account_ranges(accounts: pl.DataFrame, parts: int, key: str = "account_id") -> list[pl.Expr]:
    """Filters on `key` cutting the keys (sorted, with their request counts `n`) into
    at most `parts` contiguous ranges of about equal requests, in order; they cover
    every value, including values absent from `accounts`."""
    if parts <= 1 or accounts.height < 2:
        return [pl.lit(True)]
    total = int(accounts["n"].sum())
    cuts = (
        accounts.select(key, before=pl.col("n").cum_sum() - pl.col("n"))
        .filter(pl.col("before") > 0)
        .with_columns(part=(pl.col("before") * parts // max(total, 1)))
        .filter(pl.col("part") != pl.col("part").shift(1, fill_value=0))
    )[key].to_list()
    from_cut = [pl.col(key) >= cut for cut in cuts]
    before_cut = [pl.col(key) < cut for cut in cuts]
    return [
        low & high
        for low, high in zip([pl.lit(True), *from_cut], [*before_cut, pl.lit(True)], strict=True)
    ]


def request_ranges(accounts: Table, key: str = "account_id") -> list[pl.Expr]:
    """Filters cutting `key` into contiguous ranges of about RANGE_REQUESTS requests
    each, in order (see `account_ranges`); `accounts` holds `key` and request counts `n`."""
    requests_per_key = accounts.lazy().group_by(key).agg(pl.col("n").sum()).sort(key).collect()
    return account_ranges(requests_per_key, math.ceil(requests_per_key["n"].sum() / RANGE_REQUESTS), key)


def frame_ranges(parts: int) -> list[pl.Expr]:
    """Filters on `frame_fp` cutting its 64-bit range into `parts` equal, contiguous
    ranges, in order (a hash spreads frames evenly over them); the last also takes a
    null frame_fp, which sorts last."""
    if parts <= 1:
        return [pl.lit(True)]
    cuts = [(index << 64) // parts for index in range(1, parts)]
    frame = pl.col("frame_fp")
    from_cut = [frame >= pl.lit(cut, pl.UInt64) for cut in cuts]
    before_cut = [frame < pl.lit(cut, pl.UInt64) for cut in cuts]
    return [
        *[low & high for low, high in zip([pl.lit(True), *from_cut[:-1]], before_cut, strict=True)],
        from_cut[-1] | frame.is_null(),
    ]
