"""Complete the union of partial tables: summed, one-off frames folded, subnets
derived, sorted; the two tables that grow with traffic written to disk by key range."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import polars as pl

from distillscan.aggregate.ranges import RANGE_KEYS, account_ranges, frame_ranges
from distillscan.aggregate.subnets import with_subnets
from distillscan.aggregate.tables import MERGE_KEYS, REPEATED_FRAME_MIN_REQUESTS, merge_measures, smallest_items
from distillscan.model.aggregates import TABLES, Aggregates, Table
from distillscan.stages import stage

# Tables completed a range at a time (of accounts; of frame ids for `frames`: see
# `RANGE_KEYS`), all kept on disk when completion is given a folder: those that grow
# with traffic (an account's repeated frames, active 10-minute slots, items), with its
# addresses (a rotating-proxy account holds thousands) and the repeated frames' text.
# At 30M requests the last two held 313 and 265 MB through every later stage when kept
# in memory.
# Partial rows summed per range: PARTITION_ROWS times the table's scale. Measured on
# the 30M-row log: its 24M partial account × frame rows peaked at 1.4-1.7 GB a range
# of 4M, 1.0-1.1 GB of 2M, in the same total time (29 s against 31 s); its 12M partial
# frame rows (with their text) took 5.1 s and 1.03 GB in one range, 6.0 s and 0.26 GB
# in 3, 10.6 s and 0.21 GB in 7; its 11M account × value rows 2.5 s and 0.74 GB in one,
# 3.2 s and 0.12 GB in 3. The adversarial log's 2.6M IP rows (1,000 accounts × 2,500
# addresses) grow to 3.6M with their subnets and are sorted and written: in one range
# that took the scan's peak to 1.44-1.51 GB, in two to 1.14 GB.
PARTITION_ROWS: Final = 2_000_000
_RANGE_ROWS_SCALE: Final[dict[str, int]] = {name: 2 if name == "frames" else 1 for name in RANGE_KEYS}


def _summed(sources: list[pl.LazyFrame], keys: tuple[str, ...]) -> pl.LazyFrame:
    stacked = pl.concat(sources, how="vertical_relaxed")
    return stacked.group_by(keys).agg(merge_measures(stacked.collect_schema().names(), keys))


def _collect(query: pl.LazyFrame) -> pl.DataFrame:
    return query.collect(engine="streaming")


def frame_count_query(sources: Mapping[str, Sequence[pl.LazyFrame]]) -> pl.LazyFrame:
    """frame_fp → frame_n: how often each frame appears in the whole log."""
    frames = pl.concat(list(sources["frames"]), how="vertical_relaxed")
    return frames.group_by("frame_fp").agg(frame_n=pl.col("n").sum())


def repeated_frame_ids(frame_counts: pl.LazyFrame) -> pl.Series:
    """The ids of the frames seen at least REPEATED_FRAME_MIN_REQUESTS times (given
    `frame_count_query`), as one list: 8 bytes a repeated frame (697k of the 4.6M frames
    of the 10M-request log)."""
    repeated = frame_counts.filter(pl.col("frame_n") >= REPEATED_FRAME_MIN_REQUESTS).select("frame_fp")
    ids: pl.Series = repeated.collect(engine="streaming").to_series().implode()
    return ids


def completion_queries(
    sources: Mapping[str, Sequence[pl.LazyFrame]],
    repeated_frames: pl.Series,
    within: pl.Expr | None = None,
    names: Collection[str] = TABLES,
) -> dict[str, pl.LazyFrame]:
    """The query that completes each table from partial ones, given the whole log's
    repeated frames (`repeated_frame_ids`): summed, one-off frames folded, sorted by
    its keys (account_values is sorted once its subnet rows are derived; account_items
    and account_closers are left in no particular order, see below). Each runs on
    the streaming engine; `tests/test_spill.py` checks that none falls back to the
    in-memory engine.

    `within`, a filter on a table's first key (`account_id`, or `frame_fp` for
    `frames`), restricts the tables so keyed to the rows it selects (see
    `complete_aggregates`, which completes the largest tables a range at a time).
    Only the tables in `names` are built."""
    if within is not None:
        columns = set(within.meta.root_names())
        sources = {
            name: [source.filter(within) for source in tables] if columns <= {MERGE_KEYS[name][0]} else tables
            for name, tables in sources.items()
        }
    queries = {
        name: _summed(list(sources[name]), MERGE_KEYS[name]).sort(MERGE_KEYS[name], nulls_last=True)
        for name in ("accounts", "account_topics", "systems", "account_buckets", "account_params")
        if name in names
    }
    if "account_items" in names:
        # Left unsorted: its one reader (`link.coharvest`) sorts the rows it counts in the
        # core, so their order cannot change a result, and sorting the 10M-request log's
        # 9M rows by account id, topic and item took 1.8 s of the table's 4.6 s.
        queries["account_items"] = smallest_items(
            _summed(list(sources["account_items"]), MERGE_KEYS["account_items"])
        )
    if "account_closers" in names:
        # Left unsorted, as the items are: its one reader (`link.frames`) counts rows,
        # and their order cannot change what it finds.
        queries["account_closers"] = _summed(list(sources["account_closers"]), MERGE_KEYS["account_closers"])
    if "account_values" in names:
        queries["account_values"] = _summed(list(sources["account_values"]), MERGE_KEYS["account_values"])
    if "frames" in names:
        queries["frames"] = _repeated_frames_query(sources["frames"], repeated_frames)
    if "account_frames" in names:
        queries["account_frames"] = _folded_account_frames_query(sources["account_frames"], repeated_frames)
    return queries


def _repeated_frames_query(frames: Sequence[pl.LazyFrame], repeated_frames: pl.Series) -> pl.LazyFrame:
    """frame_fp, skeleton → n for the frames seen at least REPEATED_FRAME_MIN_REQUESTS times."""
    # The frames are read twice on purpose (counts first, then text for the repeated
    # ones): one group-by over frame and skeleton would hold every one-off frame's text.
    # The repeated ones are picked by a list of their ids (8 bytes each) rather than a
    # semi-join, measured 0.27 GB lighter on the 1.1M repeated frames of a 30M-row log.
    return (
        pl.concat(list(frames), how="vertical_relaxed")
        .filter(pl.col("frame_fp").is_in(repeated_frames))
        .group_by(MERGE_KEYS["frames"])
        .agg(n=pl.col("n").sum())
        .sort(MERGE_KEYS["frames"], nulls_last=True)
    )


def _folded_account_frames_query(
    account_frames: Sequence[pl.LazyFrame], repeated_frames: pl.Series
) -> pl.LazyFrame:
    """The account × frame table summed, frames seen once folded into one row per
    (account, system prompt) with a null frame_fp and their count in `n_frames`."""
    # One-off frames are those not in the list of repeated ones: a join to every
    # frame's count built a table of all of them for each range of accounts (10M
    # requests: 4.6M frames, 3.9 s for the five ranges; with the list, 2.9 s).
    one_off = ~pl.col("frame_fp").is_in(repeated_frames)
    keys = MERGE_KEYS["account_frames"]
    folded = pl.concat(list(account_frames), how="vertical_relaxed").with_columns(
        frame_fp=pl.when(one_off).then(None).otherwise(pl.col("frame_fp")),
        n_frames=one_off.cast(pl.UInt32),
    )
    return (
        folded.group_by(keys)
        .agg(merge_measures(folded.collect_schema().names(), keys))
        .with_columns(
            # A one-off frame is in one partial row only, so counting them is exact.
            n_frames=pl.when(pl.col("frame_fp").is_null()).then(pl.col("n_frames")).otherwise(pl.lit(1, pl.UInt32))
        )
        .sort(keys, nulls_last=True)
    )


def complete_aggregates(
    sources: Mapping[str, Sequence[pl.LazyFrame]],
    folder: tempfile.TemporaryDirectory[str] | None = None,
) -> Aggregates:
    """The complete aggregates of the union of partial tables (in memory or spilled to
    Parquet), exactly: each table summed by its keys with the streaming engine, frames
    seen once folded into their account's one-off row, subnet rows derived from the IP
    rows, and every table but account_items sorted by its keys (inside the streaming
    query, about twice as fast as after it). Tables are completed one at a time.

    A group-by's state is several times its result (measured 4.2 GB while summing 30M
    partial rows into a 1 GB account × frame table), so the tables whose partial rows
    grow with traffic are summed a range of keys at a time, each range holding a few
    million partial rows (`_RANGE_ROWS_SCALE`): accounts (`account_ranges`), or frame ids
    for the repeated frames (`frame_ranges`). Ranges are contiguous and each is sorted,
    so their concatenation is the table one query would give. Each range reads the
    partial rows again, but each batch's rows are in key order and spilled chunks carry
    statistics (`RANGE_KEYS`), so it decodes only the row groups it overlaps: read
    whole, the 30M-request log's 12 ranges of account × frame rows read every chunk 12
    times.

    Given a `folder`, each range of the ranged tables (`RANGE_KEYS`) is written to a
    Parquet file in it and the table is a lazy scan of the files, so memory holds none
    of them: it follows the accounts, not the traffic, the addresses or the frames'
    text. Without one they are collected.

    Folding needs the whole log's frame counts, so complete tables no longer merge with
    each other: merge partial ones, then complete once.
    """
    repeated_frames = repeated_frame_ids(frame_count_query(sources))
    whole = [name for name in TABLES if name not in _RANGE_ROWS_SCALE]
    with stage("complete: small tables"):
        tables = {
            name: _collect(query) for name, query in completion_queries(sources, repeated_frames, names=whole).items()
        }
    ranged: dict[str, Table] = {}
    for name, scale in _RANGE_ROWS_SCALE.items():
        with stage(f"complete: {name}"):
            ranged[name] = _complete_ranged(name, scale, sources, repeated_frames, tables["accounts"], folder)
    return Aggregates.of({**tables, **ranged}, folder=folder)


def _complete_ranged(
    name: str,
    scale: int,
    sources: Mapping[str, Sequence[pl.LazyFrame]],
    repeated_frames: pl.Series,
    accounts: pl.DataFrame,
    folder: tempfile.TemporaryDirectory[str] | None,
) -> Table:
    """One of the tables completed a range of keys at a time (see `complete_aggregates`)."""
    partial_rows = _collect(pl.concat(list(sources[name]), how="vertical_relaxed").select(pl.len())).item()
    parts = math.ceil(partial_rows / (PARTITION_ROWS * scale))
    ranges = frame_ranges(parts) if name == "frames" else account_ranges(accounts, parts)
    per_range = [completion_queries(sources, repeated_frames, within, names=[name])[name] for within in ranges]
    if name == "account_values":
        # Subnet rows follow their account's IP rows, so they are derived and sorted
        # a range of accounts at a time (the ranges are contiguous and in order):
        # deriving them over the whole table and sorting it held about twice the
        # table at once (the adversarial log's 2.5M IP rows and their /24s).
        with_subnet_rows = (
            with_subnets(_collect(query)).sort(MERGE_KEYS[name], nulls_last=True) for query in per_range
        )
        if folder is not None:
            return _write_ranges(with_subnet_rows, Path(folder.name) / name)
        return pl.concat(list(with_subnet_rows), how="vertical_relaxed")
    if folder is not None:
        return _sink_ranges(per_range, Path(folder.name) / name)
    return pl.concat([_collect(query) for query in per_range], how="vertical_relaxed")


TABLE_COMPRESSION: Final = "lz4"
"""Completed tables on disk are read several times; lz4 decodes fastest."""


def _write_ranges(per_range: Iterable[pl.DataFrame], stem: Path) -> pl.LazyFrame:
    """Write each range, collected, to its own Parquet file, in order (see `_sink_ranges`)."""
    paths = []
    for index, frame in enumerate(per_range):
        paths.append(stem.with_name(f"{stem.name}-{index:04d}.parquet"))
        frame.write_parquet(paths[-1], compression=TABLE_COMPRESSION)
    return pl.scan_parquet(paths)


def _sink_ranges(per_range: Sequence[pl.LazyFrame], stem: Path) -> pl.LazyFrame:
    """Write each range's query to its own Parquet file, in order; a lazy scan of them
    all is the concatenated table (files are read in the order given)."""
    paths = [stem.with_name(f"{stem.name}-{index:04d}.parquet") for index in range(len(per_range))]
    for query, path in zip(per_range, paths, strict=True):
        query.sink_parquet(path, compression=TABLE_COMPRESSION, maintain_order=True)
    return pl.scan_parquet(paths)
