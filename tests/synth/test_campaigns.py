"""Campaigns: the hydra's release pivot and shared infrastructure; the smaller campaigns' shapes."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from distillscan.synth import NEW_MODEL, OLD_MODEL, SynthConfig


def test_hydra_moves_about_half_its_traffic_within_a_day_of_release(labelled: pl.DataFrame,
                                                                    release: datetime) -> None:
    assert labelled.filter(pl.col("timestamp") < release)["model"].unique().to_list() == [OLD_MODEL]
    first_day = labelled.filter(pl.col("timestamp").is_between(release, release + timedelta(hours=24),
                                                               closed="left"))
    share = first_day.group_by("kind").agg((pl.col("model") == NEW_MODEL).mean().alias("new"))
    new = dict(share.iter_rows())
    assert 0.4 <= new["hydra"] <= 0.55
    assert new["ordinary"] < 0.1 and new["nat"] < 0.15 and new["enterprise"] < 0.1
    later = labelled.filter(pl.col("timestamp") >= release + timedelta(days=5), pl.col("kind") == "ordinary")
    assert later.select((pl.col("model") == NEW_MODEL).mean()).item() > new["ordinary"]


def test_hydra_is_load_balanced_over_shared_infrastructure(labelled: pl.DataFrame) -> None:
    hydra = labelled.filter(pl.col("kind") == "hydra")
    assert (hydra["turn"] == 1).all()
    assert 40 <= hydra["ip"].n_unique() <= 80
    subnets = hydra.select(pl.col("ip").str.replace(r"\.\d+$", "")).to_series().n_unique()
    assert 6 <= subnets <= 10
    assert 5 <= hydra["payment_fingerprint"].n_unique() <= 15
    assert 2 <= hydra["user_agent"].n_unique() <= 3
    assert hydra["temperature"].n_unique() == 1 and hydra["max_tokens"].n_unique() == 1
    cot = hydra.select(pl.col("prompt").str.contains("(?i)step by step|step-by-step|chain of reasoning").mean()).item()
    assert 0.55 <= cot <= 0.75
    by_hour = hydra.group_by(pl.col("timestamp").dt.hour()).len()["len"]
    assert by_hour.min() > 0.6 * by_hour.max()


def test_smaller_campaigns_have_their_shapes(labelled: pl.DataFrame, config: SynthConfig) -> None:
    rubric = labelled.filter(pl.col("kind") == "cot_rubric")
    assert rubric["payment_fingerprint"].n_unique() <= 2 and rubric["ip"].n_unique() <= 3
    assert rubric["account_created_at"].dt.date().n_unique() <= 2
    para = labelled.filter(pl.col("kind") == "paraphrase")
    per_account = para.group_by("account_id").agg(pl.col("system").n_unique())
    assert (per_account["system"] == 1).all()
    assert para["system"].n_unique() == para["account_id"].n_unique()
    slow = labelled.filter(pl.col("kind") == "low_slow").group_by("account_id").len()
    assert (slow["len"] <= 30 * config.days).all()
