"""Logs shared by the CLI tests: a synthetic one (generated once per session), a broken JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillscan.synth import SynthConfig, write_synthetic


@pytest.fixture(scope="session")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "log.parquet"
    write_synthetic(SynthConfig(n_requests=30_000, seed=5), path)
    return path


@pytest.fixture()
def bad_jsonl(tmp_path: Path) -> Path:
    """Seven JSONL lines, the fourth cut short."""
    good = [
        json.dumps({"account_id": f"a{i % 2}", "timestamp": f"2026-05-01T00:{i:02d}:00Z", "prompt": f"p{i}"})
        for i in range(6)
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*good[:3], '{"account_id": "a1", "timestamp": ', *good[3:]]) + "\n")
    return path
