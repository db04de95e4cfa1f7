"""Services: an enterprise product's fixed shape; a mixed reseller's share of templated campaign rows."""

from __future__ import annotations

import polars as pl


def test_enterprise_products_send_one_system_prompt_at_fixed_parameters(labelled: pl.DataFrame) -> None:
    enterprise = labelled.filter(pl.col("kind") == "enterprise")
    for _, rows in enterprise.group_by("entity_id"):
        assert rows["system"].n_unique() == 1 and rows["org_id"].n_unique() == 1
        assert rows["temperature"].n_unique() == 1 and rows["max_tokens"].n_unique() == 1
        assert rows["ip"].str.replace(r"\.\d+$", "").n_unique() == 1


def test_a_mixed_reseller_forwards_some_templated_campaign_rows(labelled: pl.DataFrame) -> None:
    mixed = labelled.filter(pl.col("kind") == "reseller_mixed")
    templated = mixed.select(pl.col("prompt").str.starts_with("[screenshot]").mean()).item()
    assert 0.15 <= templated <= 0.5
