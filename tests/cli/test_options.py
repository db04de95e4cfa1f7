"""The shared option sets: declared once, read the same way by every command."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.cli.options import LogInputs, parse_column_map
from distillscan.errors import ExitCode, UsageError

FORMAT_FLAGS = {"--map", "--input-format", "--preset", "--config"}
READ_FLAGS = {"--skip-errors", "--threads", "--temp-dir"}


def _flags(command: str) -> set[str]:
    return {flag for param in main.commands[command].params if isinstance(param, click.Option) for flag in param.opts}


def test_bad_map_is_usage_error(log_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(log_path), "--map", "nonsense"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "--map" in result.stderr


@pytest.mark.parametrize("command", ["scan", "evaluate", "explain", "templates", "accounts"])
def test_every_reading_command_takes_the_input_options(command: str) -> None:
    assert FORMAT_FLAGS | READ_FLAGS | {"--debug"} <= _flags(command)
    assert {"-q", "--quiet"} <= _flags(command)


def test_schema_takes_the_format_options_only() -> None:
    """schema samples a log's first records: it reads no rows to skip, spill or thread."""
    assert _flags("schema") >= FORMAT_FLAGS
    assert not READ_FLAGS & _flags("schema")


def test_input_options_become_scan_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./distillscan.toml
    options = LogInputs(column_map=("account_id = user.id",), input_format="jsonl", skip_errors=True,
                        temp_dir=tmp_path).scan_options()
    assert dict(options.column_map) == {"account_id": "user.id"}
    assert (options.input_format, options.skip_errors, options.temp_dir) == ("jsonl", True, tmp_path)
    assert options.preset is None and options.presets is not None and "native" in options.presets
    assert LogInputs().scan_options().input_format is None  # auto: detected


@pytest.mark.parametrize(
    ("pair", "message"),
    [("nonsense", "--map expects CANONICAL=SOURCE"), ("=x", "--map expects"), ("nope=x", "unknown column 'nope'")],
)
def test_malformed_map_pairs_are_refused(pair: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_column_map([pair])
