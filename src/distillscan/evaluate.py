"""Detection quality against ground truth: recall per campaign, precision, ranking quality.

Ground truth is one row per account: account_id, label ('campaign' | 'benign'), kind,
entity_id — what `distillscan synth` writes next to a generated log. The evaluation
judges the scan the way a responder would act on it: an account is *flagged* when its
group's severity is at or above `flag_severity` (default medium).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from distillscan.errors import InputError
from distillscan.model.groups import SEVERITIES, severity_rank

TRUTH_COLUMNS: Final = ("account_id", "label", "kind")


def read_truth(path: Path) -> pl.DataFrame:
    """The ground-truth CSV; InputError (file named) when it is unreadable or lacks a
    column the evaluation needs."""
    try:
        truth = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as error:
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        raise InputError(str(path), f"cannot read ground truth CSV: {reason}") from None
    missing = [name for name in TRUTH_COLUMNS if name not in truth.columns]
    if missing:
        found = ", ".join(truth.columns[:20]) or "none"
        raise InputError(
            str(path), f"ground truth CSV lacks column(s) {', '.join(missing)} (columns found: {found})",
            field=missing[0],
        )
    return truth


@dataclass(frozen=True)
class Evaluation:
    """All figures of one evaluation; `as_dict` is what the CLI prints as JSON."""

    flag_severity: str
    account_precision: float
    account_recall: float
    flagged_accounts: int
    truth_accounts_not_in_scan: int
    per_kind: pl.DataFrame
    """kind, label, accounts, flagged, recall (campaign) or false-positive rate (benign)."""
    per_campaign: pl.DataFrame
    """One row per campaign (kind, entity_id): accounts, flagged, recall, groups (how many
    groups hold its accounts: 1 is whole, more is fragmented), flagged_groups, largest_share
    (its accounts in its largest group) and purity (the share of that group's accounts that
    are this campaign's)."""
    benign_by_severity: pl.DataFrame
    """kind, then one column per severity: benign accounts of each kind at each severity."""
    group_average_precision: float
    campaign_groups: int
    benign_groups: int
    campaign_groups_above_all_benign: int
    campaign_accounts_above_all_benign: float
    """The share of campaign accounts whose group ranks above every benign group: the
    same question asked of accounts rather than groups, so that a campaign's hundreds of
    one-account stragglers do not outweigh its main group."""
    pairwise_ranking_accuracy: float
    top_benign_rank: int | None
    lowest_campaign_rank: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "flag_severity": self.flag_severity,
            "account_precision": round(self.account_precision, 4),
            "account_recall": round(self.account_recall, 4),
            "flagged_accounts": self.flagged_accounts,
            "truth_accounts_not_in_scan": self.truth_accounts_not_in_scan,
            "group_average_precision": round(self.group_average_precision, 4),
            "campaign_groups": self.campaign_groups,
            "benign_groups": self.benign_groups,
            "campaign_groups_above_all_benign": self.campaign_groups_above_all_benign,
            "campaign_accounts_above_all_benign": round(self.campaign_accounts_above_all_benign, 4),
            "pairwise_ranking_accuracy": round(self.pairwise_ranking_accuracy, 4),
            "top_benign_rank": self.top_benign_rank,
            "lowest_campaign_rank": self.lowest_campaign_rank,
            "per_kind": _rows(self.per_kind),
            "per_campaign": _rows(self.per_campaign),
            "benign_by_severity": _rows(self.benign_by_severity),
        }


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {key: (round(value, 4) if isinstance(value, float) else value) for key, value in row.items()}
        for row in frame.iter_rows(named=True)
    ]


def _average_precision(labels_in_rank_order: list[bool]) -> float:
    """Average precision of a ranked list of positive/negative labels."""
    positives = sum(labels_in_rank_order)
    if positives == 0:
        return 0.0
    hits = 0
    total = 0.0
    for position, is_positive in enumerate(labels_in_rank_order, start=1):
        if is_positive:
            hits += 1
            total += hits / position
    return total / positives


def evaluate(
    groups: pl.DataFrame,
    membership: pl.DataFrame,
    truth: pl.DataFrame,
    flag_severity: str = "medium",
) -> Evaluation:
    """Compare scored groups (group_id, rank, score, severity) with ground truth.

    A group is a *campaign group* when most of its accounts are campaign accounts.
    Ranking quality counts how many campaign groups rank above every benign group and
    the share of (campaign, benign) group pairs in the right order.
    """
    flagged_levels = list(SEVERITIES[: severity_rank(flag_severity) + 1])
    # Truth accounts the scan never saw (skipped rows, another log) stay in the
    # denominators, unflagged: dropping them would inflate recall.
    accounts = (
        truth.select("account_id", "label", "kind", entity_id=_entity(truth))
        .join(membership, on="account_id", how="left")
        .join(groups.select("group_id", "rank", "score", "severity"), on="group_id", how="left")
        .with_columns(flagged=pl.col("severity").is_in(flagged_levels).fill_null(False))
    )
    missing = accounts.filter(pl.col("group_id").is_null()).height
    accounts_seen = accounts.drop_nulls("group_id")
    is_campaign = pl.col("label") == "campaign"
    flagged = accounts.filter("flagged")
    true_flags = flagged.filter(is_campaign).height
    precision = true_flags / flagged.height if flagged.height else 1.0
    campaign_total = accounts.filter(is_campaign).height
    recall = true_flags / campaign_total if campaign_total else 1.0
    per_kind = (
        accounts.group_by("label", "kind")
        .agg(accounts=pl.len(), flagged=pl.col("flagged").sum())
        .with_columns(flag_rate=pl.col("flagged") / pl.col("accounts"))
        .sort("label", "kind", descending=[True, False])
    )
    labelled_groups = (
        accounts_seen.group_by("group_id", "rank", "score")
        .agg(campaign_share=is_campaign.mean())
        .with_columns(is_campaign=pl.col("campaign_share") > 0.5)
        .sort("rank")
    )
    order = labelled_groups["is_campaign"].to_list()
    campaign_ranks = labelled_groups.filter("is_campaign")["rank"].to_list()
    benign_ranks = labelled_groups.filter(~pl.col("is_campaign"))["rank"].to_list()
    top_benign = min(benign_ranks) if benign_ranks else None
    above = sum(1 for rank in campaign_ranks if top_benign is None or rank < top_benign)
    # Truth accounts the scan never saw count as below (their rank is null).
    accounts_above = accounts.filter(
        is_campaign & (pl.col("rank") < top_benign if top_benign is not None else pl.col("rank").is_not_null())
    ).height
    correct_pairs = 0
    benign_seen = 0
    for is_positive in order:
        if is_positive:
            correct_pairs += len(benign_ranks) - benign_seen
        else:
            benign_seen += 1
    pair_total = len(campaign_ranks) * len(benign_ranks)
    return Evaluation(
        per_campaign=_per_campaign(accounts),
        benign_by_severity=_benign_by_severity(accounts),
        flag_severity=flag_severity,
        account_precision=precision,
        account_recall=recall,
        flagged_accounts=flagged.height,
        truth_accounts_not_in_scan=missing,
        per_kind=per_kind,
        group_average_precision=_average_precision(order),
        campaign_groups=len(campaign_ranks),
        benign_groups=len(benign_ranks),
        campaign_groups_above_all_benign=above,
        campaign_accounts_above_all_benign=accounts_above / campaign_total if campaign_total else 1.0,
        pairwise_ranking_accuracy=correct_pairs / pair_total if pair_total else 1.0,
        top_benign_rank=top_benign,
        lowest_campaign_rank=max(campaign_ranks) if campaign_ranks else None,
    )


def _entity(truth: pl.DataFrame) -> pl.Expr:
    """Which campaign an account belongs to: its entity_id, else (older truth files) its kind."""
    return (pl.col("entity_id") if "entity_id" in truth.columns else pl.col("kind")).cast(pl.String)


def _per_campaign(accounts: pl.DataFrame) -> pl.DataFrame:
    """Recall and fragmentation of each campaign (see `Evaluation.per_campaign`)."""
    labelled = accounts.rename({"entity_id": "entity"})
    group_sizes = labelled.drop_nulls("group_id").group_by("group_id").agg(group_accounts=pl.len())
    campaigns = labelled.filter(pl.col("label") == "campaign")
    per_group = (
        campaigns.drop_nulls("group_id")
        .group_by("kind", "entity", "group_id")
        .agg(in_group=pl.len(), group_flagged=pl.col("flagged").any())
        .join(group_sizes, on="group_id")
        .sort("in_group", "group_id", descending=[True, False])
    )
    largest = per_group.group_by("kind", "entity", maintain_order=True).agg(
        groups=pl.len(),
        flagged_groups=pl.col("group_flagged").sum(),
        largest=pl.col("in_group").first(),
        purity=(pl.col("in_group") / pl.col("group_accounts")).first(),
    )
    return (
        campaigns.group_by("kind", "entity")
        .agg(accounts=pl.len(), flagged=pl.col("flagged").sum())
        .join(largest, on=["kind", "entity"], how="left")
        .select(
            "kind",
            entity_id="entity",
            accounts="accounts",
            flagged="flagged",
            recall=pl.col("flagged") / pl.col("accounts"),
            groups=pl.col("groups").fill_null(0),
            flagged_groups=pl.col("flagged_groups").fill_null(0),
            largest_share=pl.col("largest").fill_null(0) / pl.col("accounts"),
            purity=pl.col("purity"),
        )
        .sort("kind", "entity_id")
    )


def _benign_by_severity(accounts: pl.DataFrame) -> pl.DataFrame:
    """Benign accounts of each kind at each severity (see `Evaluation.benign_by_severity`)."""
    benign = accounts.filter(pl.col("label") == "benign")
    return benign.select(
        "kind", *[(pl.col("severity") == name).fill_null(False).alias(name) for name in SEVERITIES]
    ).group_by("kind").agg(pl.col(name).sum() for name in SEVERITIES).sort("kind")
