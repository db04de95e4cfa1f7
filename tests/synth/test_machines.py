"""Machine traffic: single-turn pipelines at temperature 0, metronomic cron jobs."""

from __future__ import annotations

import polars as pl

from tests.synth.helpers import kind


def test_pipelines_are_high_volume_single_turn_jobs(labelled: pl.DataFrame) -> None:
    pipeline = kind(labelled, "pipeline")
    assert (pipeline["turn"] == 1).all() and (pipeline["temperature"] == 0.0).all()
    assert pipeline["max_tokens"].max() <= 512
    volume = labelled.group_by("account_id").len()["len"]
    assert pipeline.group_by("account_id").len()["len"].min() > volume.quantile(0.95)
    assert pipeline["system"].null_count() == pipeline.height


def test_cron_jobs_fire_the_same_number_of_times_every_day(labelled: pl.DataFrame) -> None:
    cron = kind(labelled, "cron").unique("request_id")
    days = cron.group_by("account_id", pl.col("timestamp").dt.date()).len()
    middle = days.filter(pl.col("timestamp") > days["timestamp"].min(), pl.col("timestamp") < days["timestamp"].max())
    spread = middle.group_by("account_id").agg((pl.col("len").max() - pl.col("len").min()).alias("spread"))
    assert (spread["spread"] <= 1).all()
    assert (cron["turn"] == 1).all()
