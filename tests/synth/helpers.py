"""Helpers for the synth tests: the rows of one kind, gap regularity, /24 subnets."""

from __future__ import annotations

import polars as pl


def kind(labelled: pl.DataFrame, name: str) -> pl.DataFrame:
    """The rows of one entity kind."""
    return labelled.filter(pl.col("kind") == name)


def gap_cv(rows: pl.DataFrame, least: int = 20) -> pl.Series:
    """Per account with at least `least` requests: the coefficient of variation of its gaps."""
    gaps = rows.sort("account_id", "timestamp").with_columns(
        gap=pl.col("timestamp").diff().over("account_id").dt.total_seconds())
    return (gaps.group_by("account_id").agg((pl.col("gap").std() / pl.col("gap").mean()).alias("cv"), pl.len())
            .filter(pl.col("len") >= least)["cv"])


def subnet(column: str = "ip") -> pl.Expr:
    """The /24 of an IPv4 address column."""
    return pl.col(column).str.replace(r"\.\d+$", "")
