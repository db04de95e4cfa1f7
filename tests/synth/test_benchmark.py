"""Benchmark runs: templated single-turn bursts at temperature 0, three or four runs of 500 to 3,000 rows."""

from __future__ import annotations

from datetime import timedelta

import polars as pl


def test_benchmark_runs_are_short_bursts(labelled: pl.DataFrame) -> None:
    bench = labelled.filter(pl.col("kind") == "benchmark")
    assert (bench["temperature"] == 0.0).all() and (bench["turn"] == 1).all()
    gap = pl.col("timestamp").diff().over("account_id") > timedelta(hours=1)
    runs = bench.sort("account_id", "timestamp").with_columns(run=gap.fill_null(False).cum_sum().over("account_id"))
    runs = runs.group_by("account_id", "run").agg(
        pl.len(), (pl.col("timestamp").max() - pl.col("timestamp").min()).alias("span"))
    assert 3 <= runs.height <= 4 and runs["len"].is_between(500, 3000).all()
    assert (runs["span"] <= timedelta(hours=3)).all()
