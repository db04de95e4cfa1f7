"""Where a command's output goes: the invocation's streams, report files, the table console.

stdout carries data only (the table or the machine document); notes for a person go to
stderr. Every file the user names (`-o`, `--html`, `synth OUT`) is written through
`writing`, so a file that cannot be written is one usage error, `cannot write FILE`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Final, TextIO

import click
from rich.console import Console

from distillscan.environment import Environment
from distillscan.errors import UsageError
from distillscan.report.formats import write_text
from distillscan.report.safe import terminal_safe

PIPED_TABLE_WIDTH: Final = 160
"""Table width when stdout is a file or a pipe (no terminal to take the width from)."""


def invocation_environment() -> Environment:
    """This invocation's streams: the Environment a caller passed as click's `obj`
    (`main(obj=Environment.of(...))`, `CliRunner().invoke(main, args, obj=...)`), else
    the process's as they are now (click's test runner swaps them)."""
    context = click.get_current_context(silent=True)
    given = context.obj if context is not None else None
    return given if isinstance(given, Environment) else Environment.from_process()


def note(env: Environment, message: str) -> None:
    """One unwrapped line on stderr (messages quote file names, which must stay whole)."""
    click.echo(terminal_safe(message), file=env.stderr)


def silence_stdout(stdout: TextIO) -> None:
    """Send what is still to be written to stdout to /dev/null (its reader is gone), so
    neither later output nor the interpreter's last flush fails again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout.fileno())
    os.close(devnull)


def check_writable(*paths: Path | None) -> None:
    """Fail before any work when a named file's folder is missing or is not a folder,
    with the message `writing` gives: a scan of a large log that could not write its
    report at the end would lose minutes of work."""
    for path in paths:
        if path is None:
            continue
        folder = path.parent
        if not folder.exists():
            raise UsageError(f"cannot write {path}: No such file or directory")
        if not folder.is_dir():
            raise UsageError(f"cannot write {path}: Not a directory")


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failure to write `path` into the usage error `cannot write FILE: reason`,
    FILE being the file the error names when it names one (a folder on the way, or a
    second output such as `synth --truth`)."""
    try:
        yield
    except OSError as error:
        raise UsageError(f"cannot write {error.filename or path}: {error.strerror or error}") from error


class StdoutConsole(Console):
    """A Rich console whose closed pipe (`| head`) reaches `handle_errors` as a
    BrokenPipeError: Rich's own handling exits with 1, which is `--fail-on`'s code."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def stdout_console(env: Environment) -> StdoutConsole:
    """A console on stdout at the terminal's width (80 columns when piped)."""
    return StdoutConsole(file=env.stdout, highlight=False)


@contextmanager
def report_console(output: Path | None, env: Environment) -> Iterator[Console]:
    """A console for a report table: the terminal's width, or a fixed wide one, without
    colour, for a file (`-o FILE`, closed afterwards) or a pipe."""
    if output is None:
        console = stdout_console(env)
        yield console if console.is_terminal else StdoutConsole(
            file=env.stdout, highlight=False, width=PIPED_TABLE_WIDTH
        )
        return
    with writing(output), output.open("w", encoding="utf-8") as handle:
        yield Console(file=handle, width=PIPED_TABLE_WIDTH, highlight=False, no_color=True)


def write_document(text: str | Iterable[str], output: Path | None, env: Environment) -> None:
    """A machine document (one text, or its pieces, written as they come) to FILE or
    stdout; an unwritable FILE is a usage error, a failing stdout is not (a reader that
    went away is handled by `handle_errors`)."""
    with writing(output) if output is not None else nullcontext():
        write_text(text, output, env.stdout)


def write_html(path: Path, document: str) -> None:
    """An HTML report (`--html FILE`)."""
    with writing(path):
        path.write_text(document, encoding="utf-8")
