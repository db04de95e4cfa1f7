"""Where output goes: report files (`cannot write FILE`), stdout, a reader that leaves."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.cli.output import PIPED_TABLE_WIDTH, report_console, write_document, writing
from distillscan.environment import Environment
from distillscan.errors import ExitCode, UsageError


def test_unwritable_output_is_a_usage_error(log_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["scan", str(log_path), "--format", "json", "-o", str(tmp_path / "no" / "x.json")]
    )
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "cannot write" in result.stderr


@pytest.mark.parametrize(
    "args", [["templates", "LOG"], ["accounts", "LOG"], ["explain", "1", "LOG", "--examples", "0"]]
)
def test_every_command_names_an_unwritable_table_file(log_path: Path, tmp_path: Path, args: list[str]) -> None:
    target = tmp_path / "no" / "x.txt"
    given = [str(log_path) if arg == "LOG" else arg for arg in args]
    result = CliRunner().invoke(main, [*given, "-o", str(target), "-q"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stderr.strip().splitlines() == [
        f"distillscan: error: cannot write {target}: No such file or directory"
    ]


def test_writing_names_the_file_the_error_names(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^cannot write .*out\.csv: No such file or directory$"), \
            writing(tmp_path / "report.json"):
        (tmp_path / "missing" / "out.csv").write_text("x")
    with pytest.raises(UsageError, match=r"^cannot write .*report\.json: disk full$"), \
            writing(tmp_path / "report.json"):
        raise OSError("disk full")


def test_documents_and_tables_go_to_the_environment_stdout(tmp_path: Path) -> None:
    env = Environment.of()
    write_document('{"a": 1}\n', None, env)
    with report_console(None, env) as console:
        assert console.width == PIPED_TABLE_WIDTH  # not a terminal: the wide piped width
        console.print("a table")
    assert isinstance(env.stdout, io.StringIO)
    assert env.stdout.getvalue() == '{"a": 1}\na table\n'
    target = tmp_path / "table.txt"
    with report_console(target, env) as console:
        console.print("[bold]to a file[/bold]")
    assert target.read_text(encoding="utf-8") == "to a file\n"  # closed, and without colour codes
    write_document("file\n", tmp_path / "doc.json", env)
    assert (tmp_path / "doc.json").read_text(encoding="utf-8") == "file\n"
    assert env.stdout.getvalue().endswith("a table\n")


@pytest.mark.parametrize(("extra", "expected"), [([], 0), (["--fail-on", "high"], 1), (["--format", "csv"], 0)])
def test_a_reader_that_goes_away_keeps_the_exit_code(extra: list[str], expected: int) -> None:
    """`distillscan scan … | head -1`: no traceback, no message, and the --fail-on verdict
    (not Rich's or click's broken-pipe exit 1) decides the code."""
    process = subprocess.Popen(
        [sys.executable, "-m", "distillscan", "scan", str(Path(__file__).parents[2] / "sample_logs"), "-q", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(1)
    process.stdout.close()
    error = process.stderr.read()
    assert (process.wait(timeout=120), error) == (expected, b"")


def test_a_report_file_in_a_missing_folder_fails_before_the_log_is_read(tmp_path: Path) -> None:
    # The log does not exist either: the output check comes first, so a long scan is not
    # run only to fail at its last step.
    missing_log = str(tmp_path / "missing.parquet")
    for args in (["scan", missing_log, "--html", str(tmp_path / "no" / "r.html")],
                 ["scan", missing_log, "--profile", str(tmp_path / "no" / "p.json")],
                 ["templates", missing_log, "-o", str(tmp_path / "no" / "t.txt")]):
        result = CliRunner().invoke(main, [*args, "-q"])
        assert result.exit_code == ExitCode.USAGE_OR_INPUT, args
        assert "cannot write" in result.stderr and "missing.parquet" not in result.stderr, args
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(main, ["scan", missing_log, "-o", str(blocker / "x.json"), "-q"])
    assert result.stderr.strip() == f"distillscan: error: cannot write {blocker / 'x.json'}: Not a directory"
