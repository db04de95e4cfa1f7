"""Human populations: ordinary users look human; the look-alikes have their hard shapes."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from distillscan.synth import SynthConfig
from distillscan.synth.corpus import load_corpus
from tests.synth.helpers import kind


def test_ordinary_users_look_human(labelled: pl.DataFrame) -> None:
    ordinary = kind(labelled, "ordinary")
    assert 0.3 <= ordinary.select((pl.col("turn") > 1).mean()).item() <= 0.5
    cot = ordinary.select(pl.col("prompt").str.contains("(?i)step by step|show your work|your reasoning").mean()).item()
    assert 0.02 <= cot <= 0.12
    assert ordinary.select(pl.col("temperature").is_null().mean()).item() > 0.3
    hours = ordinary.select(pl.col("timestamp").dt.hour().value_counts()).height
    assert hours == 24
    volume = ordinary.group_by("account_id").len()["len"]
    assert volume.max() > 8 * volume.median()


def test_popular_tool_users_share_one_long_system_prompt(labelled: pl.DataFrame) -> None:
    tool = kind(labelled, "popular_tool")
    assert tool["system"].n_unique() == 1 and tool["account_id"].n_unique() >= 100
    assert tool["prompt"].str.starts_with("<user_request>").all()


def test_campus_students_share_a_nat_address(labelled: pl.DataFrame) -> None:
    nat = kind(labelled, "nat")
    assert nat["ip"].n_unique() <= 2 * nat["entity_id"].n_unique()
    assert nat["payment_fingerprint"].n_unique() == nat["account_id"].n_unique()


def test_a_team_is_onboarded_in_a_burst_with_one_payment_method(labelled: pl.DataFrame) -> None:
    team = kind(labelled, "team").unique("account_id")
    for _, accounts in team.group_by("entity_id"):
        assert accounts.height >= 8
        assert accounts["payment_fingerprint"].n_unique() == 1 and accounts["org_id"].n_unique() == 1
        created = accounts["account_created_at"]
        assert created.max() - created.min() <= timedelta(hours=2)


def test_proxy_users_go_out_through_a_new_address_for_most_requests(labelled: pl.DataFrame) -> None:
    per_account = kind(labelled, "proxy_user").group_by("account_id").agg(pl.len(), pl.col("ip").n_unique())
    busy = per_account.filter(pl.col("len") >= 10)
    assert busy.height > 0 and (busy["ip"] >= 0.8 * busy["len"]).all()


def test_dataset_users_paste_public_items_and_ask_for_reasoning(labelled: pl.DataFrame, config: SynthConfig) -> None:
    public = set(load_corpus(config.text_from).pools["math"])
    share = {}
    for name in ("dataset_user", "ordinary"):
        first = kind(labelled, name).filter(pl.col("turn") == 1)
        stripped = first["prompt"].str.replace(r"(?s)(\n\n| )(explain step by step|please show your work|.*step.*)$", "")
        share[name] = sum(text in public for text in stripped) / first.height
    assert share["dataset_user"] > 2 * share["ordinary"] and share["dataset_user"] > 0.05
    cot = kind(labelled, "dataset_user").select(pl.col("prompt").str.contains("(?i)step by step|your work|reasoning")
                                                .mean()).item()
    assert cot > 0.1
