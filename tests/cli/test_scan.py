"""`distillscan scan` through click's CliRunner: formats, filters, the gate's exit code,
awkward and hostile input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner, Result

from distillscan.cli.main import main
from distillscan.environment import Environment
from distillscan.errors import ExitCode
from tests.helpers import at, requests_frame


def _run(*args: str, input: str | bytes | None = None) -> Result:
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
    as_csv = _run("scan", str(log_path), "--format", "csv", "--min-severity", "high").stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
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


def test_stdin_jsonl(tmp_path: Path) -> None:
    rows = requests_frame(
        [{"account_id": f"a{i % 3}", "timestamp": at(hours=i), "prompt": f"hello {i}"} for i in range(30)]
    )
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


def test_malformed_jsonl_line_names_file_and_line(bad_jsonl: Path) -> None:
    path = bad_jsonl
    result = CliRunner().invoke(main, ["scan", str(path)])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and f"{path}:4" in message and "Traceback" not in message


def test_json_escapes_c1_controls(tmp_path: Path) -> None:
    path = tmp_path / "c1.parquet"
    requests_frame([{"account_id": "evil\x9b2J", "timestamp": at(), "prompt": "x"}]).write_parquet(path)
    out = _run("scan", str(path), "--format", "json", "--min-severity", "info").stdout
    assert "\x9b" not in out and "\\u009b" in out
    assert json.loads(out)["groups"][0]["accounts"] == ["evil\x9b2J"]


def test_scan_writes_to_the_environment_it_is_given(log_path: Path) -> None:
    """A caller's Environment (click's `obj`) gets the report on its stdout and the notes
    on its stderr; the process's streams get nothing."""
    env = Environment.of()
    result = CliRunner().invoke(main, ["scan", str(log_path), "--format", "json", "--fail-on", "critical"], obj=env,
                                catch_exceptions=False)
    assert result.exit_code == ExitCode.FINDINGS
    assert result.stdout == "" and result.stderr == ""
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    assert json.loads(env.stdout.getvalue())["groups"]
    assert env.stderr.getvalue().startswith("[!] --fail-on critical:")
