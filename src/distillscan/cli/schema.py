"""`distillscan schema`: a log's fields, the preset a scan would use, its mapping and signals."""

from __future__ import annotations

import json

import click
from rich.table import Table
from rich.text import Text

from distillscan.cli.errors import handle_errors
from distillscan.cli.options import LogInputs, debug_option, format_options, output_options
from distillscan.cli.output import stdout_console, write_document
from distillscan.environment import Environment
from distillscan.errors import ExitCode
from distillscan.report.safe import terminal_safe


@click.command()
@click.argument("paths", nargs=-1, required=True)
@format_options
@output_options(["table", "json"], format_help=None, output_help=None)
@debug_option
@handle_errors
def schema(env: Environment, paths: tuple[str, ...], inputs: LogInputs, output_format: str) -> ExitCode:
    """Show a log's fields, the preset a scan would use, its mapping and the signals it enables.

    \b
    Examples:
      distillscan schema proxy.jsonl
      distillscan schema spans.jsonl --preset otel-genai --format json
    """
    from distillscan.read.choice import inspect_schema

    info = inspect_schema(list(paths), inputs.scan_options())
    if output_format == "json":
        write_document(json.dumps(info.as_dict(), indent=2) + "\n", None, env)
        return ExitCode.OK
    console = stdout_console(env)
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
    return ExitCode.OK
