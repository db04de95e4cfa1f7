"""`distillscan scan`: rank suspect account groups, then the follow-up steps (baseline,
export, HTML report, CI gate) that `distillscan.triage.followup` runs."""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
import polars as pl

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import (
    LogInputs,
    debug_option,
    html_option,
    input_options,
    output_options,
    quiet_option,
    severity_choice,
)
from distillscan.cli.output import (
    check_writable,
    note,
    report_console,
    silence_stdout,
    write_document,
    write_html,
    writing,
)
from distillscan.cli.reading import read_logs, read_notes
from distillscan.environment import Environment
from distillscan.errors import ExitCode, UsageError
from distillscan.stages import recording, stage

if TYPE_CHECKING:
    from distillscan.model.scan import ScanResult
    from distillscan.model.triage import Allowlist


@click.command()
@click.argument("paths", nargs=-1, required=True)
@output_options(["table", "json", "jsonl", "csv", "parquet"],
                output_help="Write the report to FILE instead of stdout (required for parquet).")
@click.option("--top", type=click.IntRange(min=1), help="Show at most N groups [table default: 20].")
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Report only groups scoring at least this.")
@click.option("--min-severity", type=severity_choice, default="low", show_default=True,
              help="Report only groups at or above this severity.")
@input_options
@html_option
@click.option("--fail-on", type=severity_choice, help="Exit 1 when a group at or above this severity is found.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PREVIOUS.json",
              help="A previous --format json report (or export groups.json): mark groups new/grown/unchanged, "
                   "list gone ones.")
@click.option("--fail-on-new", is_flag=True,
              help="With --baseline: exit 1 only for new or grown groups at or above --fail-on [default: high].")
@click.option("--allow", "allow_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Allowlist of account:ID / org:ID lines; matches are suppressed. Repeatable.")
@click.option("--show-suppressed", is_flag=True, help="Also list the allowlisted (suppressed) groups.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Also write groups.json, accounts.csv, templates.csv and indicators.json into DIR.")
@click.option("--force", is_flag=True, help="With --export: overwrite files in DIR not written by distillscan.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write each stage's wall time and peak memory to FILE (JSON).")
@quiet_option
@debug_option
@handle_errors
def scan(
    env: Environment,
    paths: tuple[str, ...],
    output_format: str,
    output: Path | None,
    top: int | None,
    min_score: float,
    min_severity: str,
    inputs: LogInputs,
    html_path: Path | None,
    fail_on: str | None,
    baseline_path: Path | None,
    fail_on_new: bool,
    allow_files: tuple[Path, ...],
    show_suppressed: bool,
    export_dir: Path | None,
    force: bool,
    profile_path: Path | None,
    quiet: bool,
) -> ExitCode:
    """Scan request logs and rank suspect account groups.

    PATHS are Parquet or JSONL files (plain, .gz, .zst), folders (searched recursively),
    globs, or '-' for JSONL on stdin.

    \b
    Examples:
      distillscan scan sample_logs/
      distillscan scan 'logs/day=*/part-*.parquet' --top 5 --min-severity high
      distillscan scan dump.jsonl.zst --format csv -o groups.csv --fail-on high
      distillscan scan today/ --baseline yesterday.json --fail-on-new --allow allow.txt --export evidence/
      distillscan scan sample_logs/ --html report.html
    """
    from distillscan.report.selection import Selection
    from distillscan.triage.followup import FollowUp, follow_up

    if output_format == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    check_writable(output, html_path, profile_path)
    default_top = 20 if output_format == "table" else None
    plan = FollowUp.prepare(
        selection=Selection(top=top or default_top, min_score=min_score, min_severity=min_severity.lower()),
        show_suppressed=show_suppressed, baseline_path=baseline_path, export_dir=export_dir, force=force,
        html=html_path is not None, fail_on=fail_on, fail_on_new=fail_on_new,
    )
    options = replace(inputs.scan_options(), allow=_allowlist(allow_files, inputs.config_path))
    if show_suppressed and options.allow is None:
        raise UsageError("--show-suppressed needs an allowlist (--allow FILE, or allow = [...] in the config)")
    with contextlib.ExitStack() as stack:
        stages = stack.enter_context(recording()) if profile_path is not None else None
        result = read_logs(paths, options, env, quiet)
        outcome = follow_up(result, plan, functools.partial(_write_report, output_format, output, env))
    if profile_path is not None and stages is not None:
        with writing(profile_path):
            profile_path.write_text(json.dumps(stages.as_dict(), indent=2) + "\n", encoding="utf-8")
    if html_path is not None and outcome.html is not None:
        write_html(html_path, outcome.html)
    if not quiet:
        for line in outcome.notes:
            note(env, line)
    read_notes(result, options, env, quiet)
    if outcome.verdict is not None and not quiet:
        note(env, outcome.verdict)
    return outcome.exit_code


def _allowlist(files: tuple[Path, ...], config_path: Path | None) -> Allowlist | None:
    """The allowlist from `--allow` files and the config's `allow = [...]`; None if neither."""
    from distillscan.read import load_config
    from distillscan.triage.allow import combine, config_allowlist, read_allowlist

    from_config = config_allowlist(load_config(config_path).path)
    if not files and from_config is None:
        return None
    return combine([from_config, *(read_allowlist(path) for path in files)])


def _write_report(output_format: str, output: Path | None, env: Environment, result: ScanResult,
                  shown: pl.DataFrame, suppressed: pl.DataFrame | None) -> None:
    """The report in `output_format`, to `output` or stdout."""
    try:
        with stage("render report"):
            _render(output_format, output, env, result, shown, suppressed)
        env.stdout.flush()
    except BrokenPipeError:
        if output is not None:
            raise
        # The reader went away (`| head`): the export and the --fail-on verdict still
        # stand, so finish the run without writing more to stdout.
        silence_stdout(env.stdout)


def _render(output_format: str, output: Path | None, env: Environment, result: ScanResult,
            shown: pl.DataFrame, suppressed: pl.DataFrame | None) -> None:
    """Render the report in `output_format` to `output` or stdout."""
    from distillscan.report.formats import csv_pieces, json_pieces, jsonl_pieces, write_parquet
    from distillscan.report.table import render_table

    if output_format == "table":
        with report_console(output, env) as console:
            render_table(result, shown, console, suppressed=suppressed)
    elif output_format == "parquet":
        assert output is not None
        with writing(output):
            write_parquet(result, shown, output)
    else:
        renderer = {"json": json_pieces, "jsonl": jsonl_pieces, "csv": csv_pieces}[output_format]
        write_document(renderer(result, shown, suppressed), output, env)
