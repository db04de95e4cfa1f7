"""The `distillscan` command group: every command, with the version and help options."""

from __future__ import annotations

import click

from distillscan import __version__
from distillscan.cli.accounts import accounts
from distillscan.cli.evaluate import evaluate
from distillscan.cli.explain import explain
from distillscan.cli.scan import scan
from distillscan.cli.schema import schema
from distillscan.cli.synth import synth
from distillscan.cli.templates import templates


@click.group(
    commands=[scan, schema, synth, evaluate, explain, templates, accounts],
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="distillscan")
def main() -> None:
    """Find coordinated model-distillation campaigns in LLM API request logs.

    \b
    Examples:
      distillscan scan sample_logs/
      distillscan scan logs/2026-05-*.parquet --format json -o report.json
      zcat dump.jsonl.gz | distillscan scan - --map account_id=user.id
      distillscan synth /tmp/synth.parquet --rows 200000 --truth /tmp/truth.csv
      distillscan evaluate /tmp/synth.parquet --truth /tmp/truth.csv
      distillscan explain 1 sample_logs/ --html group.html
    """

