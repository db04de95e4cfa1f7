"""The group view (`explain`): everything about one group, from the scan's merged
aggregates, the template map and the scored report. No second read of the logs; the
example requests that do read them are `examples.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Final

import polars as pl

from distillscan.aggregate.profile import newest_model_release
from distillscan.aggregate.tables import BUCKET_SECONDS, BUCKETS_PER_DAY, VALUE_COLUMNS
from distillscan.investigate.components import score_components
from distillscan.investigate.resolve import resolve_group
from distillscan.investigate.templates import with_template_text, with_templates
from distillscan.model.evidence import Measurable
from distillscan.model.scan import ScanResult
from distillscan.model.topics import HIGH_VALUE_TOPICS
from distillscan.model.views import GroupView, ModelRelease
from distillscan.score.components import PIVOT_LOOKBACK_DAYS

# Columns of the per-account figures `explain` shows for each member.
MEMBER_COLUMNS: Final[tuple[str, ...]] = (
    "account_id", "n_requests", "first_seen", "last_seen", "active_days", "templated_share",
    "cot_share", "top_topic", "topic_focus", "multi_turn_share", "quiet_share",
    "new_model_share_24h", "n_ips", "n_subnets", "n_payments", "n_user_agents", "n_orgs",
    "created_first",
)


def _bucket_day(bucket: pl.Expr) -> pl.Expr:
    return (bucket // BUCKETS_PER_DAY).cast(pl.Int32).cast(pl.Date)


def _bucket_time(bucket: pl.Expr) -> pl.Expr:
    return pl.from_epoch(bucket * BUCKET_SECONDS, time_unit="s").dt.replace_time_zone("UTC")


def _bucket_datetime(bucket: int) -> datetime:
    moment: datetime = pl.select(_bucket_time(pl.lit(bucket, dtype=pl.Int64))).item()
    return moment


def _members(result: ScanResult, group_id: str) -> pl.DataFrame:
    return result.linkage.membership.filter(pl.col("group_id") == group_id).select("account_id")


def _one_off_requests(result: ScanResult, members: pl.DataFrame) -> int:
    """The members' requests whose frame appears once in the whole log."""
    one_offs = result.aggregates.account_frames.lazy().filter(pl.col("frame_fp").is_null())
    mine = one_offs.join(members.lazy(), on="account_id", how="semi")
    return int(mine.select(pl.col("n").sum()).collect(engine="streaming").item() or 0)


def _group_templates(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    """Every template the members send, with its reach inside and outside the group."""
    frames = with_templates(result.aggregates.account_frames, result.templates)
    mine = frames.join(members.lazy(), on="account_id", how="semi", maintain_order="left").collect(
        engine="streaming"
    )
    # Shares count one-off prompts (null: frames seen once), which are listed as no template.
    group_requests = max(int(mine["n"].sum()), 1)
    per_template = mine.drop_nulls("template_fp").group_by("template_fp").agg(
        n_requests=pl.col("n").sum(),
        n_accounts=pl.col("account_id").n_unique(),
        n_cot=pl.col("n_cot").sum(),
        first_seen=pl.col("first_ts").min(),
        last_seen=pl.col("last_ts").max(),
    )
    reach = (
        frames.join(per_template.lazy().select("template_fp"), on="template_fp", how="semi")
        .group_by("template_fp")
        .agg(n_accounts_total=pl.col("account_id").n_unique())
        .collect(engine="streaming")
    )
    with_text = with_template_text(result, per_template).join(reach, on="template_fp", how="left")
    return with_text.select(
        "template_fp", "template", "skeleton", "n_requests", "n_accounts", "n_accounts_total",
        share=pl.col("n_requests") / group_requests,
        cot_share=pl.col("n_cot") / pl.col("n_requests"),
        first_seen="first_seen", last_seen="last_seen",
    ).sort(["n_requests", "template", "skeleton"], descending=[True, False, False], nulls_last=True)


def _group_links(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    """The members' strongest links to one another, strongest first (ties: ids)."""
    inside = members.get_column("account_id").implode()
    return (
        result.linkage.edges.filter(pl.col("a").is_in(inside), pl.col("b").is_in(inside))
        .sort(["similarity", "a", "b"], descending=[True, False, False])
    )


def _group_topics(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    topics = (
        result.aggregates.account_topics.join(members, on="account_id", how="semi")
        .group_by("topic")
        .agg(n=pl.col("n").sum())
    )
    return topics.with_columns(
        share=pl.col("n") / pl.col("n").sum(),
        high_value=pl.col("topic").is_in(sorted(HIGH_VALUE_TOPICS)),
    ).sort(["n", "topic"], descending=[True, False])


def _group_infrastructure(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    """IPs, subnets, user agents, payment fingerprints and orgs the members use."""
    values = result.aggregates.account_values.lazy()
    per_value = (
        values.join(members.lazy(), on="account_id", how="semi")
        .group_by("kind", "value")
        .agg(n_requests=pl.col("n").sum(), n_accounts=pl.col("account_id").n_unique())
        .collect()
    )
    reach = (
        values.join(per_value.lazy().select("kind", "value"), on=["kind", "value"], how="semi")
        .group_by("kind", "value")
        .agg(n_accounts_total=pl.col("account_id").n_unique())
        .collect()
    )
    order = {kind: index for index, kind in enumerate(VALUE_COLUMNS)}
    return (
        per_value.join(reach, on=["kind", "value"], how="left")
        .with_columns(_order=pl.col("kind").replace_strict(order, default=len(order), return_dtype=pl.Int32))
        .sort(["_order", "n_accounts", "n_requests", "value"], descending=[False, True, True, False])
        .drop("_order")
    )


def _group_models(result: ScanResult, buckets: pl.DataFrame) -> pl.DataFrame:
    """Per model the group used: volume, share, its first use and the lag behind the log's."""
    log_first = result.aggregates.account_buckets.lazy().drop_nulls("model").group_by("model").agg(
        log_first=pl.col("bucket").min()
    ).collect(engine="streaming")
    per_model = buckets.group_by("model").agg(
        n_requests=pl.col("n").sum(), first=pl.col("bucket").min(), last=pl.col("bucket").max()
    )
    return (
        per_model.join(log_first, on="model", how="left")
        .select(
            "model",
            "n_requests",
            share=pl.col("n_requests") / pl.col("n_requests").sum(),
            first_seen=_bucket_time(pl.col("first")),
            last_seen=_bucket_time(pl.col("last")),
            log_first_seen=_bucket_time(pl.col("log_first")),
            lag_hours=(pl.col("first") - pl.col("log_first")) * BUCKET_SECONDS / 3600,
        )
        .sort(["first_seen", "model"], nulls_last=True)
    )


def _group_release(result: ScanResult, buckets: pl.DataFrame) -> ModelRelease | None:
    """The newest model's release (see `features.newest_model_release`) from the group's side."""
    release = newest_model_release(result.aggregates.account_buckets)
    if release is None:
        return None
    model, first = release
    in_window = pl.col("bucket").is_between(first, first + BUCKETS_PER_DAY - 1)
    on_model = pl.col("model") == model
    platform = result.aggregates.account_buckets.lazy().filter(in_window).collect(engine="streaming")
    platform_share = platform.filter(on_model)["n"].sum() / max(int(platform["n"].sum()), 1)
    window = buckets.filter(in_window)
    window_total = float(window["n"].sum())
    used = buckets.filter(on_model)["bucket"].min()
    before = buckets.filter(
        pl.col("bucket").is_between(first - PIVOT_LOOKBACK_DAYS * BUCKETS_PER_DAY, first - 1)
    ).height
    return ModelRelease(
        model=model,
        released_at=_bucket_datetime(first),
        group_first_use=None if used is None else _bucket_datetime(int(used)),  # type: ignore[arg-type]
        lag_hours=None if used is None else (int(used) - first) * BUCKET_SECONDS / 3600,  # type: ignore[arg-type]
        group_share_24h=float(window.filter(on_model)["n"].sum()) / window_total if window_total else None,
        platform_share_24h=float(platform_share),
        pivot_lift=0.0,
        active_before=before > 0,
    )


def group_view(result: ScanResult, group_id: str) -> GroupView:
    """Everything about one group (an id or rank, see `resolve_group`), from the scan's
    aggregates: no second read of the logs."""
    group_id = resolve_group(result, group_id)
    group = result.report.groups.filter(pl.col("group_id") == group_id).row(0, named=True)
    members = _members(result, group_id)
    buckets = (
        result.aggregates.account_buckets.lazy()
        .join(members.lazy(), on="account_id", how="semi", maintain_order="left")
        .collect(engine="streaming")
    )
    accounts = (
        result.report.accounts.join(members, on="account_id", how="semi")
        .select(MEMBER_COLUMNS)
        .sort(["n_requests", "account_id"], descending=[True, False])
    )
    activity = (
        buckets.group_by(
            day=_bucket_day(pl.col("bucket")),
            hour=((pl.col("bucket") % BUCKETS_PER_DAY) * BUCKET_SECONDS // 3600).cast(pl.Int8),
        )
        .agg(n=pl.col("n").sum())
        .sort("day", "hour")
    )
    model_days = (
        buckets.group_by(day=_bucket_day(pl.col("bucket")), model=pl.col("model"))
        .agg(n=pl.col("n").sum())
        .sort("day", "model", nulls_last=True)
    )
    release = _group_release(result, buckets)
    if release is not None:
        release = replace(release, pivot_lift=float(group.get("pivot_lift") or 0.0))
    return GroupView(
        group=group,
        reasons=list(result.report.reasons.get(group_id, [])),
        accounts=accounts,
        templates=_group_templates(result, members),
        one_off_requests=_one_off_requests(result, members),
        topics=_group_topics(result, members),
        activity=activity,
        model_days=model_days,
        infrastructure=_group_infrastructure(result, members),
        models=_group_models(result, buckets),
        release=release,
        components=score_components(group, Measurable(result.summary.signals_unknown)),
        links=_group_links(result, members),
    )
