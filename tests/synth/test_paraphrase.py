"""The paraphrasing campaign: one wording of the system prompt and wrapper per account, independent-looking."""

from __future__ import annotations

import random

import polars as pl

from distillscan.synth.wording import paraphrased_system, task_wrapper
from tests.synth.helpers import gap_cv, kind


def test_every_account_holds_its_own_wording(labelled: pl.DataFrame) -> None:
    para = kind(labelled, "paraphrase")
    per_account = para.group_by("account_id").agg(pl.col("system").n_unique(),
                                                  pl.col("prompt").str.extract(r"^([^\n:]*)").n_unique().alias("labels"))
    assert (per_account["system"] == 1).all()
    assert para["system"].n_unique() == para["account_id"].n_unique()
    assert para.select(pl.col("prompt").str.extract(r"^([^\n:]*)").n_unique()).item() >= 5


def test_the_wording_grammars_have_thousands_of_variants() -> None:
    rng = random.Random(0)
    assert len({paraphrased_system(rng) for _ in range(5_000)}) >= 4_900
    assert len({task_wrapper(rng) for _ in range(5_000)}) >= 2_500


def test_paraphrasers_look_independent(labelled: pl.DataFrame) -> None:
    para = kind(labelled, "paraphrase")
    accounts = para.unique("account_id")
    assert accounts["payment_fingerprint"].n_unique() == accounts.height
    assert accounts["account_created_at"].dt.date().n_unique() >= 0.5 * accounts.height
    assert gap_cv(para).median() > 0.8
    assert para["temperature"].n_unique() >= 3
