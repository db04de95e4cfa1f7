"""Harder variants of a log: columns dropped, timestamps squeezed into a window."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.errors import UsageError
from distillscan.model.scan import ScanOptions
from distillscan.variants import Variant, parse_columns, write_variant
from tests.helpers import at, requests_frame

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"


def _log(tmp_path: Path) -> Path:
    rows = [{"request_id": f"r{i}", "account_id": f"a{i % 3}", "timestamp": at(days=i), "prompt": f"task {i}",
             "payment_fingerprint": "card-1", "org_id": "org-1", "model": "m"} for i in range(10)]
    path = tmp_path / "log.parquet"
    requests_frame(rows).write_parquet(path)
    return path


def test_dropped_columns_are_absent_and_timestamps_keep_their_order_inside_the_window(tmp_path: Path) -> None:
    out = tmp_path / "variant"
    out.mkdir()
    variant = Variant(parse_columns("payment_fingerprint, org_id"), timedelta(seconds=60))
    files = write_variant([str(_log(tmp_path))], ScanOptions(), variant, out)
    rows = pl.read_parquet(files)
    assert "payment_fingerprint" not in rows.columns and "org_id" not in rows.columns
    assert rows["model"].to_list() == ["m"] * 10
    stamps = rows["timestamp"]
    # The window ends at the last request: a replay comes after what it replays, so no
    # request moves before its account was created.
    assert stamps.is_sorted() and stamps.max() == at(days=9)
    assert stamps.max() - stamps.min() == timedelta(seconds=60)  # type: ignore[operator]
    assert all(new >= at(days=i) for i, new in enumerate(stamps))


def test_required_or_unknown_columns_cannot_be_dropped() -> None:
    with pytest.raises(UsageError, match="cannot drop account_id, nonsense"):
        Variant(frozenset({"account_id", "nonsense"}))
    with pytest.raises(UsageError, match="positive"):
        Variant(time_window=timedelta(0))


def test_evaluate_reports_the_variant(tmp_path: Path) -> None:
    truth = SAMPLE / "ground_truth.csv"
    args = ["evaluate", str(SAMPLE / "requests.parquet"), "--truth", str(truth), "--format", "json", "-q"]
    whole = json.loads(CliRunner().invoke(main, args).stdout)
    squeezed = CliRunner().invoke(main, [*args, "--time-window", "60", "--drop-columns", "account_created_at"])
    assert squeezed.exit_code == 0, squeezed.output
    document = json.loads(squeezed.stdout)
    assert document["per_campaign"] and document != whole
    bad = CliRunner().invoke(main, [*args, "--drop-columns", "prompt"])
    assert bad.exit_code == 2 and "cannot drop prompt" in bad.stderr
