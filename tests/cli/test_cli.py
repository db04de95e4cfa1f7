"""The command-line interface, through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from distillscan.cli.cli import main
from distillscan.errors import ExitCode
from distillscan.model.aggregates import Aggregates
from distillscan.synth import SynthConfig, write_synthetic
from tests.helpers import at, requests_frame


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "log.parquet"
    write_synthetic(SynthConfig(n_requests=30_000, seed=5), path)
    return path


def _run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_scan_table_to_stdout(log_path: Path) -> None:
    result = _run("scan", str(log_path))
    assert result.exit_code == 0, result.output
    assert "Suspect account groups" in result.output
    assert "critical" in result.output
    assert "requests from" in result.output


def test_scan_json_document(log_path: Path) -> None:
    result = _run("scan", str(log_path), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1
    summary = document["summary"]
    assert summary["rows_read"] + summary["rows_skipped"] + summary["rows_duplicate"] == summary["rows_in"]
    assert summary["rows_duplicate"] > 0  # the generator logs some gateway retries twice
    group = document["groups"][0]
    for key in ("group_id", "rank", "score", "severity", "accounts", "n_accounts", "n_requests",
                "first_seen", "last_seen", "templates", "topics", "features", "reasons"):
        assert key in group
    assert len(group["accounts"]) == group["n_accounts"]
    assert [g["rank"] for g in document["groups"]] == sorted(g["rank"] for g in document["groups"])
    assert 0.0 <= group["score"] <= 1.0 and group["reasons"]


def test_scan_filters_and_formats_agree(log_path: Path, tmp_path: Path) -> None:
    as_json = json.loads(_run("scan", str(log_path), "--format", "json", "--min-severity", "high").stdout)
    assert all(g["severity"] in {"critical", "high"} for g in as_json["groups"])
    lines = _run("scan", str(log_path), "--format", "jsonl", "--min-severity", "high").stdout
    assert lines.endswith("\n")
    assert [json.loads(line)["group_id"] for line in lines.splitlines()] == [g["group_id"] for g in as_json["groups"]]
    rows = list(csv.DictReader(io.StringIO(_run("scan", str(log_path), "--format", "csv", "--min-severity", "high").stdout)))
    assert [row["group_id"] for row in rows] == [g["group_id"] for g in as_json["groups"]]
    out = tmp_path / "groups.parquet"
    assert _run("scan", str(log_path), "--format", "parquet", "-o", str(out), "--top", "2").exit_code == 0
    assert pl.read_parquet(out).height == min(2, len(as_json["groups"]))


def test_top_and_min_score(log_path: Path) -> None:
    document = json.loads(_run("scan", str(log_path), "--format", "json", "--top", "1", "--min-score", "0.1").stdout)
    assert len(document["groups"]) == 1 and document["groups"][0]["rank"] == 1


def test_fail_on_exit_code(log_path: Path) -> None:
    assert _run("scan", str(log_path), "--format", "json", "--fail-on", "high").exit_code == ExitCode.FINDINGS
    assert _run("scan", str(log_path), "--format", "json").exit_code == ExitCode.OK


def test_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "nope.parquet")])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert "nope.parquet" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_map_is_usage_error(log_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(log_path), "--map", "nonsense"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "--map" in result.stderr


def test_stdin_jsonl(tmp_path: Path) -> None:
    rows = requests_frame([{"account_id": f"a{i % 3}", "timestamp": at(hours=i), "prompt": f"hello {i}"} for i in range(30)])
    text = rows.with_columns(pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%SZ")).select(
        "account_id", "timestamp", "prompt").write_ndjson()
    result = _run("scan", "-", "--format", "json", "--min-severity", "info", input=text)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["rows_read"] == 30 and document["summary"]["accounts"] == 3
    assert "ip_infrastructure" in document["summary"]["signals_unavailable"]


def test_single_account_and_equal_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    requests_frame([{"account_id": "solo", "timestamp": at(), "prompt": "same"} for _ in range(5)]).write_parquet(path)
    result = _run("scan", str(path), "--format", "json", "--min-severity", "info")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["accounts"] == 1 and len(document["groups"]) == 1


def test_empty_input_gives_valid_report(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    requests_frame([]).write_parquet(path)
    result = _run("scan", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["groups"] == [] and document["summary"]["rows_read"] == 0
    assert "No groups" in _run("scan", str(path)).output


def test_hostile_prompt_text_is_neutralised_in_table(tmp_path: Path) -> None:
    hostile = "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J [red]boom[/red] [link=http://evil]x[/link]"
    rows = [
        {"account_id": f"op{i}", "timestamp": at(hours=j), "prompt": f"{hostile} solve case {j} step by step",
         "payment_fingerprint": "card-1", "ip": "45.0.0.1"}
        for i in range(6) for j in range(40)
    ]
    path = tmp_path / "hostile.parquet"
    requests_frame(rows).write_parquet(path)
    result = _run("scan", str(path), "--min-severity", "info")
    assert result.exit_code == 0, result.output
    assert "\x1b]8;" not in result.output and "\x1b[2J" not in result.output
    assert "[red]boom[/red]" in result.output
    document = json.loads(_run("scan", str(path), "--format", "json", "--min-severity", "info").stdout)
    assert document["groups"][0]["n_accounts"] == 6


def test_every_command_has_help() -> None:
    assert {"scan", "explain", "templates", "accounts"} <= set(main.commands)
    for command in main.commands:
        result = _run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output, command
    assert "Examples" in _run("--help").output


def _jsonl_with_bad_line(tmp_path: Path) -> Path:
    good = [json.dumps({"account_id": f"a{i % 2}", "timestamp": f"2026-05-01T00:{i:02d}:00Z", "prompt": f"p{i}"}) for i in range(6)]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(good[:3] + ['{"account_id": "a1", "timestamp": '] + good[3:]) + "\n")
    return path


def test_malformed_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    path = _jsonl_with_bad_line(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(path)])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and f"{path}:4" in message and "Traceback" not in message


def test_skip_errors_reports_and_exits_partial(tmp_path: Path) -> None:
    path = _jsonl_with_bad_line(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(path), "--skip-errors", "--format", "json", "--min-severity", "info"])
    assert result.exit_code == ExitCode.PARTIAL
    summary = json.loads(result.stdout)["summary"]
    assert summary["rows_in"] == 7 and summary["rows_read"] == 6 and summary["rows_skipped"] == 1
    assert summary["skipped"][0]["line"] == 4
    assert "skipped 1 of 7" in result.stderr


def test_unwritable_output_is_a_usage_error(log_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(log_path), "--format", "json", "-o", str(tmp_path / "no" / "x.json")])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "cannot write" in result.stderr


def test_skipped_unreadable_file_is_reported(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"account_id": "a", "timestamp": "2026-05-01T00:00:00Z", "prompt": "hi"}) + "\n")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not really parquet")
    result = CliRunner().invoke(main, ["scan", str(good), str(bad), "--skip-errors"])
    assert result.exit_code == ExitCode.PARTIAL
    assert "bad.parquet" in result.stderr and "bad.parquet" in result.stdout


def test_evaluate_truth_text_is_not_markup(log_path: Path, tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("account_id,label,kind,entity_id\nacct_x,benign,[/oops] \x1b]0;pwned\x07,e1\n")
    result = CliRunner().invoke(main, ["evaluate", str(log_path), "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    assert "[/oops]" in result.stdout and "\x1b]0;" not in result.stdout


def test_json_escapes_c1_controls(tmp_path: Path) -> None:
    path = tmp_path / "c1.parquet"
    requests_frame([{"account_id": "evil\x9b2J", "timestamp": at(), "prompt": "x"}]).write_parquet(path)
    out = _run("scan", str(path), "--format", "json", "--min-severity", "info").stdout
    assert "\x9b" not in out and "\\u009b" in out
    assert json.loads(out)["groups"][0]["accounts"] == ["evil\x9b2J"]


def test_report_records_the_preset_and_notes_auto_detection() -> None:
    fixture = str(Path(__file__).parents[1] / "read" / "fixtures" / "presets" / "litellm.jsonl")
    result = CliRunner().invoke(main, ["scan", fixture, "--format", "json", "--min-severity", "info"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["preset"] == "litellm" and "startTime" in summary["preset_reason"]
    assert "read as litellm" in result.stderr
    quiet = CliRunner().invoke(main, ["scan", fixture, "--format", "json", "-q"])
    assert quiet.stderr == ""


def test_threads_are_read_from_argv_before_polars_starts(monkeypatch) -> None:
    import distillscan.cli.cli as cli_module
    from distillscan import launch

    assert launch.threads_from_argv(["scan", "x", "--threads", "3"]) == 3
    assert launch.threads_from_argv(["scan", "--threads=2", "x"]) == 2
    assert launch.threads_from_argv(["scan", "--threads", "zero"]) is None
    assert launch.threads_from_argv(["scan", "--", "--threads", "2"]) is None
    called: list[bool] = []
    monkeypatch.setattr(cli_module, "main", lambda: called.append(True))
    monkeypatch.setattr("sys.argv", ["distillscan", "scan", "x", "--threads", "2"])
    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    launch.main()
    import os

    assert os.environ["POLARS_MAX_THREADS"] == "2" and called == [True]


def test_progress_counts_files_and_rows_on_a_terminal() -> None:
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from distillscan.cli.cli import ScanProgress

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    with ScanProgress(console, files=2) as progress:
        progress.shard_done(SimpleNamespace(source=SimpleNamespace(path="a.jsonl"), rows_in=10))
        progress.shard_done(SimpleNamespace(source=SimpleNamespace(path="a.jsonl"), rows_in=5))
        progress.shard_done(SimpleNamespace(source=SimpleNamespace(path="b\x1b[2J.jsonl"), rows_in=7))
        progress.stage("summing aggregates")
        progress.stage("linking and scoring")  # a second stage counts no file again
        task = progress._progress.tasks[0]
        assert (task.completed, task.total, task.fields["rows"]) == (2, 2, 22)
        assert task.description == "linking and scoring"
    assert "\x1b[2J" not in buffer.getvalue()


@pytest.mark.parametrize(("extra", "expected"), [([], 0), (["--fail-on", "high"], 1), (["--format", "csv"], 0)])
def test_a_reader_that_goes_away_keeps_the_exit_code(extra: list[str], expected: int) -> None:
    """`distillscan scan … | head -1`: no traceback, no message, and the --fail-on verdict
    (not Rich's or click's broken-pipe exit 1) decides the code."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "distillscan", "scan", str(Path(__file__).parents[2] / "sample_logs"), "-q", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(1)
    process.stdout.close()
    error = process.stderr.read()
    assert (process.wait(timeout=120), error) == (expected, b"")


def test_tables_folder_removed_mid_scan_is_named_not_reported_as_a_bug(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distillscan.pipeline

    analyse = distillscan.pipeline.analyse

    def swept_then_analysed(aggregates: Aggregates) -> object:
        assert aggregates.folder is not None
        aggregates.folder.cleanup()  # a /tmp cleaner, between reading and linking
        return analyse(aggregates)

    monkeypatch.setattr(distillscan.pipeline, "analyse", swept_then_analysed)
    result = _run("scan", str(log_path), "--format", "json")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT, result.output
    assert "distillscan-tables-" in result.stderr
    assert "removed while it ran" in result.stderr and "--temp-dir" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output


def test_synth_volume_keeps_the_accounts_and_multiplies_the_rows(tmp_path: Path) -> None:
    counts = {}
    for volume in ("1", "2"):
        out, truth = tmp_path / f"v{volume}.parquet", tmp_path / f"v{volume}.csv"
        result = _run("synth", str(out), "--rows", "10000", "--seed", "4", "--volume", volume,
                      "--truth", str(truth))
        assert result.exit_code == 0, result.output
        counts[volume] = pl.read_parquet(out).height
        assert f"{counts[volume]:,} requests" in result.stderr
    assert (tmp_path / "v1.csv").read_bytes() == (tmp_path / "v2.csv").read_bytes()
    assert 1.8 * counts["1"] <= counts["2"] <= 2.2 * counts["1"]
    assert _run("synth", str(tmp_path / "x.parquet"), "--volume", "0").exit_code == ExitCode.USAGE_OR_INPUT


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
