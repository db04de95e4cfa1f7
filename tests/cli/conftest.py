"""Logs shared by the CLI tests: a synthetic one (generated once per session), a broken JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SynthLog


@pytest.fixture(scope="session")
def log_path(synth_log: SynthLog) -> Path:
    return synth_log(30_000, 5)


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
