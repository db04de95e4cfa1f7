"""What `scan` does with a result besides reading it: compare it with a baseline, write
the report, export the evidence, build the HTML report and apply the CI gate.

`FollowUp.prepare` checks the options before the scan (a long scan should not end in a
usage error); `follow_up` then runs the steps in the order a run needs: the baseline
comparison first (the report shows each group's status), then the report itself,
written by the caller's `write_report` (so it is out before the slower steps, and an
unwritable report stops them), then the export, the HTML document and the gate. What
is left for the caller — lines for a person, the HTML to write, the exit status —
comes back as a `FollowUpOutcome`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from distillscan.errors import ExitCode, UsageError
from distillscan.investigate.group import group_view
from distillscan.model.scan import ScanResult, ScanSummary
from distillscan.report.documents import SCHEMA_VERSION
from distillscan.report.export import check_export_dir, export_documents, write_export
from distillscan.report.formats import json_pieces
from distillscan.report.html import render_scan_html, section_groups
from distillscan.report.selection import Selection, select_groups, select_suppressed
from distillscan.triage.baseline import Baseline, load_baseline, with_baseline
from distillscan.triage.gate import FAIL_ON_NEW_DEFAULT, describe_failures, gate_failures

UNMATCHED_SHOWN: Final = 10
"""Allowlist entries that matched no account, named one a line; the rest are counted."""

ReportWriter = Callable[[ScanResult, pl.DataFrame, pl.DataFrame | None], None]
"""Writes the report: (result compared with the baseline, shown groups, suppressed groups or None)."""


@dataclass(frozen=True)
class FollowUp:
    """The steps `scan`'s options ask for after reading the logs."""

    selection: Selection = field(default_factory=Selection)
    """Which groups the report (and the export and HTML report) show."""
    show_suppressed: bool = False
    """Also report the allowlisted groups that pass the selection."""
    baseline: Baseline | None = None
    """A previous report to mark each group new, grown or unchanged against."""
    export_dir: Path | None = None
    """Write the evidence files (groups.json, accounts.csv, …) into this folder."""
    force: bool = False
    """Overwrite export files distillscan did not write."""
    html: bool = False
    """Build the self-contained HTML report."""
    fail_on: str | None = None
    """Exit 1 when a reported group is at or above this severity."""
    fail_on_new: bool = False
    """Count only groups new or grown against the baseline (at `fail_on`, else high)."""

    @classmethod
    def prepare(
        cls,
        *,
        selection: Selection,
        show_suppressed: bool = False,
        baseline_path: Path | None = None,
        export_dir: Path | None = None,
        force: bool = False,
        html: bool = False,
        fail_on: str | None = None,
        fail_on_new: bool = False,
    ) -> FollowUp:
        """The follow-up, checked before the scan: options that need one another, the
        baseline (read now) and the export folder; UsageError on the first problem."""
        if force and export_dir is None:
            raise UsageError("--force only applies to --export DIR")
        if fail_on_new and baseline_path is None:
            raise UsageError("--fail-on-new needs --baseline PREVIOUS.json")
        baseline = load_baseline(baseline_path, SCHEMA_VERSION) if baseline_path is not None else None
        if export_dir is not None:
            check_export_dir(export_dir, force)
        return cls(selection=selection, show_suppressed=show_suppressed, baseline=baseline, export_dir=export_dir,
                   force=force, html=html, fail_on=fail_on, fail_on_new=fail_on_new)


@dataclass(frozen=True)
class FollowUpOutcome:
    """What the caller still has to do once `follow_up` returns."""

    notes: tuple[str, ...]
    """Lines for a person, in order: the export written, allowlist entries that matched no account."""
    verdict: str | None
    """The gate's failure line (printed last); None when it passed or was not asked for."""
    html: str | None
    """The HTML report to write; None unless asked for."""
    exit_code: ExitCode
    """FINDINGS when the gate failed, else PARTIAL when input was skipped, else OK."""


def follow_up(result: ScanResult, options: FollowUp, write_report: ReportWriter) -> FollowUpOutcome:
    """Compare, report (through `write_report`), export, build the HTML report and gate."""
    if options.baseline is not None:
        result = with_baseline(result, options.baseline)
    shown = select_groups(result, options.selection)
    suppressed = select_suppressed(result, options.selection) if options.show_suppressed else None
    write_report(result, shown, suppressed)
    notes: list[str] = []
    if options.export_dir is not None:
        documents = export_documents(result, shown, json_pieces(result, shown, suppressed))
        written = write_export(options.export_dir, documents, force=options.force)
        notes.append(f"[+] exported {len(written)} files to {options.export_dir}")
    html = None
    if options.html:
        html = render_scan_html(result, shown, [group_view(result, group_id) for group_id in section_groups(shown)])
    notes.extend(unmatched_allow_notes(result))
    verdict = _gate_verdict(result, options)
    exit_code = ExitCode.FINDINGS if verdict is not None else input_status(result.summary)
    return FollowUpOutcome(notes=tuple(notes), verdict=verdict, html=html, exit_code=exit_code)


def unmatched_allow_notes(result: ScanResult) -> list[str]:
    """Allow entries that matched no account (stale entries or typos), one line each."""
    if result.suppression is None:
        return []
    unmatched = result.suppression.unmatched
    notes = [
        f"[!] allowlist entry matches no account in this scan: {entry.label} ({entry.source})"
        for entry in unmatched[:UNMATCHED_SHOWN]
    ]
    if len(unmatched) > UNMATCHED_SHOWN:
        notes.append(f"[!] ... and {len(unmatched) - UNMATCHED_SHOWN} more allowlist entries match no account")
    return notes


def _gate_verdict(result: ScanResult, options: FollowUp) -> str | None:
    """The line naming the groups that fail `--fail-on` / `--fail-on-new`; None: passed."""
    if options.fail_on is None and not options.fail_on_new:
        return None
    severity = (options.fail_on or FAIL_ON_NEW_DEFAULT).lower()
    failures = gate_failures(result, severity, only_new=options.fail_on_new)
    if not failures.height:
        return None
    return f"[!] {describe_failures(failures, severity, options.fail_on_new)}"


def input_status(summary: ScanSummary) -> ExitCode:
    """PARTIAL when `--skip-errors` dropped input (rows, or a file that gave none), else OK."""
    if summary.rows_skipped or any(record.rows == 0 for record in summary.skipped):
        return ExitCode.PARTIAL
    return ExitCode.OK
