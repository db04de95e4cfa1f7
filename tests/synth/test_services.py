"""Services: enterprise products, mixed resellers, canary routers and tutoring apps."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from distillscan.synth import NEW_MODEL
from tests.synth.helpers import kind, subnet


def test_enterprise_products_send_one_system_prompt_at_fixed_parameters(labelled: pl.DataFrame) -> None:
    enterprise = kind(labelled, "enterprise")
    for _, rows in enterprise.group_by("entity_id"):
        assert rows["system"].n_unique() == 1 and rows["org_id"].n_unique() == 1
        assert rows["temperature"].n_unique() == 1 and rows["max_tokens"].n_unique() == 1
        assert rows.select(subnet().n_unique()).item() == 1
    top = labelled.group_by("account_id").len().sort("len", descending=True).head(2)
    assert set(top["account_id"]) & set(enterprise["account_id"])


def test_a_mixed_reseller_hides_campaign_rows_behind_a_prompt_benign_resellers_forward_too(
        labelled: pl.DataFrame) -> None:
    mixed = kind(labelled, "reseller_mixed")
    step = pl.col("prompt").str.starts_with("[screenshot]\nScreen:")
    assert 0.05 <= mixed.select(step.mean()).item() <= 0.4
    computer_use = set(mixed.filter(step)["system"].drop_nulls())
    assert computer_use and computer_use <= set(kind(labelled, "reseller")["system"].drop_nulls())


def test_a_canary_router_sends_about_half_to_the_new_model_within_hours(labelled: pl.DataFrame,
                                                                         release: datetime) -> None:
    after = kind(labelled, "canary").filter(
        pl.col("timestamp").is_between(release + timedelta(hours=4), release + timedelta(hours=28)))
    assert 0.35 <= after.select((pl.col("model") == NEW_MODEL).mean()).item() <= 0.65


def test_tutoring_apps_ask_for_step_by_step_reasoning_on_every_question(labelled: pl.DataFrame) -> None:
    tutoring = kind(labelled, "tutoring")
    first = tutoring.filter(pl.col("turn") == 1)
    assert first.select(pl.col("prompt").str.contains("(?i)step by step").all()).item()
    assert tutoring["system"].n_unique() == tutoring["account_id"].n_unique()
