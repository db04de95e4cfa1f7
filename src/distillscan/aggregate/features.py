"""Stage 3: reduce annotated requests to compact aggregates, then to behavioural features.

The raw rows are touched once: each batch of a shard (a file, or a batch of lines) is
annotated once and reduced by `batch_aggregates` to *partial* tables keyed by account.
Every partial table is a group-by with sums, minimums and maximums, so partial tables
from separate batches, files, days or machines merge exactly (`combine_aggregates`):
one pass, many files, or many machines give the same result. `complete_aggregates`
then finishes the union once — summed, one-off frames folded, subnets derived, sorted
— and `spill.PartialStore` keeps the partial tables on disk meanwhile, and the two
completed tables that grow with traffic after, so a scan's memory follows accounts and
repeated frames, not rows.

`profile` then computes features from the completed tables for any key: per account, or
per group once accounts carry a `group_id`. Accounts and groups are described by the
same formulas, so a group is judged on exactly the evidence its members hold.
"""

from __future__ import annotations

import ipaddress
import math
import operator
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import reduce
from pathlib import Path
from typing import Final, Literal

import polars as pl

from distillscan.fingerprint.fingerprint import (
    HIGH_VALUE_TOPICS,
    MIN_TEMPLATE_REQUESTS,
    TOPICS,
    annotate_requests,
)
from distillscan.model.aggregates import TABLES, Aggregates, Table
from distillscan.read.shards import read_batches

BUCKET_SECONDS: Final = 600
BUCKETS_PER_DAY: Final = 86_400 // BUCKET_SECONDS
QUIET_WINDOW_HOURS: Final = 6
# A template counts as "repeated" in a key's traffic once it carries this many requests.
REPEATED_TEMPLATE_MIN_REQUESTS: Final = MIN_TEMPLATE_REQUESTS
# Rows annotated and aggregated at a time; partial aggregates are merged every few batches.
BATCH_ROWS: Final = 200_000
MERGE_EVERY: Final = 8
# A frame seen fewer times than this in the whole log is a one-off prompt: completed
# aggregates fold it into its account's one-off row instead of keeping a row per frame.
REPEATED_FRAME_MIN_REQUESTS: Final = 2
# A topic counts toward an account's coverage once it carries this share of its traffic.
MIN_TOPIC_SHARE: Final = 0.05
# Infrastructure values kept per account: kind name -> canonical column (subnets are
# derived from the IP rows).
VALUE_COLUMNS: Final[dict[str, str]] = {
    "ip": "ip",
    "subnet": "ip",
    "user_agent": "user_agent",
    "payment": "payment_fingerprint",
    "org": "org_id",
}


_MERGE_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "accounts": ("account_id",),
    "account_frames": ("account_id", "frame_fp", "system_fp"),
    "account_topics": ("account_id", "topic"),
    "frames": ("frame_fp", "skeleton"),
    "systems": ("system_fp", "system_text"),
    "account_buckets": ("account_id", "bucket", "model"),
    "account_values": ("account_id", "kind", "value"),
    "account_params": ("account_id", "temperature", "max_tokens"),
}
# Tables completed a range at a time (of accounts; of frame ids for `frames`: the keys
# of `_RANGE_ROWS_SCALE` below), and of them the two that grow with traffic (an
# account's repeated frames and active 10-minute slots), kept on disk when completion
# is given a folder.
_ON_DISK: Final = ("account_buckets", "account_frames")
# Partial rows summed per range: PARTITION_ROWS times the table's scale. Measured on
# the 30M-row log: its 24M partial account × frame rows peaked at 1.4-1.7 GB a range
# of 4M, 1.0-1.1 GB of 2M, in the same total time (29 s against 31 s); its 12M partial
# frame rows (with their text) took 5.1 s and 1.03 GB in one range, 6.0 s and 0.26 GB
# in 3, 10.6 s and 0.21 GB in 7; its 11M account × value rows 2.5 s and 0.74 GB in one,
# 3.2 s and 0.12 GB in 3.
PARTITION_ROWS: Final = 2_000_000
_RANGE_ROWS_SCALE: Final[dict[str, int]] = {
    "account_buckets": 1, "account_frames": 1, "account_values": 2, "frames": 2,
}
# Requests whose keys a per-key stage (`profile`, the linker's evidence tokens) takes at
# a time (`request_ranges`). Measured on the 30M-row log's tables
# (15.9M account × frame rows): one range took 7.0 s and 1.76 GB over its input, ranges
# of 8M requests 6.9 s and 0.58 GB, of 4M 7.2 s and 0.37 GB.
RANGE_REQUESTS: Final = 4_000_000
_MIN_COLUMNS: Final = frozenset({"first_ts", "created_at"})
_MAX_COLUMNS: Final = frozenset({"last_ts"})


def network_of(ip: str | None) -> str | None:
    """The network an address belongs to: its /24 for IPv4 (IPv4-mapped IPv6 included),
    its /48 for IPv6; None for anything that is not an address."""
    if ip is None:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4: Final = rf"^{_OCTET}(?:\.{_OCTET}){{3}}$"


def _with_subnets(account_values: pl.DataFrame) -> pl.DataFrame:
    """Derive (account, 'subnet', network) rows from the (account, 'ip', address) rows.

    Addresses are parsed with `ipaddress` once per distinct address, so compressed and
    IPv4-mapped IPv6 spellings of one network agree.
    """
    ips = account_values.filter(pl.col("kind") == "ip")
    addresses = ips.select("value").unique()
    # Canonical dotted quads (nearly every address) take their /24 with string
    # operations; anything else (IPv6, odd spellings) goes through `network_of`.
    canonical = addresses["value"].str.contains(_CANONICAL_IPV4)
    networks = pl.concat([
        addresses.filter(canonical).with_columns(
            network=pl.col("value").str.extract(r"^(\d+\.\d+\.\d+)\.", 1) + ".0/24"
        ),
        addresses.filter(~canonical).with_columns(
            network=pl.col("value").map_elements(network_of, return_dtype=pl.String)
        ),
    ])
    subnets = (
        ips.join(networks, on="value")
        .drop_nulls("network")
        .group_by("account_id", "network")
        .agg(n=pl.col("n").sum())
        .select("account_id", kind=pl.lit("subnet"), value="network", n="n")
    )
    return pl.concat(
        [account_values.filter(pl.col("kind") != "subnet"), subnets], how="vertical_relaxed"
    )


def shard_queries(annotated: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """The aggregate queries over one shard of annotated requests, one per Aggregates field."""
    ts = pl.col("timestamp")
    multi_turn = (pl.col("n_turns").fill_null(pl.col("turn")).fill_null(1) > 1).cast(pl.UInt32)
    values = [
        annotated.select("account_id", kind=pl.lit(kind), value=pl.col(column))
        for kind, column in VALUE_COLUMNS.items()
        if kind != "subnet"
    ]
    return {
        "accounts": annotated.group_by("account_id").agg(
            n=pl.len(),
            n_multi_turn=multi_turn.sum(),
            n_cot=pl.col("is_cot").cast(pl.UInt32).sum(),
            n_with_images=(pl.col("n_images").fill_null(0) > 0).cast(pl.UInt32).sum(),
            n_with_tool_results=(pl.col("n_tool_results").fill_null(0) > 0).cast(pl.UInt32).sum(),
            input_tokens=pl.col("input_tokens").sum(),
            output_tokens=pl.col("output_tokens").sum(),
            first_ts=ts.min(),
            last_ts=ts.max(),
            created_at=pl.col("account_created_at").min(),
        ),
        "account_frames": annotated.group_by("account_id", "frame_fp", "system_fp").agg(
            n=pl.len(),
            n_slotted=(pl.col("has_slot") & (multi_turn == 0)).cast(pl.UInt32).sum(),
            n_cot=pl.col("is_cot").cast(pl.UInt32).sum(),
            first_ts=ts.min(),
            last_ts=ts.max(),
        ),
        "account_topics": annotated.group_by("account_id", "topic").agg(n=pl.len()),
        "frames": annotated.group_by("frame_fp", "skeleton").agg(n=pl.len()),
        "systems": annotated.drop_nulls("system_fp")
        .group_by("system_fp", "system_text")
        .agg(n=pl.len()),
        "account_buckets": annotated.group_by(
            "account_id",
            bucket=ts.dt.epoch("s") // BUCKET_SECONDS,
            model=pl.col("model"),
        ).agg(n=pl.len()),
        "account_values": pl.concat(values)
        .drop_nulls("value")
        .group_by("account_id", "kind", "value")
        .agg(n=pl.len()),
        "account_params": annotated.group_by("account_id", "temperature", "max_tokens").agg(
            n=pl.len()
        ),
    }


def batch_aggregates(annotated: pl.DataFrame) -> Aggregates:
    """Every aggregate table of one batch of annotated requests (partial: no subnet rows,
    unsorted; `complete_aggregates` completes them). The batch is annotated once, in memory,
    before the eight queries read it."""
    queries = shard_queries(annotated.lazy())
    return Aggregates(**dict(zip(queries, pl.collect_all(list(queries.values())))))


def batch_parts(requests: pl.LazyFrame, batch_rows: int = BATCH_ROWS) -> Iterator[Aggregates]:
    """The partial aggregates of each batch of a shard, each batch annotated once."""
    for batch in read_batches(requests, batch_rows):
        yield batch_aggregates(annotate_requests(batch.lazy()).collect())


def empty_part(requests: pl.LazyFrame) -> Aggregates:
    """Partial aggregates with no rows, shaped like those of `requests`."""
    return batch_aggregates(annotate_requests(requests.clear()).collect())


def shard_aggregates(
    requests: pl.LazyFrame, batch_rows: int = BATCH_ROWS, *, complete: bool = True
) -> Aggregates:
    """Stream one shard of canonical requests in batches, annotating each row once.

    Batches are reduced to aggregates as they arrive and combined every MERGE_EVERY
    batches. With `complete=False` the result is partial (see `combine_aggregates`):
    what separate shards are merged from. Scans of large logs go through
    `spill.PartialStore` instead, which keeps memory to a few batches.
    """
    parts: list[Aggregates] = []
    for part in batch_parts(requests, batch_rows):
        parts.append(part)
        if len(parts) >= MERGE_EVERY:
            parts = [combine_aggregates(parts)]
    if not parts:
        parts.append(empty_part(requests))
    return merge_aggregates(parts) if complete else combine_aggregates(parts)


def _measures(columns: list[str], keys: tuple[str, ...]) -> list[pl.Expr]:
    """How each measure column merges: minimum, maximum or sum."""
    return [
        pl.col(name).min() if name in _MIN_COLUMNS
        else pl.col(name).max() if name in _MAX_COLUMNS
        else pl.col(name).sum()
        for name in columns
        if name not in keys
    ]


def combine_aggregates(parts: list[Aggregates]) -> Aggregates:
    """Sum partial aggregates into the partial aggregates of their union (exact, unsorted,
    without derived subnet rows or folded one-off frames): the cheap step repeated while
    streaming, and what shards computed apart (files, days, machines) are merged with."""
    if len(parts) == 1:
        return parts[0]
    combined: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        keys = _MERGE_KEYS[name]
        stacked = pl.concat([getattr(part, name) for part in parts], how="vertical_relaxed")
        combined[name] = stacked.group_by(keys).agg(_measures(stacked.columns, keys))
    return Aggregates(**combined)


def merge_aggregates(parts: list[Aggregates]) -> Aggregates:
    """Complete the union of partial aggregates (see `complete_aggregates`)."""
    return complete_aggregates(
        {name: [getattr(part, name).lazy() for part in parts] for name in TABLES}
    )


def _summed(sources: list[pl.LazyFrame], keys: tuple[str, ...]) -> pl.LazyFrame:
    stacked = pl.concat(sources, how="vertical_relaxed")
    return stacked.group_by(keys).agg(_measures(stacked.collect_schema().names(), keys))


def _collect(query: pl.LazyFrame) -> pl.DataFrame:
    return query.collect(engine="streaming")


def frame_count_query(sources: Mapping[str, Sequence[pl.LazyFrame]]) -> pl.LazyFrame:
    """frame_fp → frame_n: how often each frame appears in the whole log."""
    frames = pl.concat(list(sources["frames"]), how="vertical_relaxed")
    return frames.group_by("frame_fp").agg(frame_n=pl.col("n").sum())


def completion_queries(
    sources: Mapping[str, Sequence[pl.LazyFrame]],
    frame_counts: pl.LazyFrame,
    within: pl.Expr | None = None,
    names: Collection[str] = TABLES,
) -> dict[str, pl.LazyFrame]:
    """The query that completes each table from partial ones, given the whole log's
    frame counts (see `frame_count_query`): summed, one-off frames folded, sorted by
    its keys (account_values is sorted once its subnet rows are derived). Each runs on
    the streaming engine; `tests/test_spill.py` checks that none falls back to the
    in-memory engine.

    `within`, a filter on a table's first key (`account_id`, or `frame_fp` for
    `frames`), restricts the tables so keyed to the rows it selects (see
    `complete_aggregates`, which completes the largest tables a range at a time).
    Only the tables in `names` are built."""
    if within is not None:
        columns = set(within.meta.root_names())
        sources = {
            name: [source.filter(within) for source in tables] if columns <= {_MERGE_KEYS[name][0]} else tables
            for name, tables in sources.items()
        }
    queries = {
        name: _summed(list(sources[name]), _MERGE_KEYS[name]).sort(_MERGE_KEYS[name], nulls_last=True)
        for name in ("accounts", "account_topics", "systems", "account_buckets", "account_params")
        if name in names
    }
    if "account_values" in names:
        queries["account_values"] = _summed(list(sources["account_values"]), _MERGE_KEYS["account_values"])
    if "frames" in names:
        queries["frames"] = _repeated_frames_query(sources["frames"], frame_counts)
    if "account_frames" in names:
        queries["account_frames"] = _folded_account_frames_query(sources["account_frames"], frame_counts)
    return queries


def _repeated_frames_query(frames: Sequence[pl.LazyFrame], frame_counts: pl.LazyFrame) -> pl.LazyFrame:
    """frame_fp, skeleton → n for the frames seen at least REPEATED_FRAME_MIN_REQUESTS times."""
    # The frames are read twice on purpose (counts first, then text for the repeated
    # ones): one group-by over frame and skeleton would hold every one-off frame's text.
    # The repeated ones are picked by a list of their ids (8 bytes each) rather than a
    # semi-join, measured 0.27 GB lighter on the 1.1M repeated frames of a 30M-row log.
    repeated = frame_counts.filter(pl.col("frame_n") >= REPEATED_FRAME_MIN_REQUESTS).select("frame_fp")
    repeated_ids = repeated.collect(engine="streaming").to_series().implode()
    return (
        pl.concat(list(frames), how="vertical_relaxed")
        .filter(pl.col("frame_fp").is_in(repeated_ids))
        .group_by(_MERGE_KEYS["frames"])
        .agg(n=pl.col("n").sum())
        .sort(_MERGE_KEYS["frames"], nulls_last=True)
    )


def _folded_account_frames_query(
    account_frames: Sequence[pl.LazyFrame], frame_counts: pl.LazyFrame
) -> pl.LazyFrame:
    """The account × frame table summed, frames seen once folded into one row per
    (account, system prompt) with a null frame_fp and their count in `n_frames`."""
    one_off = pl.col("frame_n") < REPEATED_FRAME_MIN_REQUESTS
    keys = _MERGE_KEYS["account_frames"]
    folded = (
        pl.concat(list(account_frames), how="vertical_relaxed")
        .join(frame_counts, on="frame_fp", how="left")
        .with_columns(
            frame_fp=pl.when(one_off).then(None).otherwise(pl.col("frame_fp")),
            n_frames=one_off.cast(pl.UInt32),
        )
        .drop("frame_n")
    )
    return (
        folded.group_by(keys)
        .agg(_measures(folded.collect_schema().names(), keys))
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
    rows, and every table sorted by its keys (inside the streaming query, about twice
    as fast as after it). Tables are completed one at a time.

    A group-by's state is several times its result (measured 4.2 GB while summing 30M
    partial rows into a 1 GB account × frame table), so the tables whose partial rows
    grow with traffic are summed a range of keys at a time, each range holding a few
    million partial rows (`_RANGE_ROWS_SCALE`): accounts (`account_ranges`), or frame ids
    for the repeated frames (`frame_ranges`). Ranges are contiguous and each is sorted,
    so their concatenation is the table one query would give. Each range reads the
    partial rows again, a little time for a peak several times smaller.

    Given a `folder`, each range of the two tables that grow with traffic themselves
    (`_ON_DISK`) is written to a Parquet file in it and the table is a lazy scan of the
    files, so memory holds neither: it follows the accounts and distinct frames, not
    the traffic. Without one they are collected.

    Folding needs the whole log's frame counts, so complete tables no longer merge with
    each other: merge partial ones, then complete once.
    """
    frame_counts = _collect(frame_count_query(sources)).lazy()
    whole = [name for name in TABLES if name not in _RANGE_ROWS_SCALE]
    tables = {name: _collect(query) for name, query in completion_queries(sources, frame_counts, names=whole).items()}
    ranged: dict[str, Table] = {}
    for name, scale in _RANGE_ROWS_SCALE.items():
        partial_rows = _collect(pl.concat(list(sources[name]), how="vertical_relaxed").select(pl.len())).item()
        parts = math.ceil(partial_rows / (PARTITION_ROWS * scale))
        ranges = frame_ranges(parts) if name == "frames" else account_ranges(tables["accounts"], parts)
        per_range = [
            completion_queries(sources, frame_counts, within, names=[name])[name] for within in ranges
        ]
        ranged[name] = (
            _sink_ranges(per_range, Path(folder.name) / name) if folder is not None and name in _ON_DISK
            else pl.concat([_collect(query) for query in per_range], how="vertical_relaxed")
        )
    ranged["account_values"] = _with_subnets(ranged["account_values"]).sort(  # type: ignore[arg-type]
        _MERGE_KEYS["account_values"], nulls_last=True
    )
    return Aggregates(**tables, **ranged, folder=folder)


TABLE_COMPRESSION: Final = "lz4"
"""Completed tables on disk are read several times; lz4 decodes fastest."""


def _sink_ranges(per_range: Sequence[pl.LazyFrame], stem: Path) -> pl.LazyFrame:
    """Write each range's query to its own Parquet file, in order; a lazy scan of them
    all is the concatenated table (files are read in the order given)."""
    paths = [stem.with_name(f"{stem.name}-{index:04d}.parquet") for index in range(len(per_range))]
    for query, path in zip(per_range, paths, strict=True):
        query.sink_parquet(path, compression=TABLE_COMPRESSION, maintain_order=True)
    return pl.scan_parquet(paths)


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


def _hour_profile_features(buckets: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per key: how flat its own hour-of-day profile is, and how regular its activity is.

    `quiet_share` is the share of traffic in the key's quietest 6 consecutive hours,
    scaled so that a flat profile scores 1 and someone who sleeps scores near 0.
    """
    hour = ((pl.col("bucket") % BUCKETS_PER_DAY) // (3600 // BUCKET_SECONDS)).cast(pl.Int32)
    # One row per key, one column per hour of the day (0 where it sent nothing): spread
    # each row over 24 columns, then plain integer sums (the fast group-by path).
    by_hour = buckets.select(
        key, *[pl.when(hour == h).then(pl.col("n").cast(pl.Int64)).otherwise(0).alias(f"h{h}") for h in range(24)]
    ).group_by(key).agg(pl.all().sum())
    hours = [pl.col(f"h{h}") for h in range(24)]
    total = pl.sum_horizontal(hours)
    # Each window of QUIET_WINDOW_HOURS consecutive hours, wrapping at midnight.
    windows = [pl.sum_horizontal(hours[(start + offset) % 24] for offset in range(QUIET_WINDOW_HOURS))
               for start in range(24)]
    # Hours add left to right (0 to 23): `sum_horizontal` over floats was measured to
    # vary in the last bit from run to run, a chain of additions does not.
    plogp = [pl.when(h > 0).then((h / total) * (h / total).log()).otherwise(0.0) for h in hours]
    per_key_hours = by_hour.select(
        key,
        hour_entropy=-reduce(operator.add, plogp) / math.log(24),
        quiet_share=(pl.min_horizontal(windows) / total) * (24 / QUIET_WINDOW_HOURS),
    )
    per_slot = buckets.group_by(key, "bucket").agg(n=pl.col("n").sum().cast(pl.Int64))
    # The spread of per-slot counts from exact integer sums: a float `std` over a group
    # depends on the order rows reach it, which a parallel group-by does not fix.
    slots = pl.len()
    mean = pl.col("n").sum() / slots
    variance = ((pl.col("n") * pl.col("n")).sum() / slots - mean * mean).clip(lower_bound=0.0)
    activity = per_slot.group_by(key).agg(
        active_slots=slots,
        active_days=(pl.col("bucket") // BUCKETS_PER_DAY).n_unique(),
        slot_cv=(variance.sqrt() / mean).fill_null(0.0).fill_nan(0.0),
    )
    return per_key_hours.join(activity, on=key, how="full", coalesce=True)


def _template_features(account_frames: pl.LazyFrame, templates: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per key: how concentrated its traffic is on a few repeated templates.

    One-off frames (null frame_fp, `n_frames` of them per row) count as templates of
    one request each, exactly as if each had kept its own row.
    """
    per_template = (
        account_frames.join(templates, on="frame_fp", how="left")
        .with_columns(template_fp=pl.col("template_fp").fill_null(pl.col("frame_fp")))
        .group_by(key, "template_fp")
        .agg(
            n=pl.col("n").sum(),
            n_slotted=pl.col("n_slotted").sum(),
            n_cot=pl.col("n_cot").sum(),
            n_members=pl.col("account_id").n_unique(),
            n_frames=pl.col("n_frames").sum(),
        )
    )
    real = pl.col("template_fp").is_not_null()
    real_n = pl.col("n").filter(real).cast(pl.Int64)
    one_offs = pl.col("n_frames").filter(~real).sum().cast(pl.Int64)
    total = pl.col("n").sum()
    repeated = real & (pl.col("n_slotted") >= REPEATED_TEMPLATE_MIN_REQUESTS)
    return per_template.sort(key, "template_fp", nulls_last=True).group_by(key, maintain_order=True).agg(
        n_templates=real.sum().cast(pl.Int64) + one_offs,
        top_template_share=pl.max_horizontal(real_n.max().fill_null(0), one_offs.clip(upper_bound=1)) / total,
        top3_template_share=(
            real_n.top_k(3).sum()
            + pl.min_horizontal(one_offs, 3 - real_n.len().cast(pl.Int64).clip(upper_bound=3))
        ) / total,
        templated_share=pl.col("n_slotted").filter(repeated).sum() / total,
        # Templated requests that also ask for reasoning: a campaign routed through a
        # reseller shows up as such a stream inside otherwise ordinary traffic.
        templated_cot_share=pl.col("n_cot").filter(repeated).sum() / total,
        templated_cot_requests=pl.col("n_cot").filter(repeated).sum(),
        # ... and how much of that stream several accounts send (0 for a lone account).
        shared_cot_share=(
            pl.col("n_cot").filter(repeated & (pl.col("n_members") >= 2)).sum()
            / pl.col("n_cot").filter(repeated).sum()
        ).fill_nan(0.0),
    )


def _topic_features(account_topics: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per key: share of each capability topic, the top topic, focus and high-value share."""
    shares = account_topics.group_by(key, "topic").agg(n=pl.col("n").sum()).with_columns(
        share=pl.col("n") / pl.col("n").sum().over(key)
    )
    # One row per (key, topic), so each "sum" picks a single share (0.0 when absent).
    wide = shares.group_by(key).agg(
        [pl.col("share").filter(pl.col("topic") == topic).sum().alias(f"topic_{topic}") for topic in TOPICS]
    )
    # The top topic: largest share, ties by name.
    top = shares.group_by(key).agg(
        top_topic=pl.col("topic").sort_by("share", "topic", descending=[True, False]).first(),
        topic_focus=pl.col("share").max(),
    )
    # Chains of additions in topic-name order, over the wide shares: `sum_horizontal`
    # and group sums over floats are not reproducible to the last bit (a parallel
    # engine adds in the order rows arrive).
    ordered = [pl.col(f"topic_{topic}") for topic in sorted(TOPICS)]
    high_value = reduce(operator.add, [pl.col(f"topic_{topic}") for topic in sorted(HIGH_VALUE_TOPICS)])
    plogp = [pl.when(share > 0).then(share * share.log()).otherwise(0.0) for share in ordered]
    return wide.join(top, on=key).with_columns(
        # Topics with a real share of the traffic, and how evenly it spreads over them
        # (0: one topic only, 1: all topics equally).
        n_topics=reduce(operator.add, [(share >= MIN_TOPIC_SHARE).cast(pl.UInt32) for share in ordered]),
        topic_entropy=(-reduce(operator.add, plogp) / math.log(len(TOPICS))).fill_nan(0.0),
        high_value_share=high_value,
    )


def _value_features(account_values: pl.LazyFrame, key: str, kinds_present: frozenset[str]) -> pl.LazyFrame:
    """Per key: distinct IPs, subnets, user agents, payment methods and orgs (0 where the
    key has none of a kind the log holds, null for a kind the log never shows)."""
    counts = account_values.group_by(key, "kind").agg(distinct=pl.col("value").n_unique())
    # One row per (key, kind), so each sum picks a single count.
    return counts.group_by(key).agg(
        [
            (pl.col("distinct").filter(pl.col("kind") == kind).sum() if kind in kinds_present
             else pl.lit(None, dtype=pl.UInt32)).alias(f"n_{kind}s")
            for kind in VALUE_COLUMNS
        ]
    )


def _parameter_features(account_params: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per key: share of requests sent with its single most common explicit parameter set."""
    explicit = account_params.filter(
        pl.col("temperature").is_not_null() | pl.col("max_tokens").is_not_null()
    )
    per_combo = explicit.group_by(key, "temperature", "max_tokens").agg(n=pl.col("n").sum())
    totals = account_params.group_by(key).agg(total=pl.col("n").sum())
    modal = per_combo.group_by(key).agg(modal=pl.col("n").max())
    return totals.join(modal, on=key, how="left").select(
        key, fixed_params_share=(pl.col("modal").fill_null(0) / pl.col("total"))
    )


def newest_model_release(account_buckets: Table) -> tuple[str, int] | None:
    """The newest model and the 10-minute slot it first appears in, if it appears after
    the log's first day (a model present from the start was not released during it)."""
    buckets = account_buckets.lazy()
    firsts, log_first = pl.collect_all(
        [
            buckets.drop_nulls("model").group_by("model").agg(first=pl.col("bucket").min()),
            buckets.select(first=pl.col("bucket").min()),
        ],
        engine="streaming",
    )
    if firsts.height == 0:
        return None
    newest = firsts.sort("first", "model", descending=[True, False]).row(0, named=True)
    if newest["first"] - log_first.item() < BUCKETS_PER_DAY:
        return None
    return newest["model"], newest["first"]


def _pivot_features(account_buckets: pl.LazyFrame, key: str, release: tuple[str, int] | None) -> pl.LazyFrame:
    """Per key: the share of its traffic on the newest model in the 24 h after `release`
    (0 for every key when the log shows no release, see `newest_model_release`)."""
    empty = account_buckets.select(key).unique().with_columns(new_model_share_24h=pl.lit(0.0))
    if release is None:
        return empty
    model, first = release
    window = account_buckets.filter(pl.col("bucket").is_between(first, first + BUCKETS_PER_DAY - 1))
    shares = window.group_by(key).agg(
        new_model_share_24h=pl.col("n").filter(pl.col("model") == model).sum() / pl.col("n").sum()
    )
    return empty.drop("new_model_share_24h").join(shares, on=key, how="left").with_columns(
        pl.col("new_model_share_24h").fill_null(0.0)
    )


def profile(
    aggregates: Aggregates,
    templates: pl.DataFrame,
    key: str = "account_id",
    release: tuple[str, int] | None | Literal["detect"] = "detect",
) -> pl.DataFrame:
    """Behavioural features per `key` ('account_id', or 'group_id' if the tables carry it).

    `release` is the model release the pivot feature measures against; by default it
    is detected in these tables, so pass the whole log's when they hold part of it.

    Every feature reads only its own key's rows, so keys are profiled a range at a time
    (`request_ranges`): the group-bys over the account × frame and × slot tables then
    hold a range's state, not the log's, and the ranges, each sorted, concatenate to
    the one-pass result exactly.
    """
    if release == "detect":
        release = newest_model_release(aggregates.account_buckets)
    kinds_present = frozenset(aggregates.account_values.lazy().select(pl.col("kind").unique()).collect()["kind"])
    return pl.concat([
        _profile_query(aggregates, templates, key, release, kinds_present, within).collect(engine="streaming")
        for within in request_ranges(aggregates.accounts, key)
    ])


def _profile_query(
    aggregates: Aggregates,
    templates: pl.DataFrame,
    key: str,
    release: tuple[str, int] | None,
    kinds_present: frozenset[str],
    within: pl.Expr,
) -> pl.LazyFrame:
    """The features of the keys `within` selects, sorted by key (see `profile`)."""
    # One lazy plan per range: the engine runs the parts side by side, and its
    # group-bys were measured 2-4x faster than the same steps run eagerly.
    tables = {name: getattr(aggregates, name).lazy() for name in TABLES}
    tables = {
        name: table.filter(within) if key in table.collect_schema() else table for name, table in tables.items()
    }
    base = tables["accounts"].group_by(key).agg(
        n_accounts=pl.col("account_id").n_unique(),
        n_requests=pl.col("n").sum(),
        multi_turn_share=pl.col("n_multi_turn").sum() / pl.col("n").sum(),
        cot_share=pl.col("n_cot").sum() / pl.col("n").sum(),
        image_share=pl.col("n_with_images").sum() / pl.col("n").sum(),
        tool_result_share=pl.col("n_with_tool_results").sum() / pl.col("n").sum(),
        input_tokens=pl.col("input_tokens").sum(),
        output_tokens=pl.col("output_tokens").sum(),
        first_seen=pl.col("first_ts").min(),
        last_seen=pl.col("last_ts").max(),
        created_first=pl.col("created_at").min(),
        created_last=pl.col("created_at").max(),
    )
    parts = [
        _hour_profile_features(tables["account_buckets"], key),
        _template_features(tables["account_frames"], templates.lazy(), key),
        _topic_features(tables["account_topics"], key),
        _value_features(tables["account_values"], key, kinds_present),
        _parameter_features(tables["account_params"], key),
        _pivot_features(tables["account_buckets"], key, release),
    ]
    features = base
    for part in parts:
        features = features.join(part, on=key, how="left")
    return features.sort(key)


def attach_key(aggregates: Aggregates, membership: pl.DataFrame) -> Aggregates:
    """Add membership's extra column (e.g. group_id) to every per-account table; accounts
    membership does not name are left out. Lazy tables stay lazy."""
    return aggregates.with_tables(**{
        name: _joined(getattr(aggregates, name), membership)
        for name in TABLES
        if name not in {"frames", "systems"}
    })


def _joined(table: Table, membership: pl.DataFrame) -> Table:
    if isinstance(table, pl.LazyFrame):
        return table.join(membership.lazy(), on="account_id")
    return table.join(membership, on="account_id")
