"""`distillscan evaluate`: scan labelled logs and report detection quality against ground truth."""

from __future__ import annotations

import contextlib
import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Final

import click
import polars as pl
from rich import box
from rich.table import Table
from rich.text import Text

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import (
    LogInputs,
    debug_option,
    input_options,
    output_options,
    quiet_option,
    severity_choice,
)
from distillscan.cli.output import stdout_console, write_document
from distillscan.cli.reading import read_logs, read_notes
from distillscan.environment import Environment
from distillscan.errors import ExitCode
from distillscan.model.groups import SEVERITIES
from distillscan.report.safe import terminal_safe

FIGURES: Final = (
    "account_precision", "account_recall", "truth_accounts_not_in_scan", "group_average_precision",
    "pairwise_ranking_accuracy", "campaign_groups", "campaign_groups_above_all_benign",
    "campaign_accounts_above_all_benign", "benign_groups", "top_benign_rank", "lowest_campaign_rank",
)
"""The figures printed under the table, one a line."""


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--truth", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ground truth CSV: account_id,label,kind,entity_id (as written by `synth --truth`).")
@click.option("--flag-severity", type=severity_choice, default="medium", show_default=True,
              help="An account counts as flagged when its group is at or above this severity.")
@click.option("--drop-columns", metavar="COLUMNS", default="",
              help="Evaluate the log as if it lacked these canonical columns (comma-separated), "
                   "e.g. payment_fingerprint,account_created_at,org_id,conversation_id,turn,n_turns "
                   "(n_turns is read from turn where no message list is logged: drop both to hide "
                   "conversation depth).")
@click.option("--time-window", type=click.FloatRange(min=0.001), metavar="SECONDS",
              help="Evaluate the log with every timestamp squeezed into this many seconds ending at the last "
                   "(a replay or test capture).")
@output_options(["table", "json"], format_help=None, output_help=None)
@input_options
@quiet_option
@debug_option
@handle_errors
def evaluate(env: Environment, paths: tuple[str, ...], truth: Path, flag_severity: str, drop_columns: str,
             time_window: float | None, output_format: str, inputs: LogInputs, quiet: bool) -> ExitCode:
    """Scan labelled logs and report precision, recall and ranking quality.

    PATHS and the input options are those of `scan`.

    \b
    Examples:
      distillscan evaluate /tmp/logs.parquet --truth /tmp/truth.csv
      distillscan evaluate /tmp/logs.parquet --truth /tmp/truth.csv --drop-columns payment_fingerprint,org_id
      distillscan evaluate /tmp/logs.parquet --truth /tmp/truth.csv --time-window 60
    """
    from distillscan.evaluate import evaluate as run_evaluation
    from distillscan.evaluate import read_truth
    from distillscan.model.scan import ScanOptions
    from distillscan.read import NATIVE
    from distillscan.triage.followup import input_status
    from distillscan.variants import Variant, parse_columns, write_variant

    truth_frame = read_truth(truth)
    options = inputs.scan_options()
    variant = Variant(parse_columns(drop_columns), timedelta(seconds=time_window) if time_window else None)
    with contextlib.ExitStack() as stack:
        if variant.changes_anything:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="distillscan-variant-",
                                                                          dir=options.temp_dir)))
            write_variant(paths, options, variant, folder)
            paths, options = (str(folder),), ScanOptions(preset=NATIVE, temp_dir=options.temp_dir)
        result = read_logs(paths, options, env, quiet)
    evaluation = run_evaluation(result.report.groups, result.linkage.membership, truth_frame,
                                flag_severity.lower())
    if output_format == "json":
        write_document(json.dumps(evaluation.as_dict(), indent=2) + "\n", None, env)
    else:
        console = stdout_console(env)
        table = Table(title=f"Detection quality (flagged = severity ≥ {evaluation.flag_severity})")
        for column in ("label", "kind", "accounts", "flagged", "flag rate"):
            table.add_column(column, justify="left" if column in {"label", "kind"} else "right")
        for row in evaluation.per_kind.iter_rows(named=True):
            table.add_row(Text(terminal_safe(row["label"])), Text(terminal_safe(row["kind"])),
                          str(row["accounts"]), str(row["flagged"]), f"{row['flag_rate']:.3f}")
        console.print(table)
        console.print(_campaign_table(evaluation.per_campaign))
        console.print(_severity_table(evaluation.benign_by_severity))
        figures = evaluation.as_dict()
        for key in FIGURES:
            console.print(f"{key}: {figures[key]}", markup=False)
    read_notes(result, options, env, quiet)
    return input_status(result.summary)


def _campaign_table(per_campaign: pl.DataFrame) -> Table:
    """One row per campaign: recall, how many groups hold it (1 is whole) and how many of
    those are flagged (a campaign in one flagged group and a few unflagged singletons is
    whole as far as a responder sees it)."""
    # The campaign's id names its kind; headers break over two lines and columns are
    # ruled by spaces, so the table fits 80 columns (a pipe's or a CI log's width) with
    # nothing cut.
    table = Table(title="Campaigns: recall and fragmentation", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  collapse_padding=True)
    table.add_column("campaign", no_wrap=True)
    for column in ("accounts", "flagged", "recall", "groups", "flagged\ngroups", "largest\nshare", "purity"):
        table.add_column(column, justify="right")
    for row in per_campaign.iter_rows(named=True):
        purity = "-" if row["purity"] is None else f"{row['purity']:.3f}"
        table.add_row(Text(terminal_safe(row["entity_id"])), str(row["accounts"]),
                      str(row["flagged"]), f"{row['recall']:.3f}", str(row["groups"]), str(row["flagged_groups"]),
                      f"{row['largest_share']:.3f}", purity)
    return table


def _severity_table(benign_by_severity: pl.DataFrame) -> Table:
    """Benign accounts of each kind at each severity."""
    table = Table(title="Benign accounts by severity")
    table.add_column("kind")
    for name in SEVERITIES:
        table.add_column(name, justify="right")
    for row in benign_by_severity.iter_rows(named=True):
        table.add_row(Text(terminal_safe(row["kind"])), *(str(row[name]) for name in SEVERITIES))
    return table
