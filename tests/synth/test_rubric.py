"""The reward-model campaign: shared payments and subnets, softened tells, most requests asking for reasoning."""

from __future__ import annotations

import polars as pl

from tests.synth.helpers import kind, subnet


def test_rubric_group_shares_payments_and_subnets_but_not_one_user_agent(labelled: pl.DataFrame) -> None:
    rubric = kind(labelled, "cot_rubric")
    accounts = rubric.unique("account_id")
    assert accounts["payment_fingerprint"].n_unique() <= 4
    assert rubric.select(subnet().n_unique()).item() <= 3 + accounts.height
    assert accounts["user_agent"].n_unique() >= 2
    assert accounts["account_created_at"].dt.date().n_unique() >= 2
    cot = rubric.select(pl.col("prompt").str.contains("(?i)step by step|step-by-step").mean()).item()
    assert 0.6 <= cot <= 0.98


def test_its_system_prompt_is_one_benign_judges_use_too(labelled: pl.DataFrame) -> None:
    systems = set(kind(labelled, "cot_rubric")["system"].drop_nulls())
    benign = set(labelled.filter(pl.col("label") == "benign")["system"].drop_nulls())
    assert systems and systems <= benign
