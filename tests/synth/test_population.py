"""The population: every entity at its minimum size, the campaign share, no label leaks, repeated and long text."""

from __future__ import annotations

import polars as pl

from distillscan.synth import NEW_MODEL, OLD_MODEL


def test_every_entity_exists_with_its_minimum_size(truth: pl.DataFrame) -> None:
    accounts = dict(truth.group_by("kind").len().iter_rows())
    minimum = {"hydra": 40, "cot_rubric": 6, "paraphrase": 16, "reseller_mixed": 2, "low_slow": 6,
               "popular_tool": 100, "nat": 60, "reseller": 3, "benchmark": 3, "enterprise": 4, "ordinary": 300,
               "pipeline": 2, "cron": 1, "team": 8, "canary": 1, "tutoring": 1, "dataset_user": 10, "proxy_user": 10}
    for kind, least in minimum.items():
        assert accounts[kind] >= least, kind
    assert accounts["hydra"] > max(n for kind, n in accounts.items() if kind not in ("ordinary", "hydra",
                                                                                      "popular_tool"))
    per_enterprise = truth.filter(pl.col("kind") == "enterprise").group_by("entity_id").len()
    assert 1 <= per_enterprise.height <= 2 and per_enterprise["len"].is_between(2, 4).all()


def test_campaign_share_of_rows(labelled: pl.DataFrame) -> None:
    share = labelled.select((pl.col("label") == "campaign").mean()).item()
    assert 0.2 <= share <= 0.3


def test_no_field_tells_campaign_from_benign_by_itself(labelled: pl.DataFrame) -> None:
    benign = labelled.filter(pl.col("label") == "benign")
    campaign = labelled.filter(pl.col("label") == "campaign")
    id_format = r"^acct_[0-9a-f]{12}$"
    assert labelled["account_id"].str.contains(id_format).all()
    assert set(campaign["user_agent"]) <= set(benign["user_agent"])
    assert set(campaign["model"]) == set(benign["model"]) == {OLD_MODEL, NEW_MODEL}
    assert set(campaign["temperature"].drop_nulls()) <= set(benign["temperature"].drop_nulls())
    assert set(campaign["max_tokens"].drop_nulls()) <= set(benign["max_tokens"].drop_nulls())
    for column, pattern in (("payment_fingerprint", r"^pf_[0-9a-f]{16}$"), ("ip", r"^\d+\.\d+\.\d+\.\d+$"),
                            ("conversation_id", r"^conv_[0-9a-f]{16}$")):
        assert labelled[column].str.contains(pattern).all(), column
    first_octets = labelled.select(pl.col("ip").str.extract(r"^(\d+)").cast(pl.Int32))
    assert first_octets.filter(pl.col("ip").is_in([0, 10, 127]) | (pl.col("ip") >= 224)).height == 0
    org_null = labelled.unique("account_id").group_by("label").agg(pl.col("org_id").is_null().mean())
    assert org_null["org_id"].is_between(0.15, 0.5).all()


def test_text_covers_every_topic_for_both_labels(labelled: pl.DataFrame) -> None:
    topics = {
        "coding": r"```|def |function ", "agentic": r"(?i)\btool|agent", "math": r"(?i)solve|probability|integral",
        "data": r"(?i)dataset|csv|regression|median", "vision": r"(?i)\[image|screenshot|photo",
        "grading": r"(?i)rubric|grade|score", "sensitive": r"(?i)neutral|politically|censorship|sides",
        "chat": r"(?i)recipe|email|trip|gift",
    }
    for label in ("benign", "campaign"):
        prompts = labelled.filter(pl.col("label") == label)["prompt"]
        for topic, pattern in topics.items():
            assert prompts.str.contains(pattern).any(), (label, topic)


def test_prompts_repeat_and_have_a_long_tail(labelled: pl.DataFrame) -> None:
    """About a third of prompts repeat verbatim somewhere; generic follow-ups are sent by many accounts
    (hundreds in logs of millions of rows, dozens in this one)."""
    assert 0.2 <= labelled.select(pl.col("prompt").is_duplicated().mean()).item() <= 0.45
    senders = labelled.filter(pl.col("turn") > 1).group_by("prompt").agg(pl.col("account_id").n_unique())
    assert senders["account_id"].max() >= 40
    length = labelled["prompt"].str.len_chars()
    assert 60 <= length.median() <= 200 and length.max() > 50_000
