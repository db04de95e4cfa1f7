"""Options shared by several commands, each declared once as a decorator (sqlite-utils
style), and what the input options turn into: `LogInputs`, then `ScanOptions`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click
import polars as pl

from distillscan.cli.output import invocation_environment, note
from distillscan.errors import UsageError
from distillscan.model.groups import SEVERITIES

if TYPE_CHECKING:
    from distillscan.model.scan import ScanOptions

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

ENGINES: Final = ("local", "ray")

severity_choice: Final = click.Choice(list(SEVERITIES), case_sensitive=False)

quiet_option: Final = click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
debug_option: Final = click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
html_option: Final = click.option(
    "--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report (inline CSS and SVG, no scripts) to FILE.",
)


def _apply(options: Sequence[Decorator], command: Callable[..., Any]) -> Callable[..., Any]:
    """`command` decorated with `options`, the first listed shown first in --help."""
    for option in reversed(options):
        command = option(command)
    return command


def output_options(
    formats: Sequence[str],
    *,
    default: str | None = "table",
    format_help: str | None = "Output format.",
    output_help: str | None = "Write to FILE instead of stdout.",
) -> Decorator:
    """`--format` (one of `formats`) and, unless `output_help` is None, `-o/--output FILE`."""
    options = [
        click.option("--format", "output_format", type=click.Choice(list(formats)), default=default,
                     show_default=default is not None, help=format_help),
    ]
    if output_help is not None:
        options.append(click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                                    help=output_help))
    return functools.partial(_apply, options)


def _check_threads(context: click.Context, parameter: click.Parameter, threads: int | None) -> None:
    """--threads is applied by the entry point before Polars starts (see launch.py); say
    so when it could not be (Polars already running, e.g. when called from Python)."""
    if threads is not None and pl.thread_pool_size() != threads:
        note(invocation_environment(), f"[!] --threads {threads} not applied: Polars had already started with "
                                       f"{pl.thread_pool_size()} threads")


_FORMAT_OPTIONS: Final = (
    click.option("--map", "column_map", multiple=True, metavar="CANONICAL=SOURCE",
                 help="Read canonical column CANONICAL from SOURCE (dotted paths reach into structs). "
                      "Repeatable."),
    click.option("--input-format", type=click.Choice(["auto", "parquet", "jsonl"]), default="auto",
                 show_default=True, help="Input format; auto detects it from the content."),
    click.option("--preset", metavar="NAME",
                 help="Log format preset (see `distillscan schema`); default: detected, else native."),
    click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                 help="Config file with custom presets [default: ./distillscan.toml if present]."),
)
"""How a log is read: its format and the mapping onto the canonical columns."""

_READ_OPTIONS: Final = (
    click.option("--skip-errors", is_flag=True,
                 help="Skip unreadable files and bad lines/rows, report them, exit 3."),
    click.option("--threads", type=click.IntRange(min=1), metavar="N", expose_value=False,
                 callback=_check_threads, help="Worker threads [default: all cores]."),
    click.option("--temp-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                 metavar="DIR", help="Where the scan spills its partial and completed tables "
                                      "(about 55 + 13 bytes per request, removed at the end) "
                                      "[default: $TMPDIR]."),
    click.option("--engine", type=click.Choice(ENGINES), default=None,
                 help="Where files are read and reduced: in this process, or as Ray tasks on a local Ray "
                      "runtime or a cluster (pip install \"distillscan[ray]\") [default: local, or the "
                      "config's engine]."),
    click.option("--ray-address", metavar="auto|HOST:PORT",
                 help="With --engine ray: the Ray cluster to join [default: start a local Ray runtime "
                      "with --threads CPUs, or the config's ray_address]."),
)
"""How a whole log is read: what to do with bad input, threads, where to spill, the engine."""


@dataclass(frozen=True)
class LogInputs:
    """The input options as given; `scan_options` checks them and reads the config."""

    column_map: tuple[str, ...] = ()
    input_format: str = "auto"
    preset: str | None = None
    config_path: Path | None = None
    skip_errors: bool = False
    temp_dir: Path | None = None
    engine: str | None = None
    ray_address: str | None = None

    def scan_options(self) -> ScanOptions:
        """The library's options: `--map` parsed, the config's presets, default preset
        and engine."""
        from distillscan.model.scan import ScanOptions
        from distillscan.read import load_config

        config = load_config(self.config_path)
        engine = self.engine or config.engine or "local"
        if self.ray_address is not None and engine != "ray":
            raise UsageError("--ray-address is for --engine ray")
        return ScanOptions(
            column_map=parse_column_map(self.column_map),
            skip_errors=self.skip_errors,
            input_format=None if self.input_format == "auto" else self.input_format,  # type: ignore[arg-type]
            preset=self.preset or config.default,
            presets=config.presets,
            temp_dir=self.temp_dir,
            engine="ray" if engine == "ray" else "local",
            ray_address=self.ray_address or config.ray_address,
        )


_INPUT_FIELDS: Final = tuple(field.name for field in fields(LogInputs))


def _collecting_inputs(options: Sequence[Decorator]) -> Decorator:
    """A decorator adding `options` to a command and handing it their values as one
    `inputs: LogInputs` argument."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_inputs(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in _INPUT_FIELDS if name in kwargs}
            return command(*args, inputs=LogInputs(**given), **kwargs)

        return _apply(options, with_inputs)

    return decorate


input_options: Final = _collecting_inputs([*_FORMAT_OPTIONS, *_READ_OPTIONS])
"""The options of every command that reads logs, so all read a log the same way."""
format_options: Final = _collecting_inputs(_FORMAT_OPTIONS)
"""The input options of `schema`, which samples a log's first records and reads no rows."""


def parse_column_map(pairs: Sequence[str]) -> dict[str, str]:
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
