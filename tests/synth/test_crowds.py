"""Human crowds: ordinary users look human; the popular tool's users and campus students have their hard shapes."""

from __future__ import annotations

import polars as pl


def test_ordinary_users_look_human(labelled: pl.DataFrame) -> None:
    ordinary = labelled.filter(pl.col("kind") == "ordinary")
    assert 0.3 <= ordinary.select((pl.col("turn") > 1).mean()).item() <= 0.5
    cot = ordinary.select(pl.col("prompt").str.contains("(?i)step by step|show your work|your reasoning").mean()).item()
    assert 0.03 <= cot <= 0.12
    assert ordinary.select(pl.col("temperature").is_null().mean()).item() > 0.3
    hours = ordinary.select(pl.col("timestamp").dt.hour().value_counts()).height
    assert hours == 24
    volume = ordinary.group_by("account_id").len()["len"]
    assert volume.max() > 8 * volume.median()


def test_popular_tool_users_share_one_long_system_prompt(labelled: pl.DataFrame) -> None:
    tool = labelled.filter(pl.col("kind") == "popular_tool")
    assert tool["system"].n_unique() == 1 and tool["account_id"].n_unique() >= 100
    assert tool["prompt"].str.starts_with("<user_request>").all()


def test_campus_students_share_a_nat_address(labelled: pl.DataFrame) -> None:
    nat = labelled.filter(pl.col("kind") == "nat")
    assert nat["ip"].n_unique() <= 2 * nat["entity_id"].n_unique()
    assert nat["payment_fingerprint"].n_unique() == nat["account_id"].n_unique()
