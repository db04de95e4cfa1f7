"""Every command's error paths: one line and a documented exit code; the traceback
comes first only with --debug."""

from __future__ import annotations

import gc
import io
import os
import signal
from collections.abc import Callable
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner, Result

import distillscan.pipeline as pipeline
import distillscan.read.choice as choice
import distillscan.synth as synth
from distillscan.cli.errors import handle_errors
from distillscan.cli.main import main
from distillscan.environment import Environment
from distillscan.errors import ExitCode, InputError
from distillscan.model.aggregates import Aggregates
from tests.helpers import at, requests_frame


@pytest.fixture()
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.parquet"
    rows = [{"account_id": "a", "timestamp": at(hours=i), "prompt": f"hi {i}"} for i in range(3)]
    requests_frame(rows).write_parquet(path)
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
        "evaluate": (
            ["evaluate", str(log), "--truth", str(bad_truth)], ExitCode.USAGE_OR_INPUT, "lacks column(s) account_id"
        ),
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
    "schema": (choice, "inspect_schema"),
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
    result = _invoke(["scan", str(log), "--fail-on", "high"], debug)
    _assert_reported(result, ExitCode.INTERRUPTED, debug, "interrupted")


def test_tables_folder_removed_mid_scan_is_named_not_reported_as_a_bug(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyse = pipeline.analyse

    def swept_then_analysed(aggregates: Aggregates, *args: object) -> object:
        assert aggregates.folder is not None
        aggregates.folder.cleanup()  # a /tmp cleaner, between reading and linking
        return analyse(aggregates, *args)

    monkeypatch.setattr(pipeline, "analyse", swept_then_analysed)
    result = CliRunner().invoke(main, ["scan", str(log_path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT, result.output
    assert "distillscan-tables-" in result.stderr
    assert "removed while it ran" in result.stderr and "--temp-dir" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output


def test_sigterm_ends_a_scan_with_its_own_code_and_removes_its_temporary_folders(
    log_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyse = pipeline.analyse
    temp = tmp_path / "temp"
    temp.mkdir()
    seen: list[list[str]] = []

    def cancelled(aggregates: Aggregates, *args: object) -> object:
        seen.append(sorted(path.name for path in temp.iterdir()))
        # Python's default would end the test run itself.
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), "no SIGTERM handler"
        os.kill(os.getpid(), signal.SIGTERM)  # a CI job cancelled between reading and linking
        return analyse(aggregates, *args)

    monkeypatch.setattr(pipeline, "analyse", cancelled)
    result = CliRunner().invoke(main, ["scan", str(log_path), "--temp-dir", str(temp), "--fail-on", "high"])
    assert result.exit_code == ExitCode.TERMINATED, result.output
    assert result.stderr.strip().splitlines()[-1] == "distillscan: error: terminated"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert any(name.startswith("distillscan-") for name in seen[0])  # there was something to remove
    # What the unwound scan held goes with the last reference to it (the result keeps
    # the exception here; a process exits): its folders go with it.
    del result
    gc.collect()
    assert list(temp.iterdir()) == []


@click.command()
@click.option("--debug", is_flag=True)
@click.option("--fail", type=click.Choice(["none", "input", "bug"]), default="none")
@handle_errors
def _probe(env: Environment, fail: str) -> ExitCode:
    """A command that writes to its Environment, then fails as asked."""
    env.stdout.write("data\n")
    if fail == "input":
        raise InputError("log.jsonl", "not JSON", line=3)
    if fail == "bug":
        raise ValueError("boom")
    return ExitCode.PARTIAL


@pytest.mark.parametrize(
    ("fail", "code", "stderr"),
    [
        ("none", ExitCode.PARTIAL, ""),
        ("input", ExitCode.USAGE_OR_INPUT, "distillscan: error: log.jsonl:3: not JSON\n"),
        ("bug", ExitCode.INTERNAL,
         "distillscan: error: internal error (ValueError: boom); rerun with --debug and report it\n"),
    ],
)
def test_handle_errors_uses_the_environment_and_the_returned_code(fail: str, code: ExitCode, stderr: str) -> None:
    env = Environment.of()
    result = CliRunner().invoke(_probe, ["--fail", fail], obj=env)
    assert result.exit_code == code
    assert result.stdout == result.stderr == ""  # nothing on the process's streams
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    assert (env.stdout.getvalue(), env.stderr.getvalue()) == ("data\n", stderr)


def test_handle_errors_prints_the_traceback_on_the_environment_with_debug() -> None:
    env = Environment.of()
    result = CliRunner().invoke(_probe, ["--fail", "bug", "--debug"], obj=env)
    assert result.exit_code == ExitCode.INTERNAL
    assert isinstance(env.stderr, io.StringIO)
    lines = env.stderr.getvalue().splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[-1].startswith("distillscan: error: internal")
