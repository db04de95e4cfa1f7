"""The hydra: many small accounts behind a rotating proxy pool, jittered timing, crews, a staggered pivot."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from distillscan.synth import NEW_MODEL, OLD_MODEL
from tests.synth.helpers import gap_cv, kind, subnet


def test_hydra_accounts_rotate_through_a_proxy_pool_shared_with_benign_customers(labelled: pl.DataFrame) -> None:
    hydra = kind(labelled, "hydra")
    per_account = hydra.group_by("account_id").agg(pl.len(), ips=pl.col("ip").n_unique(),
                                                   subnets=subnet().n_unique())
    busy = per_account.filter(pl.col("len") >= 20)
    assert (busy["ips"] >= 0.6 * busy["len"]).mean() > 0.9
    assert per_account["ips"].max() >= 100 and per_account["subnets"].max() >= 80
    assert hydra.select(subnet().n_unique()).item() >= 200
    proxy_users = kind(labelled, "proxy_user")
    shared = set(hydra["ip"]) & set(proxy_users["ip"])
    assert len(shared) >= 0.3 * proxy_users["ip"].n_unique()


def test_hydra_is_many_small_accounts_with_a_heavy_tail(labelled: pl.DataFrame) -> None:
    volume = kind(labelled, "hydra").group_by("account_id").len()["len"]
    assert volume.len() >= 40
    assert volume.median() < 60 and volume.max() > 5 * volume.median()


def test_hydra_accounts_are_created_in_a_stream_and_pay_in_small_clusters(labelled: pl.DataFrame) -> None:
    accounts = kind(labelled, "hydra").unique("account_id")
    assert accounts["account_created_at"].dt.date().n_unique() >= 0.4 * accounts.height
    per_payment = accounts.group_by("payment_fingerprint").len()["len"]
    assert per_payment.max() <= 6
    assert per_payment.filter(per_payment >= 2).sum() >= 0.5 * accounts.height


def test_hydra_timing_is_jittered_and_its_settings_vary(labelled: pl.DataFrame) -> None:
    hydra = kind(labelled, "hydra")
    assert 0.7 <= gap_cv(hydra).median() <= 2.0
    by_hour = hydra.group_by(pl.col("timestamp").dt.hour()).len()["len"]
    assert by_hour.min() < 0.8 * by_hour.max()
    assert hydra["temperature"].n_unique() >= 2 and hydra["max_tokens"].n_unique() >= 2
    assert hydra["user_agent"].n_unique() >= 2
    assert 0.05 <= hydra.select((pl.col("turn") > 1).mean()).item() <= 0.4
    cot = hydra.select(pl.col("prompt").str.contains("(?i)step by step|step-by-step|chain of reasoning").mean()).item()
    assert 0.3 <= cot <= 0.8


def test_hydra_pivots_within_a_day_each_account_on_its_own(labelled: pl.DataFrame, release: datetime) -> None:
    assert labelled.filter(pl.col("timestamp") < release)["model"].unique().to_list() == [OLD_MODEL]
    day_after = labelled.filter(pl.col("timestamp").is_between(release + timedelta(hours=18),
                                                               release + timedelta(hours=30), closed="left"))
    new = dict(day_after.group_by("kind").agg((pl.col("model") == NEW_MODEL).mean()).iter_rows())
    assert 0.3 <= new["hydra"] <= 0.7
    assert new["ordinary"] < 0.1 and new["enterprise"] < 0.1
    per_account = (kind(day_after, "hydra").group_by("account_id")
                   .agg((pl.col("model") == NEW_MODEL).mean().alias("new"), pl.len()).filter(pl.col("len") >= 5))
    assert per_account["new"].std() > 0.1
