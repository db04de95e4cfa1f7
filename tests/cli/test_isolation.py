"""A scan writes nothing but the report the user names, and never touches the network."""

from __future__ import annotations

import gzip
import socket
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.errors import ExitCode
from tests.helpers import at, requests_frame

ENVIRONMENT_DIRS = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_CACHE_HOME": "cache",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",
    "XDG_RUNTIME_DIR": "runtime",
    "TMPDIR": "tmp",
    "TEMP": "tmp",
    "TMP": "tmp",
}


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` with its size and modification time."""
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*")}


@pytest.fixture()
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Empty HOME, XDG and temp folders and an empty working folder; sockets refused."""
    logs = tmp_path / "logs"
    logs.mkdir()
    rows = requests_frame([
        {"request_id": f"r{i}", "account_id": f"acct-{i % 4}", "timestamp": at(hours=i),
         "prompt": f"Solve {i} step by step", "ip": "10.0.0.1"}
        for i in range(40)
    ])
    rows.write_parquet(logs / "a.parquet")
    (logs / "b.jsonl.gz").write_bytes(gzip.compress(rows.head(10).write_ndjson().encode()))
    places = {"logs": logs, "work": tmp_path / "work"}
    for variable, name in ENVIRONMENT_DIRS.items():
        places[name] = tmp_path / name
        places[name].mkdir(exist_ok=True)
        monkeypatch.setenv(variable, str(places[name]))
    places["work"].mkdir()
    monkeypatch.delenv("POLARS_TEMP_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR, as a fresh process would
    monkeypatch.chdir(places["work"])

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    return places


@pytest.mark.parametrize("output_format", ["table", "json", "jsonl", "csv", "parquet"])
def test_scan_writes_only_the_named_output(sandbox: dict[str, Path], output_format: str) -> None:
    logs_before = _tree(sandbox["logs"])
    result = CliRunner().invoke(
        main, ["scan", str(sandbox["logs"]), "--format", output_format, "-o", "report.out", "--min-severity", "info"],
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert [path.name for path in sandbox["work"].iterdir()] == ["report.out"]
    assert (sandbox["work"] / "report.out").stat().st_size > 0
    for name in set(ENVIRONMENT_DIRS.values()):
        assert list(sandbox[name].rglob("*")) == [], name
    assert _tree(sandbox["logs"]) == logs_before


def test_failing_and_skipping_scans_write_nothing(sandbox: dict[str, Path]) -> None:
    (sandbox["logs"] / "c.jsonl").write_text('{"account_id": "x", "timestamp": \n')
    failed = CliRunner().invoke(main, ["scan", str(sandbox["logs"]), "--format", "json", "-o", "report.json"])
    assert failed.exit_code == ExitCode.USAGE_OR_INPUT
    assert list(sandbox["work"].iterdir()) == []
    skipped = CliRunner().invoke(
        main, ["scan", str(sandbox["logs"]), "--skip-errors", "--format", "json", "-o", "report.json"]
    )
    assert skipped.exit_code == ExitCode.PARTIAL
    assert [path.name for path in sandbox["work"].iterdir()] == ["report.json"]
    for name in set(ENVIRONMENT_DIRS.values()):
        assert list(sandbox[name].rglob("*")) == [], name


def test_a_url_is_not_fetched(sandbox: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["scan", "https://example.com/logs.parquet"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert "no such file or directory" in result.stderr
