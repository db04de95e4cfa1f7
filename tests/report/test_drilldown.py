"""explain, templates and accounts on the bundled sample log, through the CLI.

The sample is scanned once per module; CLI calls on it reuse that scan (the commands'
own second read of the logs, for example requests, still happens for real).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from distillscan import pipeline
from distillscan.cli.main import main
from distillscan.errors import ExitCode
from distillscan.investigate import group_view
from distillscan.model.scan import ScanOptions, ScanResult
from tests.helpers import at, requests_frame

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs" / "requests.parquet")
TRUTH = Path(SAMPLE).with_name("ground_truth.csv")


@pytest.fixture(scope="module")
def sample() -> ScanResult:
    return pipeline.scan([SAMPLE], ScanOptions())


@pytest.fixture
def cli(sample: ScanResult, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Run the CLI with scans of the sample answered from the module's one scan."""
    real_scan = pipeline.scan

    def scan_once(paths: list[str], options: ScanOptions, on_shard: Any = None, **rest: Any) -> ScanResult:
        if list(paths) == [SAMPLE] and not options.column_map and options.preset in (None, "auto"):
            return sample
        return real_scan(paths, options, on_shard, **rest)

    monkeypatch.setattr(pipeline, "scan", scan_once)
    # The one scan serves every command here: a command must not remove its tables.
    monkeypatch.setattr(ScanResult, "close", lambda self: None)

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input)

    yield run


def _top(sample: ScanResult) -> dict[str, Any]:
    return sample.report.groups.filter(pl.col("rank") == 1).row(0, named=True)


def test_explain_top_group_matches_the_scan(sample: ScanResult, cli: Any) -> None:
    top = _top(sample)
    result = cli("explain", "1", SAMPLE, "--format", "json", "--examples", "1", "--templates", "4")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    members = sample.linkage.membership.filter(pl.col("group_id") == top["group_id"])["account_id"]
    assert document["group"]["group_id"] == top["group_id"]
    assert sorted(row["account_id"] for row in document["members"]) == sorted(members)
    assert sum(row["n_requests"] for row in document["members"]) == top["n_requests"]
    activity = document["activity"]
    assert sum(day["n"] for day in activity["days"]) == sum(activity["hours"]) == top["n_requests"]
    assert sum(sum(day["hours"]) for day in activity["days"]) == top["n_requests"]
    assert sum(topic["n"] for topic in document["topics"]) == top["n_requests"]
    assert len(document["templates"]) == 4 and document["templates_total"] >= 4
    for template in document["templates"]:
        assert len(template["examples"]) == 1
        assert template["examples"][0]["account_id"] in set(members)
    assert document["release"]["model"] == top["new_model"]
    linked = {row["a"] for row in document["links"]["strongest"]} | {row["b"] for row in document["links"]["strongest"]}
    assert linked <= set(members) and document["links"]["by_kind"]
    assert {part["name"] for part in document["components"]} >= {"content", "behaviour", "pivot"}


def test_top_group_templates_sum_to_its_requests_and_members_are_campaign(sample: ScanResult) -> None:
    top = _top(sample)
    view = group_view(sample, top["group_id"])
    assert view.templates["n_requests"].sum() + view.one_off_requests == top["n_requests"]
    assert view.infrastructure.filter(pl.col("kind") == "payment")["n_requests"].sum() == top["n_requests"]
    truth = pl.read_csv(TRUTH).join(view.accounts.select("account_id"), on="account_id")
    assert truth.height == top["n_accounts"] and set(truth["label"]) == {"campaign"}


def test_explain_table_shows_every_section(sample: ScanResult, cli: Any, tmp_path: Path) -> None:
    top = _top(sample)
    html = tmp_path / "group.html"
    result = cli("explain", top["group_id"], SAMPLE, "--examples", "1", "--html", str(html))
    assert result.exit_code == 0, result.output
    for heading in ("Why", "Score components", "Accounts (", "Links", "Templates (", "Topic mix",
                    "Activity by day and hour", "Shared infrastructure", "Models", "↳", "█"):
        assert heading in result.stdout, heading
    page = html.read_text(encoding="utf-8")
    assert top["group_id"] in page and "strongest link to another" in page


def test_explain_unknown_group_is_exit_2_with_a_hint(cli: Any) -> None:
    result = cli("explain", "G-doesnotexist", SAMPLE)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "distillscan scan" in message and "G-doesnotexist" in message


def test_explain_reads_examples_only_from_files(tmp_path: Path) -> None:
    rows = requests_frame([
        {"account_id": f"a{i % 3}", "timestamp": at(hours=i), "prompt": f"Solve case {i} step by step please"}
        for i in range(30)
    ])
    text = rows.with_columns(pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%SZ")).select(
        "account_id", "timestamp", "prompt").write_ndjson()
    result = CliRunner().invoke(main, ["explain", "1", "-", "--format", "json"], input=text)
    assert result.exit_code == 0, result.output
    assert "standard input cannot be read a second time" in result.stderr
    assert "examples" not in json.loads(result.stdout)["templates"][0]


def test_templates_sorts_and_formats(sample: ScanResult, cli: Any) -> None:
    document = json.loads(cli("templates", SAMPLE, "--format", "json").stdout)
    templates = document["templates"]
    assert [t["n_requests"] for t in templates] == sorted((t["n_requests"] for t in templates), reverse=True)
    assert all(t["n_requests"] >= 3 for t in templates)
    top_group = _top(sample)["group_id"]
    hydra = [t for t in templates if top_group in t["groups"]]
    assert hydra and hydra[0]["max_severity"] == "critical"
    by_accounts = json.loads(cli("templates", SAMPLE, "--format", "json", "--sort", "accounts", "--top", "5").stdout)
    counts = [t["n_accounts"] for t in by_accounts["templates"]]
    assert len(counts) == 5 and counts == sorted(counts, reverse=True)
    assert counts[0] == max(t["n_accounts"] for t in templates)
    rows = list(csv.DictReader(io.StringIO(cli("templates", SAMPLE, "--format", "csv", "--sort", "first-seen").stdout)))
    assert len(rows) == len(templates)
    assert [row["first_seen"] for row in rows] == sorted(row["first_seen"] for row in rows)
    table = cli("templates", SAMPLE, "--top", "3")
    assert table.exit_code == 0 and "Prompt templates (showing 3 of" in table.stdout


def test_accounts_filter_and_formats(sample: ScanResult, cli: Any, tmp_path: Path) -> None:
    top = _top(sample)
    members = sorted(sample.linkage.membership.filter(pl.col("group_id") == top["group_id"])["account_id"])
    chosen = members[:2]
    listed = cli("accounts", SAMPLE, "--account", chosen[0], "--account", chosen[1], "--format", "json")
    document = json.loads(listed.stdout)
    assert sorted(row["account_id"] for row in document["accounts"]) == chosen
    assert {(row["group_id"], row["severity"], row["score"]) for row in document["accounts"]} == {
        (top["group_id"], top["severity"], round(top["score"], 4))
    }
    rows = list(csv.DictReader(io.StringIO(cli("accounts", SAMPLE, "--group", "1", "--format", "csv").stdout)))
    assert sorted(row["account_id"] for row in rows) == members
    out = tmp_path / "accounts.parquet"
    assert cli("accounts", SAMPLE, "--format", "parquet", "-o", str(out), "--sort", "requests").exit_code == 0
    frame = pl.read_parquet(out)
    assert frame.height == sample.summary.accounts
    assert frame["n_requests"].to_list() == sorted(frame["n_requests"].to_list(), reverse=True)
    missing = cli("accounts", SAMPLE, "--account", "acct_nobody")
    assert missing.exit_code == ExitCode.USAGE_OR_INPUT and "unknown account 'acct_nobody'" in missing.stderr
    assert cli("accounts", SAMPLE, "--format", "parquet").exit_code == ExitCode.USAGE_OR_INPUT


def test_new_commands_share_the_scan_input_options() -> None:
    scan_options = {param.name for param in main.commands["scan"].params}
    shared = {"column_map", "input_format", "preset", "config_path", "skip_errors"}
    assert shared <= scan_options
    for name in ("explain", "templates", "accounts"):
        assert shared <= {param.name for param in main.commands[name].params}, name
