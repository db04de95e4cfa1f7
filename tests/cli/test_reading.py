"""What every reading command shares (`cli.reading`): skipped input noted and exit 3,
the auto-detected preset noted, the spill folder under --temp-dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from distillscan.cli.main import main
from distillscan.errors import ExitCode


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_skip_errors_reports_and_exits_partial(bad_jsonl: Path) -> None:
    path = bad_jsonl
    result = CliRunner().invoke(
        main, ["scan", str(path), "--skip-errors", "--format", "json", "--min-severity", "info"]
    )
    assert result.exit_code == ExitCode.PARTIAL
    summary = json.loads(result.stdout)["summary"]
    assert summary["rows_in"] == 7 and summary["rows_read"] == 6 and summary["rows_skipped"] == 1
    assert summary["skipped"][0]["line"] == 4
    assert "skipped 1 of 7" in result.stderr


def test_skipped_unreadable_file_is_reported(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"account_id": "a", "timestamp": "2026-05-01T00:00:00Z", "prompt": "hi"}) + "\n")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not really parquet")
    result = CliRunner().invoke(main, ["scan", str(good), str(bad), "--skip-errors"])
    assert result.exit_code == ExitCode.PARTIAL
    assert "bad.parquet" in result.stderr and "bad.parquet" in result.stdout


def test_report_records_the_preset_and_notes_auto_detection() -> None:
    fixture = str(Path(__file__).parents[1] / "read" / "fixtures" / "presets" / "litellm.jsonl")
    result = CliRunner().invoke(main, ["scan", fixture, "--format", "json", "--min-severity", "info"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["preset"] == "litellm" and "startTime" in summary["preset_reason"]
    assert "read as litellm" in result.stderr
    quiet = CliRunner().invoke(main, ["scan", fixture, "--format", "json", "-q"])
    assert quiet.stderr == ""


def test_temp_dir_holds_the_spill_folder_and_is_left_empty(
    log_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distillscan.aggregate.spill

    made: list[str] = []
    mkdtemp = distillscan.aggregate.spill.tempfile.mkdtemp

    def recording_mkdtemp(*args: object, **kwargs: object) -> str:
        folder = mkdtemp(*args, **kwargs)  # type: ignore[arg-type]
        made.append(folder)
        return folder

    monkeypatch.setattr(distillscan.aggregate.spill.tempfile, "mkdtemp", recording_mkdtemp)
    spill_parent = tmp_path / "big-disk"
    spill_parent.mkdir()
    result = _run("scan", str(log_path), "--format", "json", "--temp-dir", str(spill_parent))
    assert result.exit_code == 0, result.output
    # The spill folder, and the folder the completed large tables are read from.
    assert [Path(folder).parent for folder in made] == [spill_parent, spill_parent]
    assert list(spill_parent.iterdir()) == []
    missing = _run("scan", str(log_path), "--temp-dir", str(tmp_path / "nowhere"))
    assert missing.exit_code == ExitCode.USAGE_OR_INPUT and "nowhere" in missing.output
