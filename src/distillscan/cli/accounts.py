"""`distillscan accounts`: per-account features with each account's group, severity and score."""

from __future__ import annotations

from pathlib import Path

import click

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import LogInputs, debug_option, input_options, output_options, quiet_option
from distillscan.cli.output import check_writable, report_console, write_document, writing
from distillscan.cli.reading import read_logs, read_notes
from distillscan.environment import Environment
from distillscan.errors import ExitCode, UsageError
from distillscan.investigate.accounts import ACCOUNT_SORTS


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--account", "account_ids", multiple=True, metavar="ID", help="Only this account. Repeatable.")
@click.option("--group", "group_ids", multiple=True, metavar="GROUP",
              help="Only members of this group (id or rank). Repeatable.")
@output_options(["table", "json", "csv", "parquet"], format_help="Output format (parquet needs -o).")
@click.option("--sort", "sort_by", type=click.Choice(list(ACCOUNT_SORTS)), default="score", show_default=True,
              help="Order of the rows.")
@click.option("--top", type=click.IntRange(min=1), help="Show at most N accounts [table default: 50].")
@input_options
@quiet_option
@debug_option
@handle_errors
def accounts(env: Environment, paths: tuple[str, ...], account_ids: tuple[str, ...], group_ids: tuple[str, ...],
             output_format: str, output: Path | None, sort_by: str, top: int | None, inputs: LogInputs,
             quiet: bool) -> ExitCode:
    """Per-account features (as the scan computes them) with each account's group,
    severity and score.

    \b
    Examples:
      distillscan accounts sample_logs/ --sort requests
      distillscan accounts logs/ --account acct_0021e7fad3cc --account acct_01da93a8cdfd
      distillscan accounts logs/ --group 1 --format parquet -o members.parquet
    """
    from distillscan.investigate.accounts import account_table, filter_accounts, sort_accounts
    from distillscan.investigate.resolve import resolve_group
    from distillscan.report.drilldown.accounts import (
        render_accounts,
        render_accounts_csv,
        render_accounts_json,
        write_accounts_parquet,
    )
    from distillscan.triage.followup import input_status

    if output_format == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    check_writable(output)
    options = inputs.scan_options()
    result = read_logs(paths, options, env, quiet)
    everyone = account_table(result)
    groups = [resolve_group(result, group_id) for group_id in group_ids]
    chosen = sort_accounts(filter_accounts(everyone, account_ids, groups), sort_by)
    limit = top or (50 if output_format == "table" else None)
    shown = chosen.head(limit) if limit is not None else chosen
    if output_format == "table":
        with report_console(output, env) as console:
            render_accounts(shown, console, chosen.height, everyone.height)
    elif output_format == "parquet":
        assert output is not None
        with writing(output):
            write_accounts_parquet(shown, output)
    elif output_format == "json":
        write_document(render_accounts_json(result, shown), output, env)
    else:
        write_document(render_accounts_csv(shown), output, env)
    read_notes(result, options, env, quiet)
    return input_status(result.summary)
