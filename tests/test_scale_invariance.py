"""Issue 17: one set of campaign accounts inside 5x more benign traffic forms the same groups."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.synth import SynthConfig, ground_truth, write_synthetic

FLAGGED = ("critical", "high", "medium")


def _campaign_view(n_requests: int, tmp_path: Path) -> tuple[set[tuple[str, ...]], set[str]]:
    """The campaign accounts' partition into groups, and which of them are flagged."""
    config = SynthConfig(n_requests=n_requests, seed=5, campaign_scale=20_000)
    path = tmp_path / f"log{n_requests}.parquet"
    write_synthetic(config, path)
    result = scan([str(path)], ScanOptions())
    campaign = ground_truth(config).filter(pl.col("label") == "campaign").select("account_id")
    members = result.linkage.membership.join(campaign, on="account_id").join(
        result.report.groups.select("group_id", "severity"), on="group_id"
    )
    partition = {
        tuple(accounts) for accounts in members.group_by("group_id").agg(pl.col("account_id").sort())["account_id"]
    }
    return partition, set(members.filter(pl.col("severity").is_in(FLAGGED))["account_id"])


def test_the_same_campaigns_in_more_benign_traffic_form_the_same_groups(tmp_path: Path) -> None:
    small_partition, small_flagged = _campaign_view(20_000, tmp_path)
    large_partition, large_flagged = _campaign_view(100_000, tmp_path)
    assert sum(len(group) for group in small_partition) >= 60
    assert small_partition == large_partition
    assert small_flagged == large_flagged
