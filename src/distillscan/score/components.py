"""The score components of a group, each a number in [0, 1] from its own aggregates,
and how they combine into content, behaviour, score and severity."""

from __future__ import annotations

import math
from typing import Final, TypeVar

import polars as pl

from distillscan.aggregate.tables import BUCKETS_PER_DAY
from distillscan.model.aggregates import Aggregates
from distillscan.model.evidence import CREATION_SKEW, Measurable
from distillscan.model.groups import SEVERITY_THRESHOLDS

# Behaviour is a noisy-OR of these weighted components.
BEHAVIOUR_WEIGHTS: Final[dict[str, float]] = {
    "automation": 0.6,
    "coordination": 0.6,
    "pivot": 0.4,
    "fresh_accounts": 0.3,
    "shared_stream": 0.4,
}
# A stream shared by accounts counts in full once it has run this many hours in all
# (10-minute slots with traffic): an evaluation harness's runs touch several days but
# last a few hours each; a harvest runs for days. Measured on the generator's 10M log:
# four harnesses sharing a public benchmark template, 7 days touched, ~10 hours run.
SUSTAINED_HOURS: Final = 48
# Later turns without tool results, up to this share of requests, are what scripts send
# too (a "continue", a "verify"); past it the traffic converses (a tutoring app's
# students ask on), and its content counts up to CONVERSATION_DISCOUNT less, in full at
# CONVERSATION_FREE_SHARE + CONVERSATION_SPAN.
CONVERSATION_FREE_SHARE: Final = 0.2
CONVERSATION_SPAN: Final = 0.3
CONVERSATION_DISCOUNT: Final = 0.6
# Content = harvest × (1 - SUPPORT_WEIGHT + SUPPORT_WEIGHT × mean(support components)),
# harvest = 1 - (1 - templated × value) × (1 - cot), value weighting capability,
# times n / (n + EVIDENCE_PRIOR_REQUESTS) so a handful of requests cannot look certain.
EVIDENCE_PRIOR_REQUESTS: Final = 10
SUPPORT_WEIGHT: Final = 0.3
# Templated share counts (1 - w) + w × capability toward harvest.
TEMPLATE_VALUE_WEIGHT: Final = 0.5
COT_SATURATION: Final = 0.5
# Templated requests that ask for reasoning count in full once they are this share of a
# group's traffic (and at least STREAM_MIN_REQUESTS requests).
STREAM_SHARE_SATURATION: Final = 0.25
STREAM_MIN_REQUESTS: Final = 50
CREATION_WINDOW_DAYS: Final = 2
ACCOUNTS_FOR_FULL_SCALE: Final = 100
# Relaying a flagged group's own frames (`relay`) counts from the second distinct one,
# in full from this many: one is a coincidence (74 benign groups on the 10M-request log
# sent one, none two). It joins the noisy-OR at RELAY_WEIGHT, outside BEHAVIOUR_WEIGHTS:
# always measurable and nearly always 0, it neither gives nor takes weight when other
# families are unknown.
RELAY_SATURATION: Final = 3
RELAY_WEIGHT: Final = 0.6
PIVOT_LOOKBACK_DAYS: Final = 7
# A proxy pool shows in full once this many of a group's exit addresses are each used by
# two or more of its accounts (`aggregate.profile`): one office or NAT address shared by
# a team is not a pool. On the 1M-request real-text log a rotating-proxy campaign of
# 1,818 accounts shared 22,717 addresses (67% of its account-address rows); the two
# groups of benign customers of the same provider shared 16 and 19 (3%), a team or an
# enterprise backend 1 to 5.
POOL_FULL_ADDRESSES: Final = 100
# An account first used within this many days of its creation counts as fresh.
FRESH_ACCOUNT_DAYS: Final = 30


_Value = TypeVar("_Value", float, pl.Expr)


def template_value(capability: _Value) -> _Value:
    """What a templated request counts toward harvest, from the capability component:
    (1 - TEMPLATE_VALUE_WEIGHT) + TEMPLATE_VALUE_WEIGHT × capability."""
    return 1.0 - TEMPLATE_VALUE_WEIGHT + TEMPLATE_VALUE_WEIGHT * capability


def _clip(expr: pl.Expr) -> pl.Expr:
    return expr.clip(0.0, 1.0).fill_null(0.0).fill_nan(0.0)


def _conversing(follow_up_share: pl.Expr) -> pl.Expr:
    """How far past scripted follow-ups a share of later turns is (0..1)."""
    return _clip((follow_up_share - CONVERSATION_FREE_SHARE) / CONVERSATION_SPAN)


def _discount(component: str) -> pl.Expr:
    """What content keeps for a conversation component (1 where it is unknown)."""
    return 1.0 - CONVERSATION_DISCOUNT * pl.col(component).fill_null(0.0)


def seen_before_creation(first_seen: pl.Expr, created_at: pl.Expr) -> pl.Expr:
    """An account first seen CREATION_SKEW or more before its creation time: the clocks
    disagree, so its age says nothing (`evidence.CLOCK_MISMATCH_SHARE`)."""
    return first_seen < created_at - CREATION_SKEW


def member_features(account_features: pl.DataFrame, membership: pl.DataFrame) -> pl.DataFrame:
    """Group features that must be judged per member (a group of people in many time zones
    has a flat *combined* hour profile, but each person still sleeps)."""
    # Sorted, so float sums add in one order whatever order the rows came in.
    members = account_features.join(membership, on="account_id").sort("group_id", "account_id")
    weight = pl.col("n_requests").cast(pl.Float64)
    age_days = (pl.col("first_seen") - pl.col("created_first")).dt.total_seconds() / 86_400
    early = seen_before_creation(pl.col("first_seen"), pl.col("created_first"))
    return members.group_by("group_id", maintain_order=True).agg(
        member_quiet_share=(pl.col("quiet_share").fill_null(0.0) * weight).sum() / weight.sum(),
        account_volume_cv=(weight.std(ddof=0) / weight.mean()).fill_null(0.0),
        # Over all members: an account without a creation date, or first seen before it
        # (`seen_before_creation`), is not counted as fresh.
        fresh_account_share=((age_days < FRESH_ACCOUNT_DAYS) & ~early).fill_null(False).sum() / pl.len(),
    )


def creation_burst(aggregates: Aggregates, membership: pl.DataFrame) -> pl.DataFrame:
    """Per group: the largest share of its accounts created within CREATION_WINDOW_DAYS."""
    created = aggregates.accounts.select("account_id", "created_at").join(
        membership, on="account_id"
    ).drop_nulls("created_at")
    if created.height == 0:
        return membership.select("group_id").unique().with_columns(
            creation_burst_share=pl.lit(0.0), creation_burst_accounts=pl.lit(0, dtype=pl.UInt32)
        )
    per_day = created.group_by("group_id", day=pl.col("created_at").dt.truncate("1d")).agg(
        n=pl.len()
    )
    sizes = membership.group_by("group_id").agg(size=pl.len())
    windows = (
        per_day.join(per_day, on="group_id", suffix="_other")
        .filter(
            (pl.col("day_other") >= pl.col("day"))
            & (pl.col("day_other") < pl.col("day") + pl.duration(days=CREATION_WINDOW_DAYS))
        )
        .group_by("group_id", "day")
        .agg(in_window=pl.col("n_other").sum())
        .group_by("group_id")
        .agg(creation_burst_accounts=pl.col("in_window").max())
    )
    return sizes.join(windows, on="group_id", how="left").select(
        "group_id",
        creation_burst_accounts=pl.col("creation_burst_accounts").fill_null(0),
        creation_burst_share=(pl.col("creation_burst_accounts").fill_null(0) / pl.col("size")),
    )


def pivot_lift(
    aggregates: Aggregates, membership: pl.DataFrame, newest: tuple[str, int] | None
) -> pl.DataFrame:
    """Per group: how much more of its traffic moved to the newest model in the 24 h after
    that model appeared than the platform as a whole, counted only for groups already
    active in the week before (an operation that *moved*, not an eval that started).
    `newest` is the log's newest model release (`newest_model_release`)."""
    groups = membership.select("group_id").unique()
    zero = groups.with_columns(pivot_lift=pl.lit(0.0), new_model=pl.lit(None, dtype=pl.String))
    if newest is None:
        return zero
    model, release = newest
    # Only the day after the release and the week before it are read (the table may be
    # a scan of files much larger than memory).
    buckets = aggregates.account_buckets.lazy().join(membership.lazy(), on="account_id")
    window, before = pl.collect_all(
        [
            buckets.filter(pl.col("bucket").is_between(release, release + BUCKETS_PER_DAY - 1)),
            buckets.filter(
                pl.col("bucket").is_between(release - PIVOT_LOOKBACK_DAYS * BUCKETS_PER_DAY, release - 1)
            )
            .select("group_id")
            .unique(),
        ],
        engine="streaming",
    )
    in_window = window.select(
        new=pl.col("n").filter(pl.col("model") == model).sum(), all=pl.col("n").sum()
    ).row(0)
    platform_share = in_window[0] / max(in_window[1], 1)
    lift = (
        window.join(before, on="group_id")
        .group_by("group_id")
        .agg(
            share=pl.col("n").filter(pl.col("model") == model).sum() / pl.col("n").sum()
        )
        .select("group_id", pivot_lift=pl.col("share") - platform_share)
    )
    return (
        groups.join(lift, on="group_id", how="left")
        .with_columns(pl.col("pivot_lift").fill_null(0.0), new_model=pl.lit(model))
    )


COMPONENT_FAMILIES: Final[dict[str, str]] = {
    "c_automation": "daily_timing",
    "c_shared_stream": "daily_timing",
    "c_pivot": "model_pivot",
    "c_fresh_accounts": "account_age",
    "c_creation_burst": "account_creation",
    "c_shared_infra": "shared_infrastructure",
    "c_single_turn": "conversation_depth",
    "c_conversation": "conversation_depth",
    "c_stream_conversation": "conversation_depth",
    "c_fixed_params": "fixed_parameters",
}
"""The evidence family each component needs; a component whose family the log cannot
show is null (unknown) and left out of content and behaviour."""
MAX_REDISTRIBUTED_WEIGHT: Final = 0.95
# ... and at most this many times its own weight: in a log squeezed into one minute
# (timing and pivot unknown) proportional shares lifted "first used within 30 days of
# creation", true of every new customer, from 0.3 to 0.77, and alone it took 192
# benign singletons to medium and 12 to high at 10M requests.
MAX_REDISTRIBUTION_FACTOR: Final = 2.0
# ... and these take none: true of every new customer, alone they describe no operation.
# Doubled in a one-minute log, fresh accounts alone took 11 users of a popular agent's
# prompt (single accounts) to medium at 10M requests, above the reseller.
UNLIFTED: Final = frozenset({"fresh_accounts"})


def behaviour_weights(measurable: Measurable) -> dict[str, float]:
    """The noisy-OR weight of each known behaviour component: unknown components' weight
    is shared out over the known ones in proportion (each at most
    MAX_REDISTRIBUTED_WEIGHT and MAX_REDISTRIBUTION_FACTOR times its own), so a log that
    cannot show timing still reaches the same range of behaviour from what it does show."""
    known = {
        name: weight for name, weight in BEHAVIOUR_WEIGHTS.items()
        if measurable.knows(COMPONENT_FAMILIES.get(f"c_{name}", ""))
    }
    scale = sum(BEHAVIOUR_WEIGHTS.values()) / sum(known.values()) if known else 0.0
    factor = min(scale, MAX_REDISTRIBUTION_FACTOR)
    return {
        name: weight if name in UNLIFTED else min(MAX_REDISTRIBUTED_WEIGHT, weight * factor)
        for name, weight in known.items()
    }


def add_components(groups: pl.DataFrame, measurable: Measurable | None = None) -> pl.DataFrame:
    """Add each score component (0..1, null when unknown), content, behaviour, score and
    severity."""
    measurable = Measurable() if measurable is None else measurable

    def known(name: str, value: pl.Expr) -> pl.Expr:
        return value if measurable.knows(COMPONENT_FAMILIES.get(name, "")) else pl.lit(None, dtype=pl.Float64)

    scale = _clip(
        pl.col("n_accounts").cast(pl.Float64).log10() / math.log10(ACCOUNTS_FOR_FULL_SCALE)
    )
    accounts = pl.col("n_accounts").cast(pl.Float64)
    # A family with no data (column absent or all null) is no evidence, not full sharing.
    shared_billing = pl.when(pl.col("n_payments").fill_null(0) > 0).then(
        _clip((accounts / pl.col("n_payments")).log10() / 1.5)
    ).otherwise(0.0)
    shared_network = pl.when(pl.col("n_subnets").fill_null(0) > 0).then(
        _clip((accounts / pl.col("n_subnets")).log10() / 1.5)
    ).otherwise(0.0)
    # Accounts that rotate through one pool share its addresses, not a few of them.
    shared_pool = _clip(pl.col("shared_ip_share")) * _clip(
        pl.col("shared_ips").cast(pl.Float64).log10() / math.log10(POOL_FULL_ADDRESSES)
    )
    many = pl.col("n_accounts") >= 3
    with_parts = groups.with_columns(
        c_templated=_clip(pl.col("templated_share")),
        c_cot=_clip(pl.col("cot_share") / COT_SATURATION),
        c_capability=_clip((pl.col("high_value_share") - 0.5) / 0.45),
        c_single_turn=known("c_single_turn", _clip((1.0 - pl.col("multi_turn_share") - 0.6) / 0.35)),
        c_fixed_params=known("c_fixed_params", _clip(pl.col("fixed_params_share"))),
        c_automation=known("c_automation", _clip(pl.col("member_quiet_share"))),
        c_shared_infra=known("c_shared_infra", pl.max_horizontal(shared_billing, shared_network, shared_pool)),
        c_creation_burst=known(
            "c_creation_burst", pl.when(many).then(_clip(pl.col("creation_burst_share"))).otherwise(0.0)
        ),
        c_load_balance=pl.when(many)
        .then(_clip(1.0 - pl.col("account_volume_cv") / 1.5))
        .otherwise(0.0),
        c_scale=scale,
        c_pivot=known("c_pivot", _clip(pl.col("pivot_lift") / 0.3) * scale),
        c_fresh_accounts=known("c_fresh_accounts", _clip(pl.col("fresh_account_share"))),
        c_conversation=known("c_conversation", _conversing(pl.col("follow_up_share"))),
        c_stream_conversation=known("c_stream_conversation", _conversing(pl.col("stream_follow_up_share"))),
        # Accounts that each word one system prompt their own way (a bespoke family, see
        # `link.evidence`): variation made on purpose, across the group, to look unrelated.
        c_bespoke=_clip(pl.col("bespoke_accounts").cast(pl.Float64) / accounts),
        # Accounts whose task items overlap far beyond chance (`link.coharvest`): one
        # dataset spread over them.
        c_coharvest=_clip(pl.col("item_linked_accounts").cast(pl.Float64) / accounts),
        # Frames only a flagged group's accounts send (`relay`): its traffic relayed.
        c_relay=_clip((pl.col("relayed_frames").cast(pl.Float64) - 1.0) / (RELAY_SATURATION - 1)),
    ).with_columns(
        # max_horizontal skips nulls: coordination is what the known parts show.
        c_coordination=pl.col("c_scale")
        * pl.max_horizontal("c_shared_infra", "c_creation_burst", "c_load_balance", "c_bespoke", "c_coharvest"),
    )
    # Templated traffic harvests in full only on valuable capabilities: a backend filling
    # one extraction or report template all day is automation, not distillation.
    templated_value = pl.col("c_templated") * template_value(pl.col("c_capability"))
    harvest = 1.0 - (1.0 - templated_value) * (1.0 - pl.col("c_cot"))
    # mean_horizontal skips nulls: support is the mean of the known support components.
    support = pl.mean_horizontal("c_capability", "c_single_turn", "c_fixed_params")
    behaviour = 1.0 - math.prod(
        [1.0 - RELAY_WEIGHT * pl.col("c_relay")]
        + [(1.0 - weight * pl.col(f"c_{name}")) for name, weight in behaviour_weights(measurable).items()]
    )
    stream = pl.when(pl.col("templated_cot_requests") >= STREAM_MIN_REQUESTS).then(
        _clip(pl.col("templated_cot_share") / STREAM_SHARE_SATURATION)
    ).otherwise(0.0)
    scored = with_parts.with_columns(
        c_cot_stream=stream,
        # Several accounts sending one reasoning-eliciting template, for days: coordination
        # without shared infrastructure (an eval harness run once by two labs is brief).
        c_shared_stream=known(
            "c_shared_stream",
            stream * _clip(pl.col("shared_cot_share")) * _clip(pl.col("active_hours") / SUSTAINED_HOURS),
        ),
    ).with_columns(
        # Conversing traffic (unknown: no discount) counts less, the stream by its own
        # follow-ups: a campaign routed through a reseller is one script among chatting
        # customers.
        content=pl.max_horizontal(
            harvest * (1.0 - SUPPORT_WEIGHT + SUPPORT_WEIGHT * support) * _discount("c_conversation"),
            pl.col("c_cot_stream") * _discount("c_stream_conversation"),
        )
        * pl.col("n_requests")
        / (pl.col("n_requests") + EVIDENCE_PRIOR_REQUESTS),
        behaviour=behaviour,
    ).with_columns(score=(pl.col("content") * pl.col("behaviour")).sqrt().round(4))
    severity = pl.lit(SEVERITY_THRESHOLDS[-1][0])
    for name, threshold in reversed(SEVERITY_THRESHOLDS[:-1]):
        severity = pl.when(pl.col("score") >= threshold).then(pl.lit(name)).otherwise(severity)
    return scored.with_columns(severity=severity)
