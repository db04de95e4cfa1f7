"""Command-line interface: parse options, call the library, render the result.

stdout carries data only (the table or the machine document); progress, warnings and
errors go to stderr. Errors are one line with a documented exit code (see ExitCode).
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
import polars as pl
from rich.console import Console
from rich.text import Text

from distillscan import __version__
from distillscan.errors import DistillscanError, ExitCode, UsageError
from distillscan.report import (
    Selection,
    render_csv,
    render_json,
    render_jsonl,
    render_table,
    select_groups,
    skipped_location,
    terminal_safe,
    write_parquet,
    write_text,
)
from distillscan.score import SEVERITIES, severity_rank

F = TypeVar("F", bound=Callable[..., Any])


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _note(message: str) -> None:
    """One unwrapped line on stderr (messages quote file names, which must stay whole)."""
    click.echo(terminal_safe(message), err=True)


def _fail(message: str, code: ExitCode) -> None:
    _note(f"distillscan: error: {message}")
    sys.exit(int(code))


def handle_errors(command: F) -> F:
    """Turn every error into one line on stderr and its exit code; the traceback is
    printed first only with --debug. Polars panics (a BaseException) count as bugs."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            return command(*args, **kwargs)
        except DistillscanError as error:
            if debug:
                traceback.print_exc()
            _fail(str(error), error.exit_code)
        except BrokenPipeError:
            sys.exit(int(ExitCode.OK))  # the reader went away (`| head`): stop quietly
        except KeyboardInterrupt:
            if debug:
                traceback.print_exc()
            _fail("interrupted", ExitCode.INTERRUPTED)
        except (Exception, pl.exceptions.PanicException) as error:  # a bug: say so, and how to report it
            if debug:
                traceback.print_exc()
            first = str(error).strip().splitlines()
            _fail(
                f"internal error ({type(error).__name__}: {first[0] if first else ''}); "
                "rerun with --debug and report it",
                ExitCode.INTERNAL,
            )

    return wrapper  # type: ignore[return-value]


PIPED_TABLE_WIDTH = 160


def _table_console(output: Path | None) -> Console:
    """A console for the table: the terminal's width, or a fixed wide one for files/pipes."""
    if output is not None:
        return Console(file=output.open("w", encoding="utf-8"), width=PIPED_TABLE_WIDTH,
                       highlight=False, no_color=True)
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=PIPED_TABLE_WIDTH)


def parse_column_map(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--map canonical=source` options as a dict; rejects malformed pairs."""
    from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN

    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, separator, source = pair.partition("=")
        canonical, source = canonical.strip(), source.strip()
        if not separator or not canonical or not source:
            raise UsageError(f"--map expects CANONICAL=SOURCE, got {pair!r}")
        if canonical not in CANONICAL_SCHEMA and canonical != MESSAGES_COLUMN:
            known = ", ".join([*CANONICAL_SCHEMA, MESSAGES_COLUMN])
            raise UsageError(f"--map: unknown column {canonical!r} (known: {known})")
        mapping[canonical] = source
    return mapping


def _scan_options(column_map: tuple[str, ...], input_format: str, preset: str | None,
                  config_path: Path | None, skip_errors: bool = False) -> Any:
    from distillscan.pipeline import ScanOptions
    from distillscan.presets import load_config

    config = load_config(config_path)
    return ScanOptions(
        column_map=parse_column_map(column_map),
        skip_errors=skip_errors,
        input_format=None if input_format == "auto" else input_format,  # type: ignore[arg-type]
        preset=preset or config.default,
        presets=config.presets,
    )


severity_choice = click.Choice(list(SEVERITIES), case_sensitive=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(["table", "json", "jsonl", "csv", "parquet"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of stdout (required for parquet).")
@click.option("--top", type=click.IntRange(min=1), help="Show at most N groups [table default: 20].")
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Report only groups scoring at least this.")
@click.option("--min-severity", type=severity_choice, default="low", show_default=True,
              help="Report only groups at or above this severity.")
@click.option("--map", "column_map", multiple=True, metavar="CANONICAL=SOURCE",
              help="Read canonical column CANONICAL from SOURCE (dotted paths reach into structs). Repeatable.")
@click.option("--input-format", type=click.Choice(["auto", "parquet", "jsonl"]), default="auto",
              show_default=True, help="Input format; auto detects it from the content.")
@click.option("--preset", metavar="NAME",
              help="Log format preset (see `distillscan schema`); default: detected, else native.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file with custom presets [default: ./distillscan.toml if present].")
@click.option("--skip-errors", is_flag=True, help="Skip unreadable files and bad lines/rows, report them, exit 3.")
@click.option("--fail-on", type=severity_choice, help="Exit 1 when a group at or above this severity is found.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def scan(
    paths: tuple[str, ...],
    output_format: str,
    output: Path | None,
    top: int | None,
    min_score: float,
    min_severity: str,
    column_map: tuple[str, ...],
    input_format: str,
    preset: str | None,
    config_path: Path | None,
    skip_errors: bool,
    fail_on: str | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Scan request logs and rank suspect account groups.

    PATHS are Parquet or JSONL files (plain, .gz, .zst), folders (searched recursively),
    globs, or '-' for JSONL on stdin.

    \b
    Examples:
      distillscan scan sample_logs/
      distillscan scan 'logs/day=*/part-*.parquet' --top 5 --min-severity high
      distillscan scan dump.jsonl.zst --format csv -o groups.csv --fail-on high
    """
    from distillscan.pipeline import scan as run_scan

    if output_format == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    options = _scan_options(column_map, input_format, preset, config_path, skip_errors)
    err = _stderr()
    show_progress = not quiet and err.is_terminal
    if show_progress:
        with err.status("reading logs…") as status:
            result = run_scan(
                list(paths),
                options,
                on_shard=lambda shard: status.update(Text(f"read {terminal_safe(shard.source.path, 60)}")),
            )
    else:
        result = run_scan(list(paths), options)
    default_top = 20 if output_format == "table" else None
    shown = select_groups(result, Selection(top=top or default_top, min_score=min_score,
                                            min_severity=min_severity.lower()))
    try:
        if output_format == "table":
            render_table(result, shown, _table_console(output))
        elif output_format == "parquet":
            assert output is not None
            write_parquet(result, shown, output)
        else:
            renderer = {"json": render_json, "jsonl": render_jsonl, "csv": render_csv}[output_format]
            write_text(renderer(result, shown), output, sys.stdout)
    except OSError as error:
        if output is None:
            raise
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from error
    summary = result.summary
    if not quiet and summary.preset != "native" and options.preset in (None, "auto"):
        _note(f"[+] read as {summary.preset} (auto-detected: {summary.preset_reason})")
    if summary.skipped and not quiet:
        _note(
            f"[!] skipped {summary.rows_skipped:,} of {summary.rows_in:,} input rows "
            f"({len(summary.skipped)} location(s)); see the report summary"
        )
        for record in summary.skipped[:5]:
            _note(f"[!] {skipped_location(record)}")
    if fail_on is not None:
        threshold = severity_rank(fail_on.lower())
        if any(severity_rank(level) <= threshold for level in result.report.groups["severity"].to_list()):
            sys.exit(int(ExitCode.FINDINGS))
    if summary.rows_skipped or any(record.rows == 0 for record in summary.skipped):
        sys.exit(int(ExitCode.PARTIAL))


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--preset", metavar="NAME", help="Use this preset instead of detecting one.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file with custom presets [default: ./distillscan.toml if present].")
@click.option("--map", "column_map", multiple=True, metavar="CANONICAL=SOURCE",
              help="Override the preset for one canonical column. Repeatable.")
@click.option("--input-format", type=click.Choice(["auto", "parquet", "jsonl"]), default="auto",
              show_default=True, help="Input format; auto detects it from the content.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def schema(paths: tuple[str, ...], preset: str | None, config_path: Path | None,
           column_map: tuple[str, ...], input_format: str, output_format: str, debug: bool) -> None:
    """Show a log's fields, the preset a scan would use, its mapping and the signals it enables.

    \b
    Examples:
      distillscan schema proxy.jsonl
      distillscan schema spans.jsonl --preset otel-genai --format json
    """
    from distillscan.pipeline import inspect_schema

    info = inspect_schema(list(paths), _scan_options(column_map, input_format, preset, config_path))
    if output_format == "json":
        sys.stdout.write(json.dumps(info.as_dict(), indent=2) + "\n")
        return
    from rich.table import Table

    console = Console(highlight=False)
    how = "given" if info.detection.reason == "given" else f"auto-detected: {info.detection.reason}"
    console.print(Text(terminal_safe(f"preset: {info.preset} ({how})")))
    console.print(Text(terminal_safe(f"fields found: {', '.join(info.fields) or 'none'}")))
    mapping = Table(title="Mapping (canonical column ← source fields found)")
    mapping.add_column("canonical")
    mapping.add_column("source")
    for name, sources in info.mapping.items():
        mapping.add_row(Text(name), Text(terminal_safe(" | ".join(sources))))
    console.print(mapping)
    signals = Table(title="Detection signals")
    signals.add_column("signal")
    signals.add_column("state")
    for name, on in info.signals.items():
        signals.add_row(Text(name), Text("on" if on else "off"))
    console.print(signals)


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", type=click.IntRange(min=10_000), default=100_000, show_default=True,
              help="Approximate number of requests to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same log).")
@click.option("--days", type=click.IntRange(min=8), default=21, show_default=True,
              help="Days of traffic; the new model appears on day min(10, DAYS // 2).")
@click.option("--format", "output_format", type=click.Choice(["parquet", "jsonl"]), default=None,
              help="Output format [default: from OUTPUT's extension, else parquet].")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the ground truth (account → campaign/benign, kind) as CSV.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def synth(output: Path, rows: int, seed: int, days: int, output_format: str | None,
          truth: Path | None, debug: bool) -> None:
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
    config = SynthConfig(n_requests=rows, seed=seed, days=days, new_model_day=min(10, days // 2))
    try:
        summary = write_synthetic(config, output, fmt=fmt, truth_path=truth)
    except OSError as error:
        where = error.filename or output
        raise UsageError(f"cannot write {where}: {error.strerror or error}") from error
    _note(f"wrote {summary.rows:,} requests from {summary.accounts:,} accounts to {output}")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--truth", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ground truth CSV: account_id,label,kind,entity_id (as written by `synth --truth`).")
@click.option("--flag-severity", type=severity_choice, default="medium", show_default=True,
              help="An account counts as flagged when its group is at or above this severity.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def evaluate(paths: tuple[str, ...], truth: Path, flag_severity: str, output_format: str,
             debug: bool) -> None:
    """Scan labelled logs and report precision, recall and ranking quality.

    \b
    Example:
      distillscan evaluate /tmp/logs.parquet --truth /tmp/truth.csv
    """
    from distillscan.evaluate import evaluate as run_evaluation
    from distillscan.evaluate import read_truth
    from distillscan.pipeline import ScanOptions, scan as run_scan

    truth_frame = read_truth(truth)
    result = run_scan(list(paths), ScanOptions())
    evaluation = run_evaluation(result.report.groups, result.linkage.membership, truth_frame,
                                flag_severity.lower())
    if output_format == "json":
        sys.stdout.write(json.dumps(evaluation.as_dict(), indent=2) + "\n")
        return
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title=f"Detection quality (flagged = severity ≥ {evaluation.flag_severity})")
    for column in ("label", "kind", "accounts", "flagged", "flag rate"):
        table.add_column(column, justify="left" if column in {"label", "kind"} else "right")
    for row in evaluation.per_kind.iter_rows(named=True):
        table.add_row(Text(terminal_safe(row["label"])), Text(terminal_safe(row["kind"])),
                      str(row["accounts"]), str(row["flagged"]), f"{row['flag_rate']:.3f}")
    console.print(table)
    figures = evaluation.as_dict()
    for key in ("account_precision", "account_recall", "truth_accounts_not_in_scan", "group_average_precision",
                "pairwise_ranking_accuracy", "campaign_groups", "campaign_groups_above_all_benign",
                "benign_groups", "top_benign_rank", "lowest_campaign_rank"):
        console.print(f"{key}: {figures[key]}", markup=False)
