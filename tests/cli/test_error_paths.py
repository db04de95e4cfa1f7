"""Every command's error paths: one line and a documented exit code; the traceback
comes first only with --debug."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

import distillscan.pipeline as pipeline
import distillscan.synth as synth
from distillscan.cli.cli import main
from distillscan.errors import ExitCode
from tests.helpers import at, requests_frame


@pytest.fixture()
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.parquet"
    requests_frame([{"account_id": "a", "timestamp": at(hours=i), "prompt": f"hi {i}"} for i in range(3)]).write_parquet(path)
    return path


@pytest.fixture()
def truth(tmp_path: Path) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text("account_id,label,kind,entity_id\na,benign,ordinary,e1\n")
    return path


def _invoke(args: list[str], debug: bool) -> Result:
    return CliRunner().invoke(main, [*args, *(["--debug"] if debug else [])])


def _assert_reported(result: Result, code: ExitCode, debug: bool, *needles: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("distillscan: error: ")
    for needle in needles:
        assert needle in lines[-1]
    if debug:
        assert lines[0] == "Traceback (most recent call last):"
    else:
        assert len(lines) == 1 and "Traceback" not in result.stderr


def _input_error_cases(tmp: Path, log: Path, truth: Path) -> dict[str, tuple[list[str], ExitCode, str]]:
    bad_truth = tmp / "bad_truth.csv"
    bad_truth.write_text("foo,bar\n1,2\n")
    blocker = tmp / "a-file"
    blocker.write_text("")
    return {
        "scan": (["scan", str(tmp / "missing.parquet")], ExitCode.USAGE_OR_INPUT, "missing.parquet"),
        "schema": (["schema", str(tmp / "missing.jsonl")], ExitCode.USAGE_OR_INPUT, "missing.jsonl"),
        "evaluate": (["evaluate", str(log), "--truth", str(bad_truth)], ExitCode.USAGE_OR_INPUT, "lacks column(s) account_id"),
        "synth": (["synth", str(blocker / "out.parquet"), "--rows", "10000"], ExitCode.USAGE_OR_INPUT, "cannot write"),
    }


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("command", ["scan", "schema", "evaluate", "synth"])
def test_input_errors(tmp_path: Path, log: Path, truth: Path, command: str, debug: bool) -> None:
    args, code, needle = _input_error_cases(tmp_path, log, truth)[command]
    _assert_reported(_invoke(args, debug), code, debug, needle)


def _boom(error: BaseException) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise error

    return fail


INTERNAL_TARGETS = {
    "scan": (pipeline, "scan"),
    "schema": (pipeline, "inspect_schema"),
    "evaluate": (pipeline, "scan"),
    "synth": (synth, "write_synthetic"),
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize(
    "error",
    [RuntimeError("boom\nsecond line"), pl.exceptions.PanicException("polars panicked")],
    ids=["exception", "polars-panic"],
)
@pytest.mark.parametrize("command", ["scan", "schema", "evaluate", "synth"])
def test_internal_errors(
    tmp_path: Path, log: Path, truth: Path, command: str, error: BaseException, debug: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module, name = INTERNAL_TARGETS[command]
    monkeypatch.setattr(module, name, _boom(error))
    args = {
        "scan": ["scan", str(log)],
        "schema": ["schema", str(log)],
        "evaluate": ["evaluate", str(log), "--truth", str(truth)],
        "synth": ["synth", str(tmp_path / "out.parquet")],
    }[command]
    result = _invoke(args, debug)
    _assert_reported(result, ExitCode.INTERNAL, debug, "internal error", "--debug")
    assert "second line" not in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_interrupt_is_not_success(log: Path, debug: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "scan", _boom(KeyboardInterrupt()))
    _assert_reported(_invoke(["scan", str(log), "--fail-on", "high"], debug), ExitCode.INTERRUPTED, debug, "interrupted")
