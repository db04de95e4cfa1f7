"""`distillscan synth`: write a labelled synthetic request log and its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import debug_option, output_options
from distillscan.cli.output import note, writing
from distillscan.environment import Environment
from distillscan.errors import ExitCode


@click.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", type=click.IntRange(min=10_000), default=100_000, show_default=True,
              help="Approximate number of requests to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same log).")
@click.option("--days", type=click.IntRange(min=8), default=21, show_default=True,
              help="Days of traffic; the new model appears on day min(10, DAYS // 2).")
@click.option("--volume", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Each account sends this many times its traffic, with fresh text "
                   "(about ROWS x VOLUME rows from the accounts of ROWS): for measuring what "
                   "grows with rows, not accounts.")
@output_options(["parquet", "jsonl"], default=None, output_help=None,
                format_help="Output format [default: from OUTPUT's extension, else parquet].")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the ground truth (account → campaign/benign, kind) as CSV.")
@debug_option
@handle_errors
def synth(env: Environment, output: Path, rows: int, seed: int, days: int, volume: int, output_format: str | None,
          truth: Path | None) -> ExitCode:
    """Generate a labelled synthetic request log (campaigns and hard benign look-alikes).

    \b
    Example:
      distillscan synth /tmp/logs.parquet --rows 200000 --truth /tmp/truth.csv
    """
    from distillscan.synth import SynthConfig, write_synthetic

    fmt: Literal["parquet", "jsonl"] = (
        "jsonl" if (output_format or "").startswith("jsonl") or output.suffix in {".jsonl", ".ndjson"}
        else "parquet"
    )
    config = SynthConfig(n_requests=rows, seed=seed, days=days, new_model_day=min(10, days // 2),
                         volume=volume)
    with writing(output):
        summary = write_synthetic(config, output, fmt=fmt, truth_path=truth)
    note(env, f"wrote {summary.rows:,} requests from {summary.accounts:,} accounts to {output}")
    return ExitCode.OK
