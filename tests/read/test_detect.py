"""Detection: each format is recognised from its first records, file by file, stdin included."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.errors import UsageError
from distillscan.model.scan import ScanOptions
from distillscan.read import BUILTIN, detect_preset, discover_sources, load_frame, parse_presets, sample_fields
from distillscan.read.choice import choose_presets
from tests.read.preset_logs import (
    FIXTURE_PRESET,
    FIXTURES,
    REQUESTS,
    fixture_text,
    native_record,
    scan_groups,
)


@pytest.mark.parametrize("name", list(FIXTURE_PRESET))
def test_each_fixture_is_detected(name: str) -> None:

    fields = sample_fields(discover_sources([str(FIXTURES / f"{name}.jsonl")]))
    assert detect_preset(fields, BUILTIN).preset == FIXTURE_PRESET[name]


def test_native_log_stays_native() -> None:
    fields = ["account_id", "timestamp", "model", "messages", "ip"]
    assert detect_preset(fields, BUILTIN).preset == "native"


def test_ambiguous_format_asks_for_a_preset() -> None:
    with pytest.raises(UsageError, match="ambiguous"):
        detect_preset(["model", "messages", "user", "system", "user_id"],
                      {**BUILTIN, "x": parse_presets(
                          {"presets": {"x": {"columns": {"account_id": "user"},
                                             "detect": [["model", "messages", "user"]]}}})["x"]})


def test_schema_table_and_unknown_preset() -> None:
    runner = CliRunner()
    path = str(FIXTURES / "otel-genai.jsonl")
    shown = runner.invoke(main, ["schema", path])
    assert shown.exit_code == 0 and "otel-genai" in shown.output and "ip_infrastructure" in shown.output
    bad = runner.invoke(main, ["scan", path, "--preset", "nope"])
    assert bad.exit_code != 0 and "unknown preset" in bad.output


def _halves(tmp_path: Path, first: str, second: str) -> tuple[Path, Path]:
    """A folder holding REQUESTS split between two formats, and its native equivalent."""
    mixed, native = tmp_path / "mixed", tmp_path / "native"
    mixed.mkdir()
    native.mkdir()
    for index, name in enumerate([first, second]):
        lines = fixture_text(name).splitlines(keepends=True)[index::2]
        (mixed / f"{index}-{name}.jsonl").write_text("".join(lines), encoding="utf-8")
        _, report = load_frame([str(mixed / f"{index}-{name}.jsonl")], preset=BUILTIN[name])
        (native / f"{index}.jsonl").write_text("".join(
            json.dumps(native_record(r, set(report.available))) + "\n" for r in REQUESTS[index::2]),
            encoding="utf-8")
    return mixed, native


def test_each_file_is_read_with_its_own_preset(tmp_path: Path) -> None:
    mixed, native = _halves(tmp_path, "litellm", "anthropic-messages")
    assert scan_groups(mixed) == scan_groups(native)
    choice = choose_presets(discover_sources([str(mixed)]), ScanOptions())
    assert choice.name == "mixed" and "litellm" in choice.reason

    document = json.loads(CliRunner().invoke(main, ["scan", str(mixed), "--format", "json"]).stdout)
    assert document["summary"]["preset"] == "mixed"
    assert "litellm (1 file(s)" in document["summary"]["preset_reason"]
    assert document["summary"]["presets_by_file"] == {
        str(mixed / "0-litellm.jsonl"): "litellm",
        str(mixed / "1-anthropic-messages.jsonl"): "anthropic-messages"}
    shown = CliRunner().invoke(main, ["schema", str(mixed), "--format", "json"])
    assert json.loads(shown.stdout)["presets_by_file"] == document["summary"]["presets_by_file"]


def test_an_ambiguous_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[presets.x]\ncolumns = {account_id = "user"}\n'
                      'detect = [["startTime", "model", "prompt_tokens"]]\n', encoding="utf-8")
    path = FIXTURES / "litellm.jsonl"
    result = CliRunner().invoke(main, ["scan", str(path), "--config", str(config)])
    assert result.exit_code == 2
    assert f"error: {path}: the log format is ambiguous" in result.output


def test_stdin_is_detected_and_nothing_is_lost(tmp_path: Path) -> None:

    text = fixture_text("langfuse")
    for data in (text.encode(), gzip.compress(text.encode())):
        result = CliRunner().invoke(main, ["scan", "-", "--format", "json",
                                           "--min-severity", "info"], input=data)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)["summary"]
        assert summary["preset"] == "langfuse" and summary["rows_read"] == len(REQUESTS)
    assert "read as langfuse (auto-detected" in result.stderr
