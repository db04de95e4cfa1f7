"""`distillscan evaluate`: scan labelled logs and report detection quality against ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import click
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
from distillscan.report.safe import terminal_safe

FIGURES: Final = (
    "account_precision", "account_recall", "truth_accounts_not_in_scan", "group_average_precision",
    "pairwise_ranking_accuracy", "campaign_groups", "campaign_groups_above_all_benign",
    "benign_groups", "top_benign_rank", "lowest_campaign_rank",
)
"""The figures printed under the table, one a line."""


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--truth", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ground truth CSV: account_id,label,kind,entity_id (as written by `synth --truth`).")
@click.option("--flag-severity", type=severity_choice, default="medium", show_default=True,
              help="An account counts as flagged when its group is at or above this severity.")
@output_options(["table", "json"], format_help=None, output_help=None)
@input_options
@quiet_option
@debug_option
@handle_errors
def evaluate(env: Environment, paths: tuple[str, ...], truth: Path, flag_severity: str, output_format: str,
             inputs: LogInputs, quiet: bool) -> ExitCode:
    """Scan labelled logs and report precision, recall and ranking quality.

    PATHS and the input options are those of `scan`.

    \b
    Example:
      distillscan evaluate /tmp/logs.parquet --truth /tmp/truth.csv
    """
    from distillscan.evaluate import evaluate as run_evaluation
    from distillscan.evaluate import read_truth
    from distillscan.triage.followup import input_status

    truth_frame = read_truth(truth)
    options = inputs.scan_options()
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
        figures = evaluation.as_dict()
        for key in FIGURES:
            console.print(f"{key}: {figures[key]}", markup=False)
    read_notes(result, options, env, quiet)
    return input_status(result.summary)
