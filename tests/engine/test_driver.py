"""The shard stage on Ray gives the local engine's report, byte for byte: on the
sample log, on a generated log split over six files (some split again into row-group
ranges), with repeats across files, with a damaged file, and when a worker dies.

One local Ray cluster (2 CPUs) serves the whole module; `scan --engine ray` finds it
running and uses it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.engine import driver
from distillscan.engine.tasks import KILL_MARKER_VARIABLE
from distillscan.errors import ExitCode
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.read import Shard
from tests.engine.logs import damage, generated_rows, time_slices, with_repeats, write_part, write_parts

ray = pytest.importorskip("ray")

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"


@pytest.fixture(scope="module", autouse=True)
def kill_marker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module's Ray cluster; its workers see KILL_MARKER_VARIABLE naming this file,
    which exists (no task dies) until a test removes it."""
    marker = tmp_path_factory.mktemp("ray") / "killed"
    marker.touch()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KILL_MARKER_VARIABLE, str(marker))
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        try:
            yield marker
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[pl.DataFrame]:
    """A generated log in six stretches of time."""
    return time_slices(generated_rows(tmp_path_factory.mktemp("generated"), 20_000, seed=9))


@pytest.fixture(scope="module")
def split_log(generated: list[pl.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return [str(path) for path in write_parts(generated, tmp_path_factory.mktemp("split"))]


def _report(paths: list[str], *extra: str) -> tuple[int, str, str]:
    """Exit code, JSON report and stderr of a scan."""
    result = CliRunner().invoke(main, ["scan", *paths, "--format", "json", "--min-severity", "info", "-q", *extra])
    return result.exit_code, result.stdout, result.stderr


def _same_on_ray(paths: list[str], *extra: str) -> tuple[int, str, str]:
    """The scan's outcome, checked identical on both engines."""
    local = _report(paths, *extra)
    assert _report(paths, *extra, "--engine", "ray") == local
    return local


@pytest.fixture()
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parquet files of more than 1,500 rows split into row-group ranges."""
    monkeypatch.setattr(driver, "PIECE_ROWS", 1_500)


def test_sample_log_report_is_identical() -> None:
    code, report, _ = _same_on_ray([str(SAMPLE)])
    assert code == ExitCode.OK and '"rows_duplicate": 85' in report  # the sample's gateway retries


def test_generated_log_in_six_files_and_ranges_is_identical(split_log: list[str], small_ranges: None) -> None:
    code, report, _ = _same_on_ray(split_log)
    assert code == ExitCode.OK and '"groups": [' in report and '"rows_duplicate": 0' not in report


def test_repeats_across_files_count_once(generated: list[pl.DataFrame], tmp_path: Path, small_ranges: None) -> None:
    planted = [str(path) for path in write_parts(with_repeats(generated, source=2, first=200, rows=300), tmp_path)]
    plain = scan([str(path) for path in write_parts(generated, tmp_path / "plain")], ScanOptions())
    result = scan(planted, ScanOptions(engine="ray"))
    assert result.summary.rows_duplicate == plain.summary.rows_duplicate + 600
    assert result.summary.rows_read == plain.summary.rows_read
    assert result.report.groups.equals(plain.report.groups)
    _same_on_ray(planted)


@pytest.mark.parametrize("column", ["prompt", "ip"])
@pytest.mark.parametrize("ranges", [False, True], ids=["whole", "ranges"])
def test_damaged_file_is_skipped_and_counted_or_named(
    generated: list[pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, ranges: bool
) -> None:
    # The damaged row group's requests are logged again in a later file: the local engine
    # never saw them, so it keeps the later ones, and so must every task.
    if ranges:
        monkeypatch.setattr(driver, "PIECE_ROWS", 1_500)
    rows = generated[1].head(3_500)
    damaged = damage(write_part(rows, tmp_path / "a.parquet"), column, group=1)
    later = write_part(pl.concat([generated[2].head(500), rows.slice(1_000, 200)]), tmp_path / "b.parquet")
    paths = [str(damaged), str(later)]
    code, report, _ = _same_on_ray(paths, "--skip-errors")
    assert code == ExitCode.PARTIAL and '"rows_skipped": 1000' in report
    code, _, error = _same_on_ray(paths)
    assert code == ExitCode.USAGE_OR_INPUT and "rows 1000–1999 (row group 1)" in error


def test_a_worker_killed_mid_task_is_retried(split_log: list[str], kill_marker: Path) -> None:
    code, report, _ = _report(split_log)
    kill_marker.unlink()
    # Ray's word that a worker died goes to stderr, not into the report.
    assert _report(split_log, "--engine", "ray")[:2] == (code, report)
    assert kill_marker.exists()  # a task did die


def test_progress_is_fed_in_log_order(split_log: list[str], small_ranges: None) -> None:
    shards: list[Shard] = []
    stages: list[str] = []
    result = scan(split_log, ScanOptions(engine="ray"), on_shard=shards.append, on_stage=stages.append)
    assert list(dict.fromkeys(shard.source.path for shard in shards)) == split_log
    assert len(shards) > len(split_log)  # ranges report as they are merged
    assert sum(shard.rows_in for shard in shards) == result.summary.rows_in
    assert stages == ["finding repeated requests", "summing aggregates", "linking and scoring"]


def test_joining_a_running_cluster_by_address(split_log: list[str]) -> None:
    address = ray.get_runtime_context().gcs_address
    _, local, _ = _report(split_log)
    joined = subprocess.run(
        [sys.executable, "-m", "distillscan", "scan", *split_log, "--format", "json", "--min-severity", "info",
         "-q", "--engine", "ray", "--ray-address", address],
        capture_output=True, text=True, check=False, env={**os.environ, KILL_MARKER_VARIABLE: ""},
    )
    assert joined.returncode == ExitCode.OK, joined.stderr
    assert joined.stdout == local
