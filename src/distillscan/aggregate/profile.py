"""Per-key behavioural features from the completed aggregate tables.

`profile` computes the same features for any key: per account, or per group once
accounts carry a `group_id` (`attach_key`), so a group is judged on exactly the
evidence its members hold. Each key's features read only its own rows, so keys are
taken a range at a time (`ranges.request_ranges`).
"""

from __future__ import annotations

import math
import operator
from functools import reduce
from typing import Final, Literal

import polars as pl

from distillscan.aggregate.ranges import request_ranges
from distillscan.aggregate.tables import BUCKET_SECONDS, BUCKETS_PER_DAY, VALUE_COLUMNS
from distillscan.model.aggregates import TABLES, Aggregates, Table
from distillscan.model.templates import REPEATED_TEMPLATE_MIN_REQUESTS, with_template_fp
from distillscan.model.topics import HIGH_VALUE_TOPICS, TOPICS

QUIET_WINDOW_HOURS: Final = 6
# A topic counts toward an account's coverage once it carries this share of its traffic.
MIN_TOPIC_SHARE: Final = 0.05


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
        active_hours=slots.cast(pl.Float64) * (BUCKET_SECONDS / 3600),
        active_days=(pl.col("bucket") // BUCKETS_PER_DAY).n_unique(),
        slot_cv=(variance.sqrt() / mean).fill_null(0.0).fill_nan(0.0),
    )
    return per_key_hours.join(activity, on=key, how="full", coalesce=True)


def _template_features(account_frames: pl.LazyFrame, templates: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per key: how concentrated its traffic is on a few repeated templates.

    One-off frames (null frame_fp, `n_frames` of them per row) count as templates of
    one request each, exactly as if each had kept its own row.
    """
    frames = with_template_fp(account_frames, templates)
    per_template = (
        frames
        .group_by(key, "template_fp")
        .agg(
            n=pl.col("n").sum(),
            n_slotted=pl.col("n_slotted").sum(),
            n_cot=pl.col("n_cot").sum(),
            n_follow_up=pl.col("n_follow_up").sum(),
            n_members=pl.col("account_id").n_unique(),
            n_frames=pl.col("n_frames").sum(),
        )
    )
    real = pl.col("template_fp").is_not_null()
    real_n = pl.col("n").filter(real).cast(pl.Int64)
    one_offs = pl.col("n_frames").filter(~real).sum().cast(pl.Int64)
    total = pl.col("n").sum()
    repeated = real & (pl.col("n_slotted") >= REPEATED_TEMPLATE_MIN_REQUESTS)
    stream = repeated & (pl.col("n_cot") > 0)
    beside = _beside_stream(frames, per_template.filter(stream).select(key, "template_fp"), key)
    features = per_template.sort(key, "template_fp", nulls_last=True).group_by(key, maintain_order=True).agg(
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
        # Later turns, without tool results, among all requests: a tutoring app's
        # students ask on ("how did you get that?"); a harvest takes one answer per item.
        follow_up_share=pl.col("n_follow_up").sum() / total,
        stream_n=pl.col("n").filter(stream).sum().cast(pl.Int64),
        stream_follow_ups=pl.col("n_follow_up").filter(stream).sum().cast(pl.Int64),
    )
    # ... and among the templates that ask for reasoning with the requests that share
    # their system prompts: the students' follow-ups leave the reasoning template but
    # keep the app's system prompt.
    return features.join(beside, on=key, how="left").select(
        pl.exclude("stream_n", "stream_follow_ups", "beside_n", "beside_follow_ups"),
        stream_follow_up_share=(
            (pl.col("stream_follow_ups") + pl.col("beside_follow_ups").fill_null(0))
            / (pl.col("stream_n") + pl.col("beside_n").fill_null(0))
        ).fill_nan(0.0),
    )


def _beside_stream(frames: pl.LazyFrame, stream_templates: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per key: requests (`beside_n`) and follow-ups (`beside_follow_ups`) outside its
    reasoning-eliciting templates (`stream_templates`: key, template_fp) but on a system
    prompt one of them uses.

    A reseller's script with no system prompt of its own gains nothing from its
    customers' conversations; a tutoring app's questions and its students' follow-ups
    share the app's prompt."""
    prompted = frames.filter(pl.col("system_fp").is_not_null()).group_by(key, "template_fp", "system_fp").agg(
        n=pl.col("n").sum().cast(pl.Int64), n_follow_up=pl.col("n_follow_up").sum().cast(pl.Int64)
    )
    stream_systems = prompted.join(stream_templates, on=[key, "template_fp"], how="semi").select(
        key, "system_fp"
    ).unique()
    return (
        prompted.join(stream_templates, on=[key, "template_fp"], how="anti")
        .join(stream_systems, on=[key, "system_fp"], how="semi")
        .group_by(key)
        .agg(beside_n=pl.col("n").sum(), beside_follow_ups=pl.col("n_follow_up").sum())
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
    key has none of a kind the log holds, null for a kind the log never shows); and the
    IPs two or more of its accounts use (`shared_ips`), with the share of its (account,
    IP) rows that fall on them (`shared_ip_share`): a proxy pool its accounts rotate
    through, which no count of distinct addresses shows (see `score.components`)."""
    holders = account_values.group_by(key, "kind", "value").agg(holders=pl.len())
    shared = pl.col("holders") >= 2
    counts = holders.group_by(key, "kind").agg(
        distinct=pl.len(),
        shared=shared.sum(),
        rows=pl.col("holders").sum(),
        rows_shared=pl.col("holders").filter(shared).sum(),
    )
    is_ip = pl.col("kind") == "ip"
    with_ips = "ip" in kinds_present
    # One row per (key, kind), so each sum picks a single count.
    return counts.group_by(key).agg(
        [
            (pl.col("distinct").filter(pl.col("kind") == kind).sum() if kind in kinds_present
             else pl.lit(None, dtype=pl.UInt32)).alias(f"n_{kind}s")
            for kind in VALUE_COLUMNS
        ],
        shared_ips=pl.col("shared").filter(is_ip).sum().cast(pl.UInt32) if with_ips else pl.lit(None, pl.UInt32),
        shared_ip_share=(
            (pl.col("rows_shared").filter(is_ip).sum() / pl.col("rows").filter(is_ip).sum()).fill_nan(0.0)
            if with_ips else pl.lit(None, pl.Float64)
        ),
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
    release: tuple[str, int] | Literal["detect"] | None = "detect",
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
    features: pl.LazyFrame = base
    for part in parts:
        features = features.join(part, on=key, how="left")
    return features.sort(key)


def attach_key(aggregates: Aggregates, membership: pl.DataFrame) -> Aggregates:
    """Add membership's extra column (e.g. group_id) to every per-account table, as lazy
    joins that `profile` runs a range of keys at a time; accounts membership does not
    name are left out. Joined eagerly, the (account, value) table of the 30M-request
    log (8.2M IP and subnet rows) was copied whole with a group id on each row: scoring
    peaked 1.16 GB over what the scan held."""
    return aggregates.with_tables(**{
        name: _joined(getattr(aggregates, name), membership)
        for name in TABLES
        if name not in {"frames", "systems"}
    })


def _joined(table: Table, membership: pl.DataFrame) -> pl.LazyFrame:
    return table.lazy().join(membership.lazy(), on="account_id")
