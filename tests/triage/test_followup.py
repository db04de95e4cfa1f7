"""`follow_up` without the CLI: the order of its steps, what it returns, what `prepare` refuses."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from distillscan.errors import ExitCode, UsageError
from distillscan.model.groups import SEVERITIES
from distillscan.model.inputs import SkippedInput
from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.pipeline import scan
from distillscan.report.documents import SCHEMA_VERSION
from distillscan.report.export import EXPORT_FILES
from distillscan.report.formats import render_json
from distillscan.report.selection import Selection, select_groups
from distillscan.triage.allow import parse_allowlist
from distillscan.triage.baseline import parse_baseline
from distillscan.triage.followup import FollowUp, FollowUpOutcome, follow_up, input_status

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs" / "requests.parquet")
TOP3 = Selection(top=3, min_severity="low")


@pytest.fixture(scope="module")
def sample() -> ScanResult:
    return scan([SAMPLE], ScanOptions())


@pytest.fixture(scope="module")
def sample_report(sample: ScanResult) -> dict[str, Any]:
    """The sample's `--format json` report, as a baseline would hold it."""
    return json.loads(render_json(sample, select_groups(sample, Selection(min_severity="low"))))


def _top_two(sample: ScanResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sample's groups ranked 1 and 2 (group_id, rank, severity)."""
    first, second = sample.report.groups.sort("rank").head(2).select("group_id", "rank", "severity").to_dicts()
    return first, second


class Recorder:
    """A ReportWriter that keeps what it was given."""

    def __init__(self, export_dir: Path | None = None) -> None:
        self.calls: list[tuple[ScanResult, pl.DataFrame, pl.DataFrame | None]] = []
        self.export_dir = export_dir
        self.export_existed: bool | None = None

    def __call__(self, result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None) -> None:
        self.calls.append((result, shown, suppressed))
        if self.export_dir is not None:
            self.export_existed = self.export_dir.exists()


def test_without_options_it_writes_the_report_and_passes(sample: ScanResult) -> None:
    writer = Recorder()
    outcome = follow_up(sample, FollowUp(selection=TOP3), writer)
    assert outcome == FollowUpOutcome(notes=(), verdict=None, html=None, exit_code=ExitCode.OK)
    [(result, shown, suppressed)] = writer.calls
    assert result is sample and suppressed is None
    assert shown["rank"].to_list() == [1, 2, 3]


def test_the_gate_fails_on_a_reported_severity(sample: ScanResult) -> None:
    first, second = _top_two(sample)
    severity = second["severity"]  # the gate the two top groups both fail
    failing = sample.report.groups.filter(pl.col("severity").is_in(list(SEVERITIES[: SEVERITIES.index(severity) + 1])))
    outcome = follow_up(sample, FollowUp(selection=TOP3, fail_on=severity), Recorder())
    assert outcome.exit_code == ExitCode.FINDINGS
    assert outcome.verdict is not None and outcome.verdict.startswith(
        f"[!] --fail-on {severity}: {failing.height} group(s) at or above {severity}: "
        f"{first['group_id']} (#1 {first['severity']}), {second['group_id']} (#2 {second['severity']})"
    )
    # Every group counts, not only those shown.
    only_first = follow_up(sample, FollowUp(selection=Selection(top=1), fail_on=severity), Recorder())
    assert only_first.verdict == outcome.verdict


def test_the_report_sees_the_baseline_statuses_and_fail_on_new_counts_only_new(
    sample: ScanResult, sample_report: dict[str, Any]
) -> None:
    first, second = _top_two(sample)
    severity = second["severity"]  # the gate both fail; only the second is missing from the baseline
    without_second = {**sample_report, "groups": [g for g in sample_report["groups"] if g["rank"] != 2]}
    baseline = parse_baseline(without_second, "base.json", SCHEMA_VERSION)
    writer = Recorder()
    outcome = follow_up(
        sample, FollowUp(selection=TOP3, baseline=baseline, fail_on=severity, fail_on_new=True), writer
    )
    [(result, _, _)] = writer.calls
    assert result.baseline is not None
    statuses = dict(result.baseline.statuses.select("group_id", "status").iter_rows())
    assert statuses[second["group_id"]] == "new" and statuses[first["group_id"]] == "unchanged"
    assert outcome.exit_code == ExitCode.FINDINGS
    assert outcome.verdict == (
        f"[!] --fail-on {severity}: 1 new or grown group(s) at or above {severity}: "
        f"{second['group_id']} (#2 {second['severity']} new)"
    )
    same = parse_baseline(sample_report, "base.json", SCHEMA_VERSION)
    passed = follow_up(sample, FollowUp(selection=TOP3, baseline=same, fail_on_new=True), Recorder())
    assert (passed.verdict, passed.exit_code) == (None, ExitCode.OK)


def test_the_export_comes_after_the_report_and_holds_it(sample: ScanResult, tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    writer = Recorder(export_dir=folder)
    outcome = follow_up(sample, FollowUp(selection=TOP3, export_dir=folder), writer)
    assert writer.export_existed is False  # the report is out before the export is written
    assert sorted(path.name for path in folder.iterdir()) == sorted(EXPORT_FILES)
    [(result, shown, _)] = writer.calls
    assert (folder / "groups.json").read_text(encoding="utf-8") == render_json(result, shown)
    assert outcome.notes == (f"[+] exported 4 files to {folder}",)


def test_the_html_report_is_returned_for_the_shown_groups(sample: ScanResult) -> None:
    outcome = follow_up(sample, FollowUp(selection=Selection(top=2), html=True), Recorder())
    assert outcome.html is not None and outcome.html.startswith("<!DOCTYPE html>")
    first, second = _top_two(sample)
    for group in (first, second):  # each with its own section
        assert f'<section class="group" id="group-{group["group_id"]}">' in outcome.html
    assert sample.report.groups.filter(pl.col("rank") == 3)["group_id"][0] not in outcome.html


def test_suppressed_groups_and_unmatched_allow_entries(sample: ScanResult, tmp_path: Path) -> None:
    first, second = _top_two(sample)
    top = first["group_id"]
    members = sample.linkage.membership.filter(pl.col("group_id") == top)["account_id"].to_list()
    entries = "".join(f"account:{account}\n" for account in members)
    entries += "".join(f"account:ghost{i}\n" for i in range(12))
    allowed = scan([SAMPLE], ScanOptions(allow=parse_allowlist(entries, "allow.txt")))
    writer = Recorder()
    # At the second group's severity the gate fails on it, and would on the top group were it reported.
    options = FollowUp(selection=TOP3, show_suppressed=True, fail_on=second["severity"])
    outcome = follow_up(allowed, options, writer)
    [(_, shown, suppressed)] = writer.calls
    assert suppressed is not None and suppressed.height == 1 and top not in shown["group_id"].to_list()
    first_ghost_line = len(members) + 1
    assert outcome.notes[0] == (
        f"[!] allowlist entry matches no account in this scan: account:ghost0 (allow.txt:{first_ghost_line})"
    )
    assert outcome.notes[-1] == "[!] ... and 2 more allowlist entries match no account"
    assert len(outcome.notes) == 11
    assert outcome.verdict is not None and second["group_id"] in outcome.verdict
    assert top not in outcome.verdict  # suppressed groups never fail the gate


def test_skipped_input_is_partial_unless_the_gate_failed(sample: ScanResult) -> None:
    skipped = SkippedInput(path="bad.jsonl", reason="not JSON", rows=1, line=4)
    partial = replace(sample, summary=replace(sample.summary, rows_skipped=1, skipped=(skipped,)))
    assert input_status(partial.summary) == ExitCode.PARTIAL
    assert follow_up(partial, FollowUp(selection=TOP3), Recorder()).exit_code == ExitCode.PARTIAL
    assert follow_up(partial, FollowUp(selection=TOP3, fail_on="high"), Recorder()).exit_code == ExitCode.FINDINGS
    empty_file = SkippedInput(path="empty.parquet", reason="unreadable", rows=0)
    assert input_status(replace(sample.summary, skipped=(empty_file,))) == ExitCode.PARTIAL
    assert input_status(sample.summary) == ExitCode.OK


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"force": True}, "--force only applies to --export DIR"),
        ({"fail_on_new": True}, "--fail-on-new needs --baseline PREVIOUS.json"),
        ({"baseline_path": Path("no-such-baseline.json")}, r"no-such-baseline\.json"),
    ],
)
def test_prepare_refuses_before_the_scan(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):  # patterns: plain text, dots escaped
        FollowUp.prepare(selection=TOP3, **options)


def test_prepare_reads_the_baseline_and_checks_the_export_folder(
    sample_report: dict[str, Any], tmp_path: Path
) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps(sample_report), encoding="utf-8")
    prepared = FollowUp.prepare(selection=TOP3, baseline_path=base, fail_on_new=True, export_dir=tmp_path / "ev")
    assert prepared.baseline is not None and prepared.baseline.groups.height == len(sample_report["groups"])
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "groups.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match=r"refusing to overwrite groups\.json"):
        FollowUp.prepare(selection=TOP3, export_dir=tmp_path / "ev")
    assert FollowUp.prepare(selection=TOP3, export_dir=tmp_path / "ev", force=True).force
