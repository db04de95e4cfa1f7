"""Reading logs for a command: the scan with its progress display, and the notes on
what was read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click
from rich.console import Console

from distillscan.cli.output import note
from distillscan.environment import Environment
from distillscan.report.table import skipped_location

if TYPE_CHECKING:
    from distillscan.model.scan import ScanOptions, ScanResult


def read_logs(paths: Sequence[str], options: ScanOptions, env: Environment, quiet: bool) -> ScanResult:
    """Scan the logs, with a progress line on a terminal's stderr unless quiet."""
    from distillscan.pipeline import scan as run_scan

    err = Console(file=env.stderr, highlight=False)
    if quiet or not err.is_terminal:
        result = run_scan(list(paths), options, stdin=env.stdin)
    else:
        from distillscan.cli.progress import ScanProgress, count_sources

        with ScanProgress(err, count_sources(paths, options.input_format)) as progress:
            result = run_scan(
                list(paths), options, on_shard=progress.shard_done, on_stage=progress.stage, stdin=env.stdin
            )
    # The command's views read the large tables from disk until it ends.
    click.get_current_context().call_on_close(result.close)
    return result


def read_notes(result: ScanResult, options: ScanOptions, env: Environment, quiet: bool) -> None:
    """Say on stderr which preset was auto-detected and what input was skipped."""
    summary = result.summary
    if quiet:
        return
    if summary.preset != "native" and options.preset in (None, "auto"):
        note(env, f"[+] read as {summary.preset} (auto-detected: {summary.preset_reason})")
    if summary.skipped:
        note(
            env,
            f"[!] skipped {summary.rows_skipped:,} of {summary.rows_in:,} input rows "
            f"({len(summary.skipped)} location(s)); see the report summary",
        )
        for record in summary.skipped[:5]:
            note(env, f"[!] {skipped_location(record)}")

