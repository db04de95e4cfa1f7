"""Generated logs shared across the test suite: each (size, seed) is written once per
session, with its ground truth beside it, whichever test asks first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from distillscan.synth import SynthConfig, write_synthetic

SynthLog = Callable[[int, int], Path]


@pytest.fixture(scope="session")
def synth_log(tmp_path_factory: pytest.TempPathFactory) -> SynthLog:
    """`synth_log(n_requests, seed)`: the generator's Parquet log of that size and seed
    (its ground truth at the same path with suffix `.truth.csv`). Read-only: tests that
    change a log copy it first."""
    folder = tmp_path_factory.mktemp("synth_logs")
    written: dict[tuple[int, int], Path] = {}

    def log(n_requests: int, seed: int) -> Path:
        if (n_requests, seed) not in written:
            path = folder / f"log_{n_requests}_{seed}.parquet"
            write_synthetic(
                SynthConfig(n_requests=n_requests, seed=seed), path, truth_path=path.with_suffix(".truth.csv")
            )
            written[(n_requests, seed)] = path
        return written[(n_requests, seed)]

    return log
