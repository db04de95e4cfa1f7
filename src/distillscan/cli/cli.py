"""Command-line interface: parse options, call the library, render the result.

stdout carries data only (the table or the machine document); progress, warnings and
errors go to stderr. Errors are one line with a documented exit code (see ExitCode).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click
import polars as pl
from rich.console import Console
from rich.text import Text

from distillscan import __version__
from distillscan.errors import DistillscanError, ExitCode, UsageError
from distillscan.fingerprint.fingerprint import MIN_TEMPLATE_REQUESTS
from distillscan.investigate.investigate import ACCOUNT_SORTS, TEMPLATE_SORTS
from distillscan.model.groups import SEVERITIES
from distillscan.report.report import (
    Selection,
    render_csv,
    render_json,
    render_jsonl,
    render_table,
    select_groups,
    select_suppressed,
    skipped_location,
    terminal_safe,
    write_parquet,
    write_text,
)

if TYPE_CHECKING:
    from distillscan.model.scan import ScanOptions, ScanResult

F = TypeVar("F", bound=Callable[..., Any])


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _note(message: str) -> None:
    """One unwrapped line on stderr (messages quote file names, which must stay whole)."""
    click.echo(terminal_safe(message), err=True)


def _fail(message: str, code: ExitCode) -> None:
    _note(f"distillscan: error: {message}")
    sys.exit(int(code))


def silence_stdout() -> None:
    """Send what is still to be written to stdout to /dev/null (its reader is gone), so
    neither later output nor the interpreter's last flush fails again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def handle_errors(command: F) -> F:
    """Turn every error into one line on stderr and its exit code; the traceback is
    printed first only with --debug. Polars panics (a BaseException) count as bugs."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            result = command(*args, **kwargs)
            # Flush here, so a reader that went away is noticed inside this handler and
            # not at exit, where click would turn it into exit code 1 ("--fail-on hit").
            sys.stdout.flush()
            return result
        except DistillscanError as error:
            if debug:
                traceback.print_exc()
            _fail(str(error), error.exit_code)
        except BrokenPipeError:
            silence_stdout()  # the reader went away (`| head`): stop quietly
            sys.exit(int(ExitCode.OK))
        except KeyboardInterrupt:
            if debug:
                traceback.print_exc()
            _fail("interrupted", ExitCode.INTERRUPTED)
        except OSError as error:  # the machine's doing (disk, permissions, files removed), not a bug
            if debug:
                traceback.print_exc()
            _fail(_os_error_message(error), ExitCode.USAGE_OR_INPUT)
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


def _os_error_message(error: OSError) -> str:
    """One line for a file error that reached the top; a scan's own temporary files
    removed while it ran (a cleaner sweeping /tmp) get a hint."""
    first = str(error).strip().splitlines()
    message = first[0] if first else type(error).__name__
    if "distillscan-" in message or "distillscan-" in str(error.filename or ""):
        message += (
            "; a temporary file of this run was removed while it ran: rerun with --temp-dir "
            "(or TMPDIR) on a folder nothing cleans"
        )
    return message


PIPED_TABLE_WIDTH = 160


def count_sources(paths: tuple[str, ...], options: Any) -> int | None:
    """How many files a scan will read (None for stdin, whose size is unknown)."""
    from distillscan.read import discover_sources

    if "-" in paths:
        return None
    return len(discover_sources(list(paths), options.input_format))


class ScanProgress:
    """A progress bar on stderr: files done of all, rows read, the file being read."""

    def __init__(self, console: Console, files: int | None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("files · {task.fields[rows]:,} rows"), TimeElapsedColumn(),
            console=console, transient=True,
        )
        self._task = self._progress.add_task("reading", total=files, rows=0)
        self._current: str | None = None
        self._files_done = 0
        self._rows = 0

    def __enter__(self) -> ScanProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)  # type: ignore[arg-type]

    def shard_done(self, shard: Any) -> None:
        """A shard was aggregated: count its rows, and its file once a new one starts."""
        if shard.source.path != self._current:
            if self._current is not None:
                self._files_done += 1
            self._current = shard.source.path
        self._rows += shard.rows_in
        self._progress.update(
            self._task, completed=self._files_done, rows=self._rows,
            description=Text(f"reading {terminal_safe(shard.source.path, 40)}").plain,
        )

    def stage(self, name: str) -> None:
        """Reading is over; a later stage (completing the aggregates, linking) has started."""
        if self._current is not None:
            self._files_done += 1
            self._current = None
        self._progress.update(self._task, completed=self._files_done, description=name)


class StdoutConsole(Console):
    """A Rich console whose closed pipe (`| head`) reaches `handle_errors` as a
    BrokenPipeError: Rich's own handling exits with 1, which is `--fail-on`'s code."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def _table_console(output: Path | None) -> Console:
    """A console for the table: the terminal's width, or a fixed wide one for files/pipes."""
    if output is not None:
        return Console(file=output.open("w", encoding="utf-8"), width=PIPED_TABLE_WIDTH,
                       highlight=False, no_color=True)
    console = StdoutConsole(highlight=False)
    return console if console.is_terminal else StdoutConsole(highlight=False, width=PIPED_TABLE_WIDTH)


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


def _allowlist(files: tuple[Path, ...], config_path: Path | None) -> Any:
    """The allowlist from `--allow` files and the config's `allow = [...]`; None if neither."""
    from distillscan.read import load_config
    from distillscan.triage.allow import combine, config_allowlist, read_allowlist

    from_config = config_allowlist(load_config(config_path).path)
    if not files and from_config is None:
        return None
    return combine([from_config, *(read_allowlist(path) for path in files)])


def _warn_unmatched(result: Any) -> None:
    """Allow entries that matched no account: stale entries or typos, one line each."""
    if result.suppression is None:
        return
    unmatched = result.suppression.unmatched
    for entry in unmatched[:10]:
        _note(f"[!] allowlist entry matches no account in this scan: {entry.label} ({entry.source})")
    if len(unmatched) > 10:
        _note(f"[!] ... and {len(unmatched) - 10} more allowlist entries match no account")


def _scan_options(column_map: tuple[str, ...], input_format: str, preset: str | None,
                  config_path: Path | None, skip_errors: bool = False, temp_dir: Path | None = None) -> Any:
    from distillscan.model.scan import ScanOptions
    from distillscan.read import load_config

    config = load_config(config_path)
    return ScanOptions(
        column_map=parse_column_map(column_map),
        skip_errors=skip_errors,
        input_format=None if input_format == "auto" else input_format,  # type: ignore[arg-type]
        preset=preset or config.default,
        presets=config.presets,
        temp_dir=temp_dir,
    )


severity_choice = click.Choice(list(SEVERITIES), case_sensitive=False)


def _check_threads(context: click.Context, parameter: click.Parameter, threads: int | None) -> None:
    """--threads is applied by the entry point before Polars starts (see launch.py); say
    so when it could not be (Polars already running, e.g. when called from Python)."""
    if threads is not None and pl.thread_pool_size() != threads:
        _note(f"[!] --threads {threads} not applied: Polars had already started with "
              f"{pl.thread_pool_size()} threads")


def input_options(command: F) -> F:
    """The options of every command that reads logs, as one decorator (sqlite-utils
    style), so scan, explain, templates and accounts read a log the same way."""
    options = [
        click.option("--map", "column_map", multiple=True, metavar="CANONICAL=SOURCE",
                     help="Read canonical column CANONICAL from SOURCE (dotted paths reach into structs). "
                          "Repeatable."),
        click.option("--input-format", type=click.Choice(["auto", "parquet", "jsonl"]), default="auto",
                     show_default=True, help="Input format; auto detects it from the content."),
        click.option("--preset", metavar="NAME",
                     help="Log format preset (see `distillscan schema`); default: detected, else native."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Config file with custom presets [default: ./distillscan.toml if present]."),
        click.option("--skip-errors", is_flag=True,
                     help="Skip unreadable files and bad lines/rows, report them, exit 3."),
        click.option("--threads", type=click.IntRange(min=1), metavar="N", expose_value=False,
                     callback=_check_threads, help="Worker threads [default: all cores]."),
        click.option("--temp-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                     metavar="DIR", help="Where the scan spills its partial and completed tables "
                                          "(about 55 + 13 bytes per request, removed at the end) "
                                          "[default: $TMPDIR]."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _read_logs(paths: tuple[str, ...], options: ScanOptions, quiet: bool) -> ScanResult:
    """Scan the logs, with a progress line on a terminal's stderr unless quiet."""
    from distillscan.pipeline import scan as run_scan

    err = _stderr()
    if quiet or not err.is_terminal:
        result = run_scan(list(paths), options)
    else:
        with ScanProgress(err, count_sources(paths, options)) as progress:
            result = run_scan(list(paths), options, on_shard=progress.shard_done, on_stage=progress.stage)
    # The command's views read the large tables from disk until it ends.
    click.get_current_context().call_on_close(result.close)
    return result


def _read_notes(result: ScanResult, options: ScanOptions, quiet: bool) -> None:
    """Say on stderr which preset was auto-detected and what input was skipped."""
    summary = result.summary
    if quiet:
        return
    if summary.preset != "native" and options.preset in (None, "auto"):
        _note(f"[+] read as {summary.preset} (auto-detected: {summary.preset_reason})")
    if summary.skipped:
        _note(
            f"[!] skipped {summary.rows_skipped:,} of {summary.rows_in:,} input rows "
            f"({len(summary.skipped)} location(s)); see the report summary"
        )
        for record in summary.skipped[:5]:
            _note(f"[!] {skipped_location(record)}")


def _exit_if_partial(result: ScanResult) -> None:
    """Exit 3 when --skip-errors dropped input."""
    summary = result.summary
    if summary.rows_skipped or any(record.rows == 0 for record in summary.skipped):
        sys.exit(int(ExitCode.PARTIAL))


def _write_output(text: str, output: Path | None) -> None:
    """A machine document to FILE or stdout; an unwritable FILE is a usage error."""
    try:
        write_text(text, output, sys.stdout)
    except OSError as error:
        if output is None:
            raise
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from error


def _write_html(path: Path, document: str) -> None:
    try:
        path.write_text(document, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error


html_option = click.option(
    "--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report (inline CSS and SVG, no scripts) to FILE.",
)


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
      distillscan explain 1 sample_logs/ --html group.html
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
@input_options
@html_option
@click.option("--fail-on", type=severity_choice, help="Exit 1 when a group at or above this severity is found.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PREVIOUS.json",
              help="A previous --format json report (or export groups.json): mark groups new/grown/unchanged, list gone ones.")
@click.option("--fail-on-new", is_flag=True,
              help="With --baseline: exit 1 only for new or grown groups at or above --fail-on [default: high].")
@click.option("--allow", "allow_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Allowlist of account:ID / org:ID lines; matches are suppressed. Repeatable.")
@click.option("--show-suppressed", is_flag=True, help="Also list the allowlisted (suppressed) groups.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Also write groups.json, accounts.csv, templates.csv and indicators.json into DIR.")
@click.option("--force", is_flag=True, help="With --export: overwrite files in DIR not written by distillscan.")
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
    temp_dir: Path | None,
    html_path: Path | None,
    fail_on: str | None,
    baseline_path: Path | None,
    fail_on_new: bool,
    allow_files: tuple[Path, ...],
    show_suppressed: bool,
    export_dir: Path | None,
    force: bool,
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
      distillscan scan today/ --baseline yesterday.json --fail-on-new --allow allow.txt --export evidence/
      distillscan scan sample_logs/ --html report.html
    """
    from distillscan.report.report import SCHEMA_VERSION
    from distillscan.triage.baseline import load_baseline, with_baseline
    from distillscan.triage.gate import (
        FAIL_ON_NEW_DEFAULT,
        describe_failures,
        gate_failures,
    )

    if output_format == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    if force and export_dir is None:
        raise UsageError("--force only applies to --export DIR")
    if fail_on_new and baseline_path is None:
        raise UsageError("--fail-on-new needs --baseline PREVIOUS.json")
    baseline = load_baseline(baseline_path, SCHEMA_VERSION) if baseline_path is not None else None
    if export_dir is not None:
        from distillscan.report.export import check_export_dir

        check_export_dir(export_dir, force)
    options = _scan_options(column_map, input_format, preset, config_path, skip_errors, temp_dir)
    options = replace(options, allow=_allowlist(allow_files, config_path))
    if show_suppressed and options.allow is None:
        raise UsageError("--show-suppressed needs an allowlist (--allow FILE, or allow = [...] in the config)")
    result = _read_logs(paths, options, quiet)
    if baseline is not None:
        result = with_baseline(result, baseline)
    default_top = 20 if output_format == "table" else None
    selection = Selection(top=top or default_top, min_score=min_score, min_severity=min_severity.lower())
    shown = select_groups(result, selection)
    suppressed = select_suppressed(result, selection) if show_suppressed else None
    try:
        if output_format == "table":
            render_table(result, shown, _table_console(output), suppressed=suppressed)
        elif output_format == "parquet":
            assert output is not None
            write_parquet(result, shown, output)
        else:
            renderer = {"json": render_json, "jsonl": render_jsonl, "csv": render_csv}[output_format]
            write_text(renderer(result, shown, suppressed), output, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        if output is not None:
            raise
        # The reader went away (`| head`): the export and the --fail-on verdict still
        # stand, so finish the run without writing more to stdout.
        silence_stdout()
    except OSError as error:
        if output is None:
            raise
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from error
    if export_dir is not None:
        from distillscan.report.export import export_documents, write_export

        written = write_export(export_dir, export_documents(result, shown, render_json(result, shown, suppressed)),
                               force=force)
        if not quiet:
            _note(f"[+] exported {len(written)} files to {export_dir}")
    if html_path is not None:
        from distillscan.investigate.investigate import group_view
        from distillscan.report.html import render_scan_html

        views = [group_view(result, group_id) for group_id in shown["group_id"]]
        _write_html(html_path, render_scan_html(result, shown, views))
    if not quiet:
        _warn_unmatched(result)
    _read_notes(result, options, quiet)
    if fail_on is not None or fail_on_new:
        severity = (fail_on or FAIL_ON_NEW_DEFAULT).lower()
        failures = gate_failures(result, severity, only_new=fail_on_new)
        if failures.height:
            if not quiet:
                _note(f"[!] {describe_failures(failures, severity, fail_on_new)}")
            sys.exit(int(ExitCode.FINDINGS))
    _exit_if_partial(result)


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

    console = StdoutConsole(highlight=False)
    how = "given" if info.detection.reason == "given" else f"auto-detected: {info.detection.reason}"
    console.print(Text(terminal_safe(f"preset: {info.preset} ({how})")))
    if len(set(info.presets_by_file.values())) > 1:
        console.print("files differ in format; a scan reads each with its own preset "
                      "(fields and mapping below are the first file's):", markup=False)
        for path, name in info.presets_by_file.items():
            console.print(Text(terminal_safe(f"  {path}: {name}")))
    console.print(Text(terminal_safe(f"fields found: {', '.join(info.fields) or 'none'}")))
    for name, hint in info.missing.items():
        console.print(Text(terminal_safe(f"missing required column '{name}'"
                                         + (f": {hint}" if hint else "")), style="yellow"))
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
@click.option("--volume", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Each account sends this many times its traffic, with fresh text "
                   "(about ROWS x VOLUME rows from the accounts of ROWS): for measuring what "
                   "grows with rows, not accounts.")
@click.option("--format", "output_format", type=click.Choice(["parquet", "jsonl"]), default=None,
              help="Output format [default: from OUTPUT's extension, else parquet].")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the ground truth (account → campaign/benign, kind) as CSV.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def synth(output: Path, rows: int, seed: int, days: int, volume: int, output_format: str | None,
          truth: Path | None, debug: bool) -> None:
    """Generate a labelled synthetic request log (campaigns and hard benign look-alikes).

    \b
    Example:
      distillscan synth /tmp/logs.parquet --rows 200000 --truth /tmp/truth.csv
    """
    from distillscan.synth.synth import SynthConfig, write_synthetic

    fmt: Literal["parquet", "jsonl"] = (
        "jsonl" if (output_format or "").startswith("jsonl") or output.suffix in {".jsonl", ".ndjson"}
        else "parquet"
    )
    config = SynthConfig(n_requests=rows, seed=seed, days=days, new_model_day=min(10, days // 2),
                         volume=volume)
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
    from distillscan.model.scan import ScanOptions
    from distillscan.pipeline import scan as run_scan

    truth_frame = read_truth(truth)
    result = run_scan(list(paths), ScanOptions())
    evaluation = run_evaluation(result.report.groups, result.linkage.membership, truth_frame,
                                flag_severity.lower())
    result.close()
    if output_format == "json":
        sys.stdout.write(json.dumps(evaluation.as_dict(), indent=2) + "\n")
        return
    from rich.table import Table

    console = StdoutConsole(highlight=False)
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


@main.command()
@click.argument("group")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@click.option("--templates", "templates_limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Show the group's N busiest templates.")
@click.option("--examples", type=click.IntRange(min=0), default=2, show_default=True,
              help="Example requests per shown template (a second read of the logs, filtered to the "
                   "group's accounts); 0: none.")
@input_options
@html_option
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def explain(group: str, paths: tuple[str, ...], output_format: str, output: Path | None,
            templates_limit: int, examples: int, column_map: tuple[str, ...], input_format: str,
            preset: str | None, config_path: Path | None, skip_errors: bool, temp_dir: Path | None,
            html_path: Path | None, quiet: bool, debug: bool) -> None:
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
    from distillscan.investigate.investigate import example_requests, group_view

    options = _scan_options(column_map, input_format, preset, config_path, skip_errors, temp_dir)
    result = _read_logs(paths, options, quiet)
    view = group_view(result, group)
    if examples and "-" in paths:
        if not quiet:
            _note("[!] no example requests: standard input cannot be read a second time (pass files)")
    elif examples:
        fetched = example_requests(list(paths), options, result, view, templates=templates_limit,
                                   per_template=examples)
        view = dataclasses.replace(view, examples=fetched)
    if output_format == "json":
        from distillscan.report.views import render_group_json

        _write_output(render_group_json(result, view, templates_limit), output)
    else:
        from distillscan.report.views import render_group

        render_group(view, _table_console(output), templates_limit=templates_limit)
    if html_path is not None:
        from distillscan.report.html import render_group_html

        _write_html(html_path, render_group_html(result, view, templates_limit))
    _read_notes(result, options, quiet)
    _exit_if_partial(result)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@click.option("--sort", "sort_by", type=click.Choice(list(TEMPLATE_SORTS)), default="requests",
              show_default=True, help="Order: most requests, most accounts, or earliest first.")
@click.option("--top", type=click.IntRange(min=1), help="Show at most N templates [table default: 20].")
@click.option("--min-requests", type=click.IntRange(min=1), default=MIN_TEMPLATE_REQUESTS, show_default=True,
              help="Only templates with at least this many requests.")
@input_options
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def templates(paths: tuple[str, ...], output_format: str, output: Path | None, sort_by: str,
              top: int | None, min_requests: int, column_map: tuple[str, ...], input_format: str,
              preset: str | None, config_path: Path | None, skip_errors: bool, temp_dir: Path | None,
              quiet: bool, debug: bool) -> None:
    """List the prompt templates across the logs: skeleton, requests, accounts, share of
    traffic, first/last seen, reasoning-ask share and the groups that send them.

    \b
    Examples:
      distillscan templates sample_logs/
      distillscan templates logs/ --sort first-seen --top 50
      distillscan templates logs/ --format csv -o templates.csv
    """
    from distillscan.investigate.investigate import sort_templates, template_catalog
    from distillscan.report.views import (
        render_templates,
        render_templates_csv,
        render_templates_json,
    )

    options = _scan_options(column_map, input_format, preset, config_path, skip_errors, temp_dir)
    result = _read_logs(paths, options, quiet)
    catalog = sort_templates(template_catalog(result, min_requests), sort_by)
    limit = top or (20 if output_format == "table" else None)
    shown = catalog.head(limit) if limit is not None else catalog
    if output_format == "table":
        render_templates(shown, _table_console(output), catalog.height)
    elif output_format == "json":
        _write_output(render_templates_json(result, shown), output)
    else:
        _write_output(render_templates_csv(shown), output)
    _read_notes(result, options, quiet)
    _exit_if_partial(result)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--account", "account_ids", multiple=True, metavar="ID", help="Only this account. Repeatable.")
@click.option("--group", "group_ids", multiple=True, metavar="GROUP",
              help="Only members of this group (id or rank). Repeatable.")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv", "parquet"]),
              default="table", show_default=True, help="Output format (parquet needs -o).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@click.option("--sort", "sort_by", type=click.Choice(list(ACCOUNT_SORTS)), default="score", show_default=True,
              help="Order of the rows.")
@click.option("--top", type=click.IntRange(min=1), help="Show at most N accounts [table default: 50].")
@input_options
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@handle_errors
def accounts(paths: tuple[str, ...], account_ids: tuple[str, ...], group_ids: tuple[str, ...],
             output_format: str, output: Path | None, sort_by: str, top: int | None,
             column_map: tuple[str, ...], input_format: str, preset: str | None,
             config_path: Path | None, skip_errors: bool, temp_dir: Path | None, quiet: bool,
             debug: bool) -> None:
    """Per-account features (as the scan computes them) with each account's group,
    severity and score.

    \b
    Examples:
      distillscan accounts sample_logs/ --sort requests
      distillscan accounts logs/ --account acct_0021e7fad3cc --account acct_01da93a8cdfd
      distillscan accounts logs/ --group 1 --format parquet -o members.parquet
    """
    from distillscan.investigate.investigate import (
        account_table,
        filter_accounts,
        resolve_group,
        sort_accounts,
    )
    from distillscan.report.views import (
        render_accounts,
        render_accounts_csv,
        render_accounts_json,
        write_accounts_parquet,
    )

    if output_format == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    options = _scan_options(column_map, input_format, preset, config_path, skip_errors, temp_dir)
    result = _read_logs(paths, options, quiet)
    everyone = account_table(result)
    groups = [resolve_group(result, group_id) for group_id in group_ids]
    chosen = sort_accounts(filter_accounts(everyone, account_ids, groups), sort_by)
    limit = top or (50 if output_format == "table" else None)
    shown = chosen.head(limit) if limit is not None else chosen
    if output_format == "table":
        render_accounts(shown, _table_console(output), chosen.height, everyone.height)
    elif output_format == "parquet":
        assert output is not None
        try:
            write_accounts_parquet(shown, output)
        except OSError as error:
            raise UsageError(f"cannot write {output}: {error.strerror or error}") from error
    elif output_format == "json":
        _write_output(render_accounts_json(result, shown), output)
    else:
        _write_output(render_accounts_csv(shown), output)
    _read_notes(result, options, quiet)
    _exit_if_partial(result)
