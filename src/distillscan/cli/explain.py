"""`distillscan explain`: everything about one group, as a table, JSON or an HTML page."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import (
    LogInputs,
    debug_option,
    html_option,
    input_options,
    output_options,
    quiet_option,
)
from distillscan.cli.output import check_writable, note, report_console, write_document, write_html
from distillscan.cli.reading import read_logs, read_notes
from distillscan.environment import Environment
from distillscan.errors import ExitCode


@click.command()
@click.argument("group")
@click.argument("paths", nargs=-1, required=True)
@output_options(["table", "json"])
@click.option("--templates", "templates_limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Show the group's N busiest templates.")
@click.option("--examples", type=click.IntRange(min=0), default=2, show_default=True,
              help="Example requests per shown template (a second read of the logs, filtered to the "
                   "group's accounts); 0: none.")
@input_options
@html_option
@quiet_option
@debug_option
@handle_errors
def explain(env: Environment, group: str, paths: tuple[str, ...], output_format: str, output: Path | None,
            templates_limit: int, examples: int, inputs: LogInputs, html_path: Path | None,
            quiet: bool) -> ExitCode:
    """Show everything about one group: members, templates with example requests, topics,
    activity by day and hour, shared infrastructure, model timeline and score components.

    GROUP is a group id (G-…, from `scan --format csv/json`) or a rank from the scan
    table (1 or '#1'). PATHS and the input options are those of `scan`.

    \b
    Examples:
      distillscan explain 1 sample_logs/
      distillscan explain G-3e0ec5d522 logs/ --examples 3 --html group.html
      distillscan explain G-3e0ec5d522 logs/ --format json -o group.json
    """
    from distillscan.investigate.examples import example_requests
    from distillscan.investigate.group import group_view
    from distillscan.triage.followup import input_status

    check_writable(output, html_path)
    options = inputs.scan_options()
    result = read_logs(paths, options, env, quiet)
    view = group_view(result, group)
    if examples and "-" in paths:
        if not quiet:
            note(env, "[!] no example requests: standard input cannot be read a second time (pass files)")
    elif examples:
        fetched = example_requests(list(paths), options, result, view, templates=templates_limit,
                                   per_template=examples)
        view = dataclasses.replace(view, examples=fetched)
    if output_format == "json":
        from distillscan.report.drilldown.group import render_group_json

        write_document(render_group_json(result, view, templates_limit), output, env)
    else:
        from distillscan.report.drilldown.group import render_group

        with report_console(output, env) as console:
            render_group(view, console, templates_limit=templates_limit)
    if html_path is not None:
        from distillscan.report.html import render_group_html

        write_html(html_path, render_group_html(result, view, templates_limit))
    read_notes(result, options, env, quiet)
    return input_status(result.summary)
