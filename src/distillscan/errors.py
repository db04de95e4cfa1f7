"""Exit codes and the domain errors that map onto them.

Library code raises these; the CLI turns them into one line on stderr and the exit
code below, never a traceback (unless `--debug`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    """The scan ran; no `--fail-on` threshold was crossed."""
    FINDINGS = 1
    """`--fail-on SEVERITY` was given and a group at or above it was found."""
    USAGE_OR_INPUT = 2
    """Bad arguments, input that could not be read (file, line/row and field named), or
    a file the machine would not let it read or write (disk full, permissions, removed)."""
    PARTIAL = 3
    """The scan ran under `--skip-errors` and skipped some input; the summary says what."""
    INTERNAL = 70
    """A bug in distillscan (EX_SOFTWARE); rerun with `--debug` and report it."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT): no report was written, nothing was found or cleared."""
    TERMINATED = 143
    """Stopped by SIGTERM (128 + 15: a cancelled CI job, `kill`): as INTERRUPTED, and the
    temporary folders were removed."""


class DistillscanError(Exception):
    """Base class for errors that carry an exit code and a one-line message."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(DistillscanError):
    """The command line asks for something impossible or contradictory."""

    exit_code = ExitCode.USAGE_OR_INPUT


class InputError(DistillscanError):
    """Input that cannot be read as a request log.

    The message names the file and, where known, the line (JSONL, 1-based) or row
    (Parquet, 0-based) and the field; a damaged Parquet row group is named with its
    rows (`row` to `last_row`) and index.
    """

    exit_code = ExitCode.USAGE_OR_INPUT

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        line: int | None = None,
        row: int | None = None,
        field: str | None = None,
        last_row: int | None = None,
        row_group: int | None = None,
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.row = row
        self.field = field
        self.last_row = last_row
        self.row_group = row_group
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: `path:line: field 'x': reason`, or `path rows a–b (row group k): reason`."""
        location = path_label = self.path
        if self.line is not None:
            location = f"{path_label}:{self.line}"
        elif self.row is not None and self.last_row is not None:
            group = f" (row group {self.row_group})" if self.row_group is not None else ""
            location = f"{path_label} rows {self.row}–{self.last_row}{group}"
        elif self.row is not None:
            location = f"{path_label} row {self.row}"
        field = f" field '{self.field}':" if self.field else ""
        return f"{location}:{field} {self.reason}"


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that every `with` and `finally` on
    the way out runs (temporary folders are removed), and, like KeyboardInterrupt, never
    caught by an `except Exception`."""
