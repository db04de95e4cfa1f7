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
that show both rank high. The weights in `components` are the whole model; they are documented
in the README and every component is reported with the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from distillscan.aggregate.profile import attach_key, newest_model_release, profile
from distillscan.aggregate.tables import VALUE_COLUMNS
from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.frames import relayed_frame_rows
from distillscan.link.groups import group_id_for
from distillscan.model.aggregates import Aggregates
from distillscan.model.evidence import Measurable
from distillscan.model.groups import ITEMS_KIND, WALK_KIND, GroupReport
from distillscan.model.templates import stable_fp, with_template_fp
from distillscan.score.components import (
    add_components,
    creation_burst,
    member_features,
    pivot_lift,
    seen_before_creation,
)
from distillscan.score.reasons import GroupReasons
from distillscan.score.relay import OWNER_SEVERITIES, RELAY_SCHEMA, bystanders, relay_counts, relayed_frames


def _group_templates(
    aggregates: Aggregates, templates: pl.DataFrame, membership: pl.DataFrame, top: int = 3
) -> pl.DataFrame:
    """The top templates of each group with their skeleton and reach."""
    # Lazy up to the top rows: the (account, frame) table has millions of rows in a large
    # log, and the engine's joins and group-bys were measured 2-3x faster than eager ones.
    # Accounts and groups as numbers through the group-by: with the ids (strings) on each
    # of the 15.9M (account, frame) rows at 30M requests, it held 0.5 GB more.
    group_ids = membership.select("group_id").unique().sort("group_id").with_row_index("group")
    members = membership.join(group_ids, on="group_id").select("account_id", "group").with_row_index("account")
    frames = _template_rows(aggregates, templates, members)
    # Distinct accounts are not counted here: a set per (group, template) key held 0.46 GB
    # more at 30M requests (15.9M (account, frame) rows) once templates were held to near
    # duplicates, whose keys are more. Where the first and last account differ, the
    # accounts are counted below, for the listed rows of those groups only.
    per_template = frames.group_by("group", "template_fp").agg(
        n_requests=pl.col("n").sum(), first=pl.col("account").min(), last=pl.col("account").max()
    ).with_columns(share=pl.col("n_requests") / pl.col("n_requests").sum().over("group"))
    # Shares count one-off prompts (null: frames seen once), which are no template. Ties
    # in requests are broken by the skeleton's text, not by a fingerprint's value, so the
    # listing does not depend on the hash function: rows tied at the cut are kept first.
    top_rows = (
        per_template.drop_nulls("template_fp")
        .filter(pl.col("n_requests").rank("min", descending=True).over("group") <= top)
        .collect(engine="streaming")
    )
    several = top_rows.filter(pl.col("first") != pl.col("last")).select("group", "template_fp")
    reach = (
        _template_rows(aggregates, templates, members.filter(pl.col("group").is_in(several["group"].implode())))
        .join(several.lazy(), on=["group", "template_fp"], how="semi")
        .group_by("group", "template_fp")
        .agg(n_accounts=pl.col("account").n_unique().cast(pl.UInt32))
        .collect(engine="streaming")
    )
    contenders = (
        top_rows.join(reach, on=["group", "template_fp"], how="left")
        .join(group_ids, on="group")
        .select("group_id", "template_fp", "n_requests", pl.col("n_accounts").fill_null(1), "share")
    )
    # The skeletons of the contenders only: the repeated frames' skeletons, copied whole
    # to be de-duplicated, held 0.3 GB more at 30M requests (1.9M frames).
    skeletons = (
        aggregates.frames.lazy()
        .select(template_fp=pl.col("frame_fp"), skeleton=pl.col("skeleton"))
        .filter(pl.col("template_fp").is_in(contenders.get_column("template_fp").unique().implode()))
        .unique("template_fp")
        .collect()
    )
    with_text = (
        contenders.join(skeletons, on="template_fp", how="left")
        .sort(["group_id", "n_requests", "skeleton"], descending=[False, True, False], nulls_last=True)
        .group_by("group_id", maintain_order=True)
        .head(top)
    )
    return with_text.with_columns(
        template=pl.col("skeleton").map_elements(stable_fp, return_dtype=pl.String)
    ).select("group_id", "template", "skeleton", "n_requests", "n_accounts", "share")


def _template_rows(aggregates: Aggregates, templates: pl.DataFrame, members: pl.DataFrame) -> pl.LazyFrame:
    """(group, account, n, template_fp): the (account, frame) rows of `members`
    (account_id, group, account: numbers) with each frame's template."""
    return (
        aggregates.account_frames.lazy()
        .join(members.lazy(), on="account_id")
        .pipe(with_template_fp, templates)
        .select("group", "account", "n", "template_fp")
    )


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
    release: tuple[str, int] | Literal["detect"] | None = "detect",
    measurable: Measurable | None = None,
    tokens: pl.DataFrame | None = None,
) -> GroupReport:
    """Score every group and rank them (score, then requests, then id — deterministic).

    `release` is the log's newest model release, as for `features.profile`; by default
    it is detected (one pass over the account × slot table, which may be on disk).
    `measurable` says which evidence families the log can show (default: what the
    aggregates hold values for, see `measurable_in`). `tokens` are the accounts'
    evidence tokens from linking (`Linkage.tokens`): the members holding a bespoke
    system-prompt family, and those linked by co-harvested items, count as coordination
    (none, without them). Groups are scored twice: the second time with the frames each
    sends that a group the first flags owns (`relay`); where that alone lifts a group
    to high or critical, its members sending none of those frames are set apart, each a
    group of its own (`GroupReport.membership` is the membership after that)."""
    if release == "detect":
        release = newest_model_release(aggregates.account_buckets)
    if measurable is None:
        measurable = measurable_in(aggregates, release)
    scoring = _Scoring(aggregates, templates, account_features, release, tokens)
    groups = scoring.frame(membership)
    # Scored twice: the groups the first scoring flags own the frames others relay.
    first = add_components(_with_relays(groups, RELAY_SCHEMA.to_frame(eager=True)), measurable)
    owners = first.filter(pl.col("severity").is_in(OWNER_SEVERITIES), pl.col("n_accounts") >= MIN_GROUP_SIZE)
    relay_rows = relayed_frame_rows(aggregates.account_frames, membership, owners.get_column("group_id").unique())
    relays = relay_counts(relay_rows)
    scored = first if relays.is_empty() else add_components(_with_relays(groups, relays), measurable)
    # The relay is evidence about the members that relay: where it alone lifts a group
    # to an owner's severity, the members sending none of its relayed frames go apart.
    lifted = scored.join(first.select("group_id", before="severity"), on="group_id").filter(
        pl.col("severity").is_in(OWNER_SEVERITIES), ~pl.col("before").is_in(OWNER_SEVERITIES),
        pl.col("n_accounts") > 1,
    ).get_column("group_id")
    apart = bystanders(aggregates.account_frames, membership, relay_rows, lifted) if lifted.len() else None
    if apart is not None and not apart.is_empty():
        membership, groups = _set_apart(scoring, membership, groups, apart)
        relays = relayed_frames(aggregates.account_frames, membership, owners)
        scored = add_components(_with_relays(groups, relays), measurable)
    scored = scored.sort(["score", "n_requests", "group_id"], descending=[True, True, False]).with_columns(
        rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)
    )
    top_templates = _group_templates(aggregates, templates, membership)
    reasons = GroupReasons(scored, top_templates)
    accounts = account_features.join(membership, on="account_id").join(
        scored.select("group_id", "score", "severity"), on="group_id"
    )
    return GroupReport(
        groups=scored, accounts=accounts, templates=top_templates, reasons=reasons, membership=membership
    )


@dataclass(frozen=True)
class _Scoring:
    """What a group's scoring frame is computed from, whatever the membership."""

    aggregates: Aggregates
    templates: pl.DataFrame
    account_features: pl.DataFrame
    release: tuple[str, int] | None
    tokens: pl.DataFrame | None

    def frame(self, membership: pl.DataFrame) -> pl.DataFrame:
        """One row per group of `membership`: its features and what its members hold,
        the input of `add_components` (relays aside)."""
        aggregates, tokens = self.aggregates, self.tokens
        return (
            _group_features(aggregates, self.templates, membership, self.account_features, self.release)
            .join(member_features(self.account_features, membership), on="group_id")
            .join(creation_burst(aggregates, membership), on="group_id", how="left")
            .join(pivot_lift(aggregates, membership, self.release), on="group_id", how="left")
            .join(_holders(tokens, membership, "bespoke_system", "bespoke_accounts"), on="group_id", how="left")
            .join(_holders(tokens, membership, ITEMS_KIND, "item_linked_accounts"), on="group_id", how="left")
            .join(_holders(tokens, membership, WALK_KIND, "walking_accounts"), on="group_id", how="left")
            .with_columns(
                pl.col("bespoke_accounts", "item_linked_accounts", "walking_accounts").fill_null(0),
                split_from=pl.lit(None, dtype=pl.String),
                set_apart=pl.lit(0, dtype=pl.UInt32),
            )
        )


def _set_apart(
    scoring: _Scoring, membership: pl.DataFrame, groups: pl.DataFrame, apart: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`membership` and the scoring frame `groups` with each account of `apart`
    (account_id, group_id) a group of its own, and the rest of its group under the id of
    its smallest remaining account (ids stay derived from the smallest member,
    `group_id_for`); only the groups that change are profiled again."""
    rest = membership.join(apart, on="account_id", how="anti")
    new_ids = (
        rest.filter(pl.col("group_id").is_in(apart.get_column("group_id").implode()))
        .group_by("group_id")
        .agg(smallest=pl.col("account_id").min())
        .with_columns(new_id=pl.col("smallest").map_elements(group_id_for, return_dtype=pl.String))
        .select("group_id", "new_id")
    )
    moved = apart.join(new_ids, on="group_id").select(
        "account_id",
        group_id=pl.col("account_id").map_elements(group_id_for, return_dtype=pl.String),
        split_from="new_id",
    )
    updated = (
        membership.join(new_ids, on="group_id", how="left", maintain_order="left")
        .join(moved.select("account_id", moved_to="group_id"), on="account_id", how="left", maintain_order="left")
        .select("account_id", group_id=pl.coalesce("moved_to", "new_id", "group_id"))
    )
    regrouped = updated.filter(
        pl.col("account_id").is_in(moved.get_column("account_id").implode())
        | pl.col("group_id").is_in(new_ids.get_column("new_id").implode())
    )
    changed = pl.concat([
        groups.filter(~pl.col("group_id").is_in(new_ids.get_column("group_id").implode())),
        scoring.frame(regrouped),
    ])
    notes = _split_notes(moved)
    return updated, changed.drop("split_from", "set_apart").join(notes, on="group_id", how="left").with_columns(
        pl.col("set_apart").fill_null(0)
    )


def _split_notes(moved: pl.DataFrame) -> pl.DataFrame:
    """(group_id, split_from, set_apart): for each account set apart, the group it left;
    for each group left, how many were set apart."""
    left = moved.group_by(group_id="split_from").agg(set_apart=pl.len().cast(pl.UInt32))
    return pl.concat([
        moved.select("group_id", "split_from", set_apart=pl.lit(0, dtype=pl.UInt32)),
        left.select("group_id", pl.lit(None, dtype=pl.String).alias("split_from"), "set_apart"),
    ])


def _with_relays(groups: pl.DataFrame, relays: pl.DataFrame) -> pl.DataFrame:
    """`groups` with each one's relay counts (`relay.relayed_frames`; 0 where none)."""
    return groups.join(relays, on="group_id", how="left").with_columns(
        pl.col("relayed_frames", "relayed_requests").fill_null(0)
    )


def _holders(tokens: pl.DataFrame | None, membership: pl.DataFrame, kind: str, name: str) -> pl.DataFrame:
    """(group_id, `name`): how many of each group's accounts hold a token of `kind`
    (groups with none are left out)."""
    if tokens is None:
        return pl.DataFrame(schema={"group_id": pl.String, name: pl.UInt32})
    holders = tokens.filter(pl.col("kind") == kind).select("account_id").unique()
    return (
        membership.join(holders, on="account_id", how="semi")
        .group_by("group_id")
        .agg(pl.len().cast(pl.UInt32).alias(name))
    )


def measurable_in(aggregates: Aggregates, release: tuple[str, int] | None) -> Measurable:
    """What evidence a log with these aggregates can show: the canonical columns it holds
    values for (read off the aggregates), its time span and whether a model was released."""
    accounts = aggregates.accounts
    first = accounts["first_ts"].min() if accounts.height else None
    last = accounts["last_ts"].max() if accounts.height else None
    values = aggregates.account_values.lazy().select(pl.col("kind").unique()).collect().get_column("kind").to_list()
    params = aggregates.account_params
    columns = [
        *(VALUE_COLUMNS[kind] for kind in values),
        *(name for name in ("temperature", "max_tokens") if params[name].is_not_null().any()),
        *(["account_created_at"] if accounts["created_at"].is_not_null().any() else []),
        *(["turn"] if accounts["n_depth_known"].sum() else []),
        "model",
    ]
    dated = accounts.filter(pl.col("created_at").is_not_null())
    early = dated.filter(seen_before_creation(pl.col("first_ts"), pl.col("created_at"))).height
    return Measurable.of_log(
        columns,
        first if isinstance(first, datetime) else None,
        last if isinstance(last, datetime) else None,
        model_release=release is not None,
        clock_mismatch=(early, dated.height),
    )
