"""Stage 5: score each account group, assign a severity and say why.

A distillation campaign needs two things at once, and the score asks for both:

* **content** that harvests: traffic on repeated templates or eliciting step-by-step
  reasoning, supported by narrow focus on high-value capabilities, single-turn requests
  and fixed sampling parameters;
* **behaviour** of an operation rather than of people: flat 24-hour automation,
  coordination across many accounts (shared payment and network, creation bursts,
  load-balanced volumes), and moving traffic to a new model right after release.

Each component is a number in [0, 1] computed from the group's own aggregates; the
score is the geometric mean of content and behaviour, so an eval run (templated but
one-off) or an enterprise service (automated but diverse) stays low, and only groups
that show both rank high. The weights below are the whole model; they are documented
in the README and every component is reported with the group.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Final, Literal

import polars as pl

from distillscan.aggregate.features import (
    BUCKETS_PER_DAY,
    attach_key,
    newest_model_release,
    profile,
)
from distillscan.model.aggregates import Aggregates
from distillscan.model.groups import SEVERITY_THRESHOLDS, GroupReport
from distillscan.model.templates import stable_fp

# Behaviour is a noisy-OR of these weighted components.
BEHAVIOUR_WEIGHTS: Final[dict[str, float]] = {
    "automation": 0.6,
    "coordination": 0.6,
    "pivot": 0.4,
    "fresh_accounts": 0.3,
    "shared_stream": 0.4,
}
# A stream shared by accounts counts in full once it has run for this many days.
SUSTAINED_DAYS: Final = 7
# Content = harvest × (1 - SUPPORT_WEIGHT + SUPPORT_WEIGHT × mean(support components)),
# times n / (n + EVIDENCE_PRIOR_REQUESTS) so a handful of requests cannot look certain.
EVIDENCE_PRIOR_REQUESTS: Final = 10
SUPPORT_WEIGHT: Final = 0.3
COT_SATURATION: Final = 0.5
# Templated requests that ask for reasoning count in full once they are this share of a
# group's traffic (and at least STREAM_MIN_REQUESTS requests).
STREAM_SHARE_SATURATION: Final = 0.25
STREAM_MIN_REQUESTS: Final = 50
CREATION_WINDOW_DAYS: Final = 2
ACCOUNTS_FOR_FULL_SCALE: Final = 100
PIVOT_LOOKBACK_DAYS: Final = 7
# An account first used within this many days of its creation counts as fresh.
FRESH_ACCOUNT_DAYS: Final = 30


def _clip(expr: pl.Expr) -> pl.Expr:
    return expr.clip(0.0, 1.0).fill_null(0.0).fill_nan(0.0)


def _member_features(account_features: pl.DataFrame, membership: pl.DataFrame) -> pl.DataFrame:
    """Group features that must be judged per member (a group of people in many time zones
    has a flat *combined* hour profile, but each person still sleeps)."""
    # Sorted, so float sums add in one order whatever order the rows came in.
    members = account_features.join(membership, on="account_id").sort("group_id", "account_id")
    weight = pl.col("n_requests").cast(pl.Float64)
    age_days = (pl.col("first_seen") - pl.col("created_first")).dt.total_seconds() / 86_400
    return members.group_by("group_id", maintain_order=True).agg(
        member_quiet_share=(pl.col("quiet_share").fill_null(0.0) * weight).sum() / weight.sum(),
        account_volume_cv=(weight.std(ddof=0) / weight.mean()).fill_null(0.0),
        # Over all members: an account without a creation date is not counted as fresh.
        fresh_account_share=(age_days < FRESH_ACCOUNT_DAYS).fill_null(False).sum() / pl.len(),
    )


def _creation_burst(aggregates: Aggregates, membership: pl.DataFrame) -> pl.DataFrame:
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


def _pivot_lift(
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
    platform_share = (
        window.filter(pl.col("model") == model)["n"].sum() / max(window["n"].sum(), 1)
    )
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


def _components(groups: pl.DataFrame) -> pl.DataFrame:
    """Add each score component (0..1), content, behaviour, score and severity."""
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
    many = pl.col("n_accounts") >= 3
    with_parts = groups.with_columns(
        c_templated=_clip(pl.col("templated_share")),
        c_cot=_clip(pl.col("cot_share") / COT_SATURATION),
        c_capability=_clip((pl.col("high_value_share") - 0.5) / 0.45),
        c_single_turn=_clip((1.0 - pl.col("multi_turn_share") - 0.6) / 0.35),
        c_fixed_params=_clip(pl.col("fixed_params_share")),
        c_automation=_clip(pl.col("member_quiet_share")),
        c_shared_infra=pl.max_horizontal(shared_billing, shared_network),
        c_creation_burst=pl.when(many).then(_clip(pl.col("creation_burst_share"))).otherwise(0.0),
        c_load_balance=pl.when(many)
        .then(_clip(1.0 - pl.col("account_volume_cv") / 1.5))
        .otherwise(0.0),
        c_scale=scale,
        c_pivot=_clip(pl.col("pivot_lift") / 0.3) * scale,
        c_fresh_accounts=_clip(pl.col("fresh_account_share")),
    ).with_columns(
        c_coordination=pl.col("c_scale")
        * pl.max_horizontal("c_shared_infra", "c_creation_burst", "c_load_balance"),
    )
    harvest = 1.0 - (1.0 - pl.col("c_templated")) * (1.0 - pl.col("c_cot"))
    support = (pl.col("c_capability") + pl.col("c_single_turn") + pl.col("c_fixed_params")) / 3.0
    behaviour = 1.0 - math.prod(
        [1.0] + [(1.0 - weight * pl.col(f"c_{name}")) for name, weight in BEHAVIOUR_WEIGHTS.items()]
    )
    stream = pl.when(pl.col("templated_cot_requests") >= STREAM_MIN_REQUESTS).then(
        _clip(pl.col("templated_cot_share") / STREAM_SHARE_SATURATION)
    ).otherwise(0.0)
    scored = with_parts.with_columns(
        c_cot_stream=stream,
        # Several accounts sending one reasoning-eliciting template, for days: coordination
        # without shared infrastructure (an eval harness run once by two labs is brief).
        c_shared_stream=stream
        * _clip(pl.col("shared_cot_share"))
        * _clip(pl.col("active_days").cast(pl.Float64) / SUSTAINED_DAYS),
    ).with_columns(
        content=pl.max_horizontal(
            harvest * (1.0 - SUPPORT_WEIGHT + SUPPORT_WEIGHT * support), pl.col("c_cot_stream")
        )
        * pl.col("n_requests")
        / (pl.col("n_requests") + EVIDENCE_PRIOR_REQUESTS),
        behaviour=behaviour,
    ).with_columns(score=(pl.col("content") * pl.col("behaviour")).sqrt().round(4))
    severity = pl.lit(SEVERITY_THRESHOLDS[-1][0])
    for name, threshold in reversed(SEVERITY_THRESHOLDS[:-1]):
        severity = pl.when(pl.col("score") >= threshold).then(pl.lit(name)).otherwise(severity)
    return scored.with_columns(severity=severity)


def _group_templates(
    aggregates: Aggregates, templates: pl.DataFrame, membership: pl.DataFrame, top: int = 3
) -> pl.DataFrame:
    """The top templates of each group with their skeleton and reach."""
    # Lazy up to the top rows: the (account, frame) table has millions of rows in a large
    # log, and the engine's joins and group-bys were measured 2-3x faster than eager ones.
    frames = aggregates.account_frames.lazy().join(membership.lazy(), on="account_id").join(
        templates.lazy(), on="frame_fp", how="left"
    ).with_columns(template_fp=pl.col("template_fp").fill_null(pl.col("frame_fp")))
    per_template = frames.group_by("group_id", "template_fp").agg(
        n_requests=pl.col("n").sum(), n_accounts=pl.col("account_id").n_unique()
    ).with_columns(share=pl.col("n_requests") / pl.col("n_requests").sum().over("group_id"))
    top_rows = (
        # Shares count one-off prompts (null: frames seen once), which are no template.
        per_template.drop_nulls("template_fp").sort(["group_id", "n_requests", "template_fp"], descending=[False, True, False])
        .group_by("group_id", maintain_order=True)
        .head(top)
        .collect(engine="streaming")
    )
    skeletons = aggregates.frames.select(
        template_fp=pl.col("frame_fp"), skeleton=pl.col("skeleton")
    ).unique("template_fp")
    with_text = top_rows.join(skeletons, on="template_fp", how="left")
    return with_text.with_columns(
        template=pl.col("skeleton").map_elements(stable_fp, return_dtype=pl.String)
    ).select("group_id", "template", "skeleton", "n_requests", "n_accounts", "share")


def _percent(value: float) -> str:
    return f"{round(100 * value)}%"


def group_reasons(row: dict[str, object], n_templates_top: int) -> list[str]:
    """Human-readable reasons for one scored group, strongest first, with numbers."""

    def num(key: str) -> float:
        value = row.get(key)
        return float(value) if isinstance(value, (int, float)) else 0.0

    n_accounts = int(num("n_accounts"))
    n_requests = int(num("n_requests"))
    one = n_accounts == 1
    who = "1 account" if one else f"{n_accounts} accounts"
    candidates: list[tuple[float, bool, str]] = [
        (num("c_templated"), num("c_templated") >= 0.3,
         f"{who} {'sends' if one else 'send'} repeated prompt templates: "
         f"{_percent(num('templated_share'))} of {'its' if one else 'their'} {n_requests:,} requests "
         f"(top {n_templates_top} template{'s' if n_templates_top != 1 else ''}: "
         f"{_percent(num('top3_template_share'))})"),
        (num("c_cot"), num("cot_share") >= 0.2,
         f"{_percent(num('cot_share'))} of requests ask for step-by-step reasoning"),
        (num("c_shared_stream"), num("c_shared_stream") >= 0.3,
         f"the same reasoning-eliciting templates run across accounts on "
         f"{int(num('active_days'))} days ({_percent(num('templated_cot_share'))} of requests)"),
        (num("c_capability") * 0.8, num("c_capability") >= 0.3,
         f"{_percent(num('high_value_share'))} of requests target high-value capabilities "
         f"(top: {str(row.get('top_topic')).replace('_', ' ')} {_percent(num('topic_focus'))})"),
        (num("c_automation"), num("c_automation") >= 0.5,
         "traffic runs around the clock: the quietest 6 hours of each account carry "
         f"{_percent(num('member_quiet_share') / 4)} of its requests (people who sleep: ~0%)"),
        (num("c_creation_burst") * num("c_scale"), num("c_creation_burst") >= 0.5,
         f"{int(num('creation_burst_accounts'))} of {n_accounts} accounts were created within "
         f"{CREATION_WINDOW_DAYS * 24} hours"),
        (num("c_shared_infra") * num("c_scale"), num("c_shared_infra") >= 0.3 and not one,
         f"{who} share " + " and ".join(
             part for part in (
                 f"{int(num('n_payments'))} payment methods" if num("n_payments") else "",
                 f"{int(num('n_ips'))} IPs in {int(num('n_subnets'))} subnets" if num("n_subnets") else "",
             ) if part
         )),
        (num("c_load_balance") * num("c_scale"), num("c_load_balance") >= 0.5,
         "volume is spread evenly over accounts (coefficient of variation "
         f"{num('account_volume_cv'):.2f}), as a load balancer does"),
        (num("c_pivot"), num("c_pivot") >= 0.3,
         f"moved {_percent(num('pivot_lift'))} more of its traffic than the platform to "
         f"{row.get('new_model')} within 24 h of its first appearance"),
        (num("c_fresh_accounts") * 0.5, num("c_fresh_accounts") >= 0.5,
         f"{_percent(num('fresh_account_share'))} of accounts were first used within "
         f"{FRESH_ACCOUNT_DAYS} days of being created"),
        (0.2, num("c_single_turn") >= 0.5 and num("c_fixed_params") >= 0.5,
         f"{_percent(1 - num('multi_turn_share'))} single-turn requests; "
         f"{_percent(num('fixed_params_share'))} with identical temperature/max_tokens"),
    ]
    shown = sorted(
        ((strength, text) for strength, applies, text in candidates if applies),
        key=lambda item: (-item[0], item[1]),
    )
    return [text for _, text in shown]


class GroupReasons(Mapping[str, list[str]]):
    """Reasons per group, written on first access: a report shows a few groups out of
    (often) tens of thousands of singletons, so writing them all would be wasted work."""

    def __init__(self, scored: pl.DataFrame, top_templates: pl.DataFrame) -> None:
        self._scored = scored
        self._row_of = {group_id: index for index, group_id in enumerate(scored["group_id"].to_list())}
        self._template_counts = dict(top_templates.group_by("group_id").agg(pl.len()).iter_rows())
        self._written: dict[str, list[str]] = {}

    def __getitem__(self, group_id: str) -> list[str]:
        if group_id not in self._written:
            row = self._scored.row(self._row_of[group_id], named=True)
            self._written[group_id] = group_reasons(row, self._template_counts.get(group_id, 0))
        return self._written[group_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)


def _group_features(
    aggregates: Aggregates,
    templates: pl.DataFrame,
    membership: pl.DataFrame,
    account_features: pl.DataFrame,
    release: tuple[str, int] | None,
) -> pl.DataFrame:
    """`profile` per group. A group of one account has exactly its account's features
    (same formulas over the same rows), so only groups of several are profiled again:
    in a large log most groups are single accounts."""
    sizes = membership.group_by("group_id").agg(n_members=pl.len())
    shared = membership.join(sizes.filter(pl.col("n_members") > 1), on="group_id", how="semi")
    several = profile(
        attach_key(aggregates, shared), templates, key="group_id", release=release,
    )
    alone = account_features.join(membership.join(shared, on="account_id", how="anti"), on="account_id")
    return pl.concat([several, alone.select(several.columns)]).sort("group_id")


def score_groups(
    aggregates: Aggregates,
    templates: pl.DataFrame,
    membership: pl.DataFrame,
    account_features: pl.DataFrame,
    release: tuple[str, int] | None | Literal["detect"] = "detect",
) -> GroupReport:
    """Score every group and rank them (score, then requests, then id — deterministic).

    `release` is the log's newest model release, as for `features.profile`; by default
    it is detected (one pass over the account × slot table, which may be on disk)."""
    if release == "detect":
        release = newest_model_release(aggregates.account_buckets)
    group_features = _group_features(aggregates, templates, membership, account_features, release)
    groups = (
        group_features.join(_member_features(account_features, membership), on="group_id")
        .join(_creation_burst(aggregates, membership), on="group_id", how="left")
        .join(_pivot_lift(aggregates, membership, release), on="group_id", how="left")
    )
    scored = _components(groups).sort(
        ["score", "n_requests", "group_id"], descending=[True, True, False]
    ).with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32))
    top_templates = _group_templates(aggregates, templates, membership)
    reasons = GroupReasons(scored, top_templates)
    accounts = account_features.join(membership, on="account_id").join(
        scored.select("group_id", "score", "severity"), on="group_id"
    )
    return GroupReport(groups=scored, accounts=accounts, templates=top_templates, reasons=reasons)
