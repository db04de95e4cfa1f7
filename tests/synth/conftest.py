"""A 50,000-row generated log and its ground truth, shared by the synth tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from distillscan.synth import SynthConfig, generate_batches, ground_truth

RELEASE_HOUR = 17


@pytest.fixture(scope="session")
def config() -> SynthConfig:
    return SynthConfig(n_requests=50_000, seed=11)


@pytest.fixture(scope="session")
def release(config: SynthConfig) -> datetime:
    """When the new model is released in the shared log."""
    return config.start + timedelta(days=config.new_model_day, hours=RELEASE_HOUR)


@pytest.fixture(scope="session")
def log(config: SynthConfig) -> pl.DataFrame:
    return pl.concat(list(generate_batches(config)))


@pytest.fixture(scope="session")
def truth(config: SynthConfig) -> pl.DataFrame:
    return ground_truth(config)


@pytest.fixture(scope="session")
def labelled(log: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    return log.join(truth, on="account_id", how="left")
