"""`distillscan templates`: the prompt templates across the logs, with reach and timing."""

from __future__ import annotations

from pathlib import Path

import click

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import LogInputs, debug_option, input_options, output_options, quiet_option
from distillscan.cli.output import check_writable, report_console, write_document
from distillscan.cli.reading import read_logs, read_notes
from distillscan.environment import Environment
from distillscan.errors import ExitCode
from distillscan.investigate.templates import TEMPLATE_SORTS
from distillscan.model.templates import MIN_TEMPLATE_REQUESTS


@click.command()
@click.argument("paths", nargs=-1, required=True)
@output_options(["table", "json", "csv"])
@click.option("--sort", "sort_by", type=click.Choice(list(TEMPLATE_SORTS)), default="requests",
              show_default=True, help="Order: most requests, most accounts, or earliest first.")
@click.option("--top", type=click.IntRange(min=1), help="Show at most N templates [table default: 20].")
@click.option("--min-requests", type=click.IntRange(min=1), default=MIN_TEMPLATE_REQUESTS, show_default=True,
              help="Only templates with at least this many requests.")
@input_options
@quiet_option
@debug_option
@handle_errors
def templates(env: Environment, paths: tuple[str, ...], output_format: str, output: Path | None, sort_by: str,
              top: int | None, min_requests: int, inputs: LogInputs, quiet: bool) -> ExitCode:
    """List the prompt templates across the logs: skeleton, requests, accounts, share of
    traffic, first/last seen, reasoning-ask share and the groups that send them.

    \b
    Examples:
      distillscan templates sample_logs/
      distillscan templates logs/ --sort first-seen --top 50
      distillscan templates logs/ --format csv -o templates.csv
    """
    from distillscan.investigate.templates import sort_templates, template_catalog
    from distillscan.report.drilldown.templates import render_templates, render_templates_csv, render_templates_json
    from distillscan.triage.followup import input_status

    check_writable(output)
    options = inputs.scan_options()
    result = read_logs(paths, options, env, quiet)
    catalog = sort_templates(template_catalog(result, min_requests), sort_by)
    limit = top or (20 if output_format == "table" else None)
    shown = catalog.head(limit) if limit is not None else catalog
    if output_format == "table":
        with report_console(output, env) as console:
            render_templates(shown, console, catalog.height)
    elif output_format == "json":
        write_document(render_templates_json(result, shown), output, env)
    else:
        write_document(render_templates_csv(shown), output, env)
    read_notes(result, options, env, quiet)
    return input_status(result.summary)
