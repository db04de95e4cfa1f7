"""Evaluation harnesses: temperature 0, bursts that walk a public dataset in its order, one after the release."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from distillscan.synth import NEW_MODEL, SynthConfig
from distillscan.synth.corpus import load_corpus
from tests.synth.helpers import kind


def _runs(labelled: pl.DataFrame) -> pl.DataFrame:
    bench = kind(labelled, "benchmark").sort("account_id", "timestamp")
    gap = pl.col("timestamp").diff().over("account_id") > timedelta(hours=1)
    return bench.with_columns(run=gap.fill_null(False).cum_sum().over("account_id"))


def test_benchmark_runs_are_short_single_turn_bursts_at_temperature_zero(labelled: pl.DataFrame) -> None:
    runs = _runs(labelled)
    assert (runs["temperature"] == 0.0).all() and (runs["turn"] == 1).all()
    spans = runs.group_by("account_id", "run").agg(
        pl.len(), (pl.col("timestamp").max() - pl.col("timestamp").min()).alias("span"), pl.col("ip").n_unique())
    assert spans.height >= 4 and (spans["span"] <= timedelta(hours=3)).all() and (spans["ip"] == 1).all()


def test_runs_walk_the_dataset_in_its_published_order(labelled: pl.DataFrame, config: SynthConfig) -> None:
    order = {item: i for i, item in enumerate(load_corpus(config.text_from).bench_math)}
    suffix = "\nLet's think step by step.\nAnswer:"
    gsm = _runs(labelled).filter(pl.col("prompt").str.ends_with(suffix)).with_columns(
        item=pl.col("prompt").str.split("Question: ").list.last().str.strip_suffix(suffix))
    gsm = gsm.with_columns(index=pl.col("item").replace_strict(order, default=None)).drop_nulls("index")
    rising = gsm.with_columns(step=pl.col("index").diff().over("account_id", "run")).drop_nulls("step")
    assert gsm.height > 200 and (rising["step"] > 0).mean() > 0.6


def test_one_harness_benchmarks_the_new_model_within_hours_of_its_release(labelled: pl.DataFrame,
                                                                          release: datetime) -> None:
    first_new = kind(labelled, "benchmark").filter(pl.col("model") == NEW_MODEL)["timestamp"].min()
    assert first_new is not None and release < first_new < release + timedelta(hours=8)
