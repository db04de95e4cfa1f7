"""`distillscan synth`: write a labelled synthetic request log and its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import debug_option, output_options
from distillscan.cli.output import note, writing
from distillscan.environment import Environment
from distillscan.errors import ExitCode, UsageError


@click.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", type=click.IntRange(min=10_000), default=100_000, show_default=True,
              help="Approximate number of requests to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same log).")
@click.option("--days", type=click.IntRange(min=8), default=21, show_default=True,
              help="Days of traffic; the new model appears on day min(10, DAYS // 2).")
@click.option("--campaign-scale", type=click.IntRange(min=10_000), default=None,
              help="Size the campaigns as in a log of this many rows (at most ROWS) and hold them fixed: "
                   "the campaign accounts, their ids and all their rows are the same whatever ROWS is, and "
                   "only benign traffic grows [default: ROWS].")
@click.option("--text-from", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder of public prompt corpora (*.jsonl.gz, one {\"text\", \"source\", \"category\"} "
                   "object a line): task bodies are drawn from it by kind (gsm8k math, HumanEval and "
                   "CodeAlpaca coding, T0 reading/QA, hh-rlhf follow-ups later turns, the rest chat) "
                   "[default: the built-in grammar].")
@click.option("--volume", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Each account sends this many times its traffic, with fresh text "
                   "(about ROWS x VOLUME rows from the accounts of ROWS): for measuring what "
                   "grows with rows, not accounts.")
@output_options(["parquet", "jsonl"], default=None, output_help=None,
                format_help="Output format [default: from OUTPUT's extension, else parquet].")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the ground truth (account_id, label campaign/benign, kind, entity_id) as CSV.")
@debug_option
@handle_errors
def synth(env: Environment, output: Path, rows: int, seed: int, days: int, campaign_scale: int | None,
          text_from: Path | None, volume: int, output_format: str | None, truth: Path | None) -> ExitCode:
    """Generate a labelled synthetic request log (campaigns and hard benign look-alikes).

    A quarter of the rows (with --campaign-scale, a fixed number) come from distillation
    campaigns: hydra networks behind rotating residential proxies, a paraphrasing campaign,
    low-and-slow aged accounts, a reward-model (rubric) group and a reseller mixing campaign
    traffic into its customers'. The rest are
    benign, look-alikes included: evaluation harnesses, enterprise backends, a popular agent's
    users, campus NATs, resellers, pipelines, cron jobs, team onboardings, canary routers,
    tutoring apps, dataset users and proxy users. Generation streams in bounded memory.

    \b
    Examples:
      distillscan synth /tmp/logs.parquet --rows 200000 --truth /tmp/truth.csv
      distillscan synth /tmp/big.parquet --rows 10000000 --campaign-scale 1000000
      distillscan synth /tmp/real.parquet --rows 1000000 --text-from shared/corpora
    """
    from distillscan.synth import SynthConfig, write_synthetic

    if campaign_scale is not None and campaign_scale > rows:
        raise UsageError(f"--campaign-scale {campaign_scale:,} is more than --rows {rows:,}")
    fmt: Literal["parquet", "jsonl"] = (
        "jsonl" if (output_format or "").startswith("jsonl") or output.suffix in {".jsonl", ".ndjson"}
        else "parquet"
    )
    config = SynthConfig(n_requests=rows, seed=seed, days=days, new_model_day=min(10, days // 2),
                         volume=volume, campaign_scale=campaign_scale, text_from=text_from)
    with writing(output):
        summary = write_synthetic(config, output, fmt=fmt, truth_path=truth)
    note(env, f"wrote {summary.rows:,} requests from {summary.accounts:,} accounts to {output}")
    return ExitCode.OK
