"""Export, baseline, allowlist and the CI gate on the bundled sample log (scanned once)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from rich.console import Console

from distillscan.cli.main import main
from distillscan.errors import ExitCode, UsageError
from distillscan.model.groups import SEVERITIES
from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.pipeline import scan
from distillscan.report.documents import SCHEMA_VERSION
from distillscan.report.export import (
    ACCOUNT_COLUMNS,
    EXPORT_FILES,
    TEMPLATE_COLUMNS,
    check_export_dir,
    export_documents,
    write_export,
)
from distillscan.report.formats import render_csv, render_json, render_jsonl
from distillscan.report.selection import Selection, select_groups, select_suppressed
from distillscan.report.table import render_table
from distillscan.triage.allow import parse_allowlist
from distillscan.triage.baseline import compare, parse_baseline, with_baseline
from distillscan.triage.gate import describe_failures, gate_failures

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs" / "requests.parquet")
REPORTED = Selection(min_severity="low")


@pytest.fixture(scope="session")
def sample() -> ScanResult:
    return scan([SAMPLE], ScanOptions())


@pytest.fixture(scope="session")
def sample_report(sample: ScanResult) -> dict[str, Any]:
    """The sample's `--format json` report, as a baseline would hold it."""
    return json.loads(render_json(sample, select_groups(sample, REPORTED)))


@pytest.fixture(scope="session")
def top_accounts(sample_report: dict[str, Any]) -> list[str]:
    return sample_report["groups"][0]["accounts"]


@pytest.fixture(scope="session")
def allowed(top_accounts: list[str]) -> ScanResult:
    """The sample scanned with the top group's accounts allowlisted."""
    text = "# partners\n" + "".join(f"account:{account}\n" for account in top_accounts) + "org:no_such_org\n"
    return scan([SAMPLE], ScanOptions(allow=parse_allowlist(text, "allow.txt")))


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _without_rank(document: dict[str, Any], rank: int) -> dict[str, Any]:
    return {**document, "groups": [g for g in document["groups"] if g["rank"] != rank]}


def _at_or_above(document: dict[str, Any], severity: str) -> list[str]:
    """The reported groups at or above `severity`, in rank order."""
    levels = SEVERITIES[: SEVERITIES.index(severity) + 1]
    return [group["group_id"] for group in document["groups"] if group["severity"] in levels]


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- export -----------------------------------------------------------------------------


def test_export_files_match_the_report(sample: ScanResult, tmp_path: Path) -> None:
    shown = select_groups(sample, Selection(min_severity="high"))
    groups_json = render_json(sample, shown)
    write_export(tmp_path / "ev", export_documents(sample, shown, groups_json))
    folder = tmp_path / "ev"
    assert sorted(path.name for path in folder.iterdir()) == sorted(EXPORT_FILES)
    report = json.loads((folder / "groups.json").read_text(encoding="utf-8"))
    assert (folder / "groups.json").read_text(encoding="utf-8") == groups_json
    reported = {group["group_id"]: group for group in report["groups"]}
    assert reported and all(group["severity"] in {"critical", "high"} for group in reported.values())

    with (folder / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        accounts = list(csv.DictReader(handle))
    assert list(accounts[0]) == list(ACCOUNT_COLUMNS)
    assert sorted(row["account_id"] for row in accounts) == sorted(
        account for group in reported.values() for account in group["accounts"]
    )
    for row in accounts:
        group = reported[row["group_id"]]
        assert row["severity"] == group["severity"] and float(row["score"]) == group["score"]
        assert group["first_seen"] <= row["first_seen"] <= row["last_seen"] <= group["last_seen"]
    per_group = {}
    for row in accounts:
        per_group[row["group_id"]] = per_group.get(row["group_id"], 0) + int(row["n_requests"])
    assert per_group == {gid: group["n_requests"] for gid, group in reported.items()}
    ranks = [reported[row["group_id"]]["rank"] for row in accounts]
    assert ranks == sorted(ranks)

    with (folder / "templates.csv").open(encoding="utf-8", newline="") as handle:
        templates = list(csv.DictReader(handle))
    assert list(templates[0]) == list(TEMPLATE_COLUMNS)
    for group_id, group in reported.items():
        mine = {row["template"]: row for row in templates if row["group_id"] == group_id}
        for template in group["templates"]:  # the report's top templates are all there, same numbers
            row = mine[template["template"]]
            assert (row["skeleton"], int(row["n_requests"]), int(row["n_accounts"]), float(row["share"])) == (
                template["skeleton"], template["n_requests"], template["n_accounts"], template["share"])

    indicators = json.loads((folder / "indicators.json").read_text(encoding="utf-8"))
    assert indicators["schema"] == "distillscan.indicators" and indicators["schema_version"] == 1
    assert indicators["generated_by"]["name"] == "distillscan"
    assert [group["group_id"] for group in indicators["groups"]] == list(reported)
    assert set(indicators["indicators"]) == {"ip", "subnet", "payment_fingerprint", "user_agent", "org_id", "template"}
    assert {row["value"] for row in indicators["indicators"]["template"]} == {row["template"] for row in templates}
    for values in indicators["indicators"].values():
        for value in values:
            assert {g["group_id"] for g in value["groups"]} <= set(reported)
            assert value["n_accounts"] == sum(g["n_accounts"] for g in value["groups"]) <= value["accounts_in_scan"]
    text = (folder / "indicators.json").read_text(encoding="utf-8")
    assert "skeleton" not in text and "acct_" not in text  # no prompt text, no account ids
    exported_ips = {value["value"] for value in indicators["indicators"]["ip"]}
    member_ips = set(sample.aggregates.account_values.lazy().filter(
        (pl.col("kind") == "ip") & (pl.col("account_id") == accounts[0]["account_id"])).collect()["value"])
    assert member_ips and member_ips <= exported_ips


def test_export_refuses_foreign_files_unless_forced(sample: ScanResult, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "accounts.csv").write_text("my,own,list\n", encoding="utf-8")
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match=r"refusing to overwrite accounts\.csv"):
        check_export_dir(folder)
    shown = select_groups(sample, Selection(top=2))
    documents = export_documents(sample, shown, render_json(sample, shown))
    with pytest.raises(UsageError, match="--force"):
        write_export(folder, documents)
    write_export(folder, documents, force=True)
    write_export(folder, documents)  # our own files are replaced without --force
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(path.name for path in folder.iterdir()) == sorted([*EXPORT_FILES, "notes.txt"])
    with pytest.raises(UsageError, match="not a directory"):
        check_export_dir(folder / "notes.txt")


# --- baseline and gate (library) ----------------------------------------------------------


def test_baseline_from_the_same_input_is_all_unchanged(sample: ScanResult, sample_report: dict[str, Any]) -> None:
    comparison = compare(sample.report, sample.linkage.membership, parse_baseline(sample_report, "b", SCHEMA_VERSION))
    shown = [group["group_id"] for group in sample_report["groups"]]
    assert set(comparison.status_of(shown).values()) == {"unchanged"}
    assert comparison.gone.height == 0
    result = replace(sample, baseline=comparison)
    assert gate_failures(result, "info", only_new=True).filter(pl.col("severity") != "info").height == 0
    at_or_above_high = _at_or_above(sample_report, "high")
    assert at_or_above_high
    assert gate_failures(result, "high")["group_id"].to_list() == at_or_above_high  # --fail-on alone ignores it


def test_baseline_renders_in_every_format(sample: ScanResult, sample_report: dict[str, Any]) -> None:
    baseline = parse_baseline(_without_rank(sample_report, 2), "b.json", SCHEMA_VERSION)
    result = replace(sample, baseline=compare(sample.report, sample.linkage.membership, baseline))
    shown = select_groups(result, Selection(top=3))
    document = json.loads(render_json(result, shown))
    assert [g["baseline"]["status"] for g in document["groups"]] == ["unchanged", "new", "unchanged"]
    assert document["summary"]["baseline"]["reported"] == {"new": 1, "grown": 0, "unchanged": 2}
    assert document["summary"]["baseline"]["gone"] == []
    lines = [json.loads(line) for line in render_jsonl(result, shown).splitlines()]
    assert [line["baseline"]["status"] for line in lines] == ["unchanged", "new", "unchanged"]
    rows = list(csv.DictReader(io.StringIO(render_csv(result, shown))))
    assert [row["baseline_status"] for row in rows] == ["unchanged", "new", "unchanged"]
    assert rows[0]["baseline_group_id"] == rows[0]["group_id"] and rows[1]["baseline_group_id"] == ""
    buffer = io.StringIO()
    render_table(result, shown, Console(file=buffer, width=160, no_color=True))
    table = buffer.getvalue()
    assert "baseline" in table and " new " in table
    assert "baseline b.json: 1 new, 0 grown, 2 unchanged; 0 gone" in table


def test_gone_group_is_listed(sample: ScanResult, sample_report: dict[str, Any]) -> None:
    extra = {**sample_report["groups"][0], "group_id": "G-vanished", "rank": 99,
             "accounts": ["acct_not_in_today"], "n_accounts": 1, "templates": []}
    document = {**sample_report, "groups": [*sample_report["groups"], extra]}
    comparison = compare(sample.report, sample.linkage.membership, parse_baseline(document, "b", SCHEMA_VERSION))
    assert comparison.gone["baseline_group_id"].to_list() == ["G-vanished"]
    summary = comparison.summary_document([])
    assert summary["gone"][0]["group_id"] == "G-vanished" and summary["gone"][0]["rank"] == 99


# --- allowlist (library) ------------------------------------------------------------------


def test_allowlisted_group_is_suppressed_and_reported_as_such(
    allowed: ScanResult, top_accounts: list[str], sample_report: dict[str, Any]
) -> None:
    top, second = sample_report["groups"][:2]
    assert allowed.suppression is not None
    assert not set(allowed.linkage.membership["account_id"]) & set(top_accounts)
    assert allowed.suppression.report.groups.height == 1
    assert sorted(allowed.suppression.linkage.membership["account_id"]) == sorted(top_accounts)
    # At the second group's severity the gate fails on the top group too, unless it is suppressed.
    failing = _at_or_above(sample_report, second["severity"])
    assert failing[:2] == [top["group_id"], second["group_id"]]
    assert gate_failures(allowed, second["severity"])["group_id"].to_list() == failing[1:]
    shown = select_groups(allowed, REPORTED)
    suppressed = select_suppressed(allowed, REPORTED)
    assert suppressed is not None
    document = json.loads(render_json(allowed, shown, suppressed))
    summary = document["summary"]["suppressed"]
    assert summary["accounts"] == len(top_accounts) and summary["groups"] == 1
    assert summary["groups_by_severity"][top["severity"]] == 1
    assert summary["unmatched_entries"] == ["org:no_such_org"]
    assert len(summary["entries"]) == len(top_accounts)
    assert [g["group_id"] for g in document["suppressed_groups"]] == [top["group_id"]]
    assert document["suppressed_groups"][0]["suppressed"] is True
    assert len(document["suppressed_groups"][0]["allowed_by"]) == len(top_accounts)
    assert top["group_id"] not in {g["group_id"] for g in document["groups"]}
    without_listing = json.loads(render_json(allowed, shown))
    assert "suppressed_groups" not in without_listing and without_listing["summary"]["suppressed"]["groups"] == 1
    rows = list(csv.DictReader(io.StringIO(render_csv(allowed, shown, suppressed))))
    assert [row["suppressed"] for row in rows].count("true") == 1
    buffer = io.StringIO()
    render_table(allowed, shown, Console(file=buffer, width=160, no_color=True), suppressed=suppressed)
    table = buffer.getvalue()
    assert "Suppressed groups" in table and "allowed by account:" in table
    assert f"suppressed (allowlisted): {len(top_accounts)} accounts in 1 group(s)" in table
    documents = export_documents(allowed, shown, render_json(allowed, shown))
    assert not set(top_accounts) & {line.split(",")[0] for line in documents["accounts.csv"].splitlines()}


def test_baseline_group_now_allowlisted_is_not_gone(allowed: ScanResult, sample_report: dict[str, Any]) -> None:
    baseline = parse_baseline(sample_report, "b", SCHEMA_VERSION)
    comparison = compare(allowed.report, allowed.linkage.membership, baseline, allowed.suppression)
    assert comparison.gone.height == 0
    assert comparison.now_suppressed == (sample_report["groups"][0]["group_id"],)


# --- the CLI ------------------------------------------------------------------------------


def test_cli_same_baseline_passes_fail_on_new(sample_report: dict[str, Any], tmp_path: Path) -> None:
    base = _write(tmp_path / "base.json", sample_report)
    result = _run("scan", SAMPLE, "--baseline", str(base), "--fail-on-new", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    document = json.loads(result.stdout)
    assert {g["baseline"]["status"] for g in document["groups"]} == {"unchanged"}
    assert document["summary"]["baseline"]["gone"] == []


def test_cli_one_group_removed_from_baseline_is_new_and_fails(sample_report: dict[str, Any], tmp_path: Path) -> None:
    top = sample_report["groups"][0]  # removed from the baseline: the test below allowlists it
    assert top["group_id"] in _at_or_above(sample_report, "high")  # where --fail-on-new gates by default
    base = _write(tmp_path / "base.json", _without_rank(sample_report, 1))
    result = _run("scan", SAMPLE, "--baseline", str(base), "--fail-on-new", "--format", "jsonl")
    assert result.exit_code == ExitCode.FINDINGS
    statuses = [json.loads(line)["baseline"]["status"] for line in result.stdout.splitlines()]
    assert statuses.count("new") == 1 and statuses.count("unchanged") == len(statuses) - 1
    assert (
        f"--fail-on high: 1 new or grown group(s) at or above high: {top['group_id']} (#1 {top['severity']} new)"
    ) in result.stderr


def test_cli_allowlisting_the_new_group_passes_the_gate(
    sample_report: dict[str, Any], top_accounts: list[str], tmp_path: Path
) -> None:
    base = _write(tmp_path / "base.json", _without_rank(sample_report, 1))
    allow = tmp_path / "allow.txt"
    allow.write_text("".join(f"account:{a}\n" for a in top_accounts) + "account:nobody\n", encoding="utf-8")
    export = tmp_path / "ev"
    args = ["scan", SAMPLE, "--baseline", str(base), "--fail-on-new", "--allow", str(allow), "--show-suppressed",
            "--export", str(export)]
    result = _run(*args, "--format", "json")
    assert result.exit_code == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["suppressed"]["groups"] == 1
    assert document["summary"]["baseline"]["gone"] == [] and document["summary"]["baseline"]["now_suppressed"] == []
    assert [g["group_id"] for g in document["suppressed_groups"]] == [sample_report["groups"][0]["group_id"]]
    assert "allowlist entry matches no account in this scan: account:nobody" in result.stderr
    assert (export / "groups.json").read_text(encoding="utf-8") == result.stdout
    first = {name: (export / name).read_bytes() for name in EXPORT_FILES}
    again = _run(*args, "--format", "table", "-q")
    assert again.exit_code == ExitCode.OK and again.stderr == ""
    assert {name: (export / name).read_bytes() for name in EXPORT_FILES} == first  # byte-identical
    assert "Suppressed groups" in again.stdout


def test_cli_suppressed_groups_never_fail_fail_on(sample_report: dict[str, Any], tmp_path: Path) -> None:
    critical = [a for g in sample_report["groups"] if g["severity"] == "critical" for a in g["accounts"]]
    config = tmp_path / "distillscan.toml"
    config.write_text("allow = [" + ", ".join(f'"account:{a}"' for a in critical) + "]\n", encoding="utf-8")
    result = _run("scan", SAMPLE, "--config", str(config), "--fail-on", "critical", "--format", "csv")
    assert result.exit_code == ExitCode.OK, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(row["severity"] != "critical" for row in rows)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not a distillscan report (not JSON"),
        ('{"schema_version": 1}\n{"schema_version": 1}\n', "a --format jsonl report?"),
        ('{"name": "something else"}', "not a distillscan report (no schema_version)"),
        ('{"schema_version": 7, "summary": {"tool": {"name": "distillscan", "version": "3.0"}}, "groups": []}',
         "schema_version 7 was written by a newer distillscan"),
    ],
)
def test_cli_bad_baseline_is_one_line_exit_2(content: str, message: str, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(content, encoding="utf-8")
    result = _run("scan", SAMPLE, "--baseline", str(base), "--fail-on-new")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on-new"], "--fail-on-new needs --baseline"),
        (["--force"], "--force only applies to --export"),
        (["--show-suppressed"], "--show-suppressed needs an allowlist"),
    ],
)
def test_cli_option_misuse_is_exit_2(args: list[str], message: str) -> None:
    result = _run("scan", SAMPLE, *args)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and message in result.stderr


def test_cli_export_into_foreign_files_fails_before_scanning(tmp_path: Path) -> None:
    (tmp_path / "groups.json").write_text("{}", encoding="utf-8")
    result = _run("scan", str(tmp_path / "no-such-log.parquet"), "--export", str(tmp_path))
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert "refusing to overwrite groups.json" in result.stderr  # not the missing-input error


def test_hostile_baseline_and_allow_text_is_inert_in_the_terminal(
    sample: ScanResult, sample_report: dict[str, Any], tmp_path: Path
) -> None:
    hostile = "G-\x1b]8;;http://evil\x07x\x1b]8;;\x07\x1b[2J[red]y[/red]"
    extra = {**sample_report["groups"][0], "group_id": hostile, "rank": 99, "accounts": ["acct_gone"],
             "n_accounts": 1, "templates": []}
    baseline = parse_baseline({**sample_report, "groups": [extra]}, "b\x1b[31m.json", SCHEMA_VERSION)
    result = with_baseline(sample, baseline)
    buffer = io.StringIO()
    render_table(result, select_groups(result, Selection(top=1)),
                 Console(file=buffer, force_terminal=True, width=160, color_system="truecolor"))
    rendered = buffer.getvalue()
    assert "\x1b]8;" not in rendered and "\x1b[2J" not in rendered and "\x1b[31m.json" not in rendered
    assert "[red]y[/red]" in rendered  # shown literally, not as markup
    allow = tmp_path / "allow.txt"
    allow.write_text("account:\x1b[2Jghost\n", encoding="utf-8")
    cli = _run("scan", SAMPLE, "--allow", str(allow), "--format", "csv", "--top", "1")
    assert "matches no account in this scan: account:ghost" in cli.stderr and "\x1b" not in cli.stderr


def test_gate_failure_line_names_groups(sample: ScanResult, sample_report: dict[str, Any]) -> None:
    first, second, third = sample_report["groups"][:3]
    severity = third["severity"]  # at least three groups fail: two are named, the rest counted
    failures = gate_failures(sample, severity)
    failing = _at_or_above(sample_report, severity)
    line = describe_failures(failures, severity, only_new=False, limit=2)
    assert line.startswith(
        f"--fail-on {severity}: {len(failing)} group(s) at or above {severity}: "
        f"{first['group_id']} (#1 {first['severity']}), {second['group_id']} (#2 {second['severity']})"
    )
    assert line.endswith(f"and {len(failing) - 2} more") and third["group_id"] not in line
    for level in SEVERITIES[:-1]:  # the report holds the groups at or above low
        assert gate_failures(sample, level)["group_id"].to_list() == _at_or_above(sample_report, level)
    with pytest.raises(UsageError, match="needs --baseline"):
        gate_failures(sample, "high", only_new=True)
