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
    """Bad arguments, or input that could not be read (file, line/row and field named)."""
    PARTIAL = 3
    """The scan ran under `--skip-errors` and skipped some input; the summary says what."""
    INTERNAL = 70
    """A bug in distillscan (EX_SOFTWARE); rerun with `--debug` and report it."""


class DistillscanError(Exception):
    """Base class for errors that carry an exit code and a one-line message."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(DistillscanError):
    """The command line asks for something impossible or contradictory."""

    exit_code = ExitCode.USAGE_OR_INPUT


class InputError(DistillscanError):
    """Input that cannot be read as a request log.

    The message names the file and, where known, the line (JSONL, 1-based) or row
    (Parquet, 0-based) and the field.
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
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.row = row
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: `path:line: field 'x': reason`."""
        location = path_label = self.path
        if self.line is not None:
            location = f"{path_label}:{self.line}"
        elif self.row is not None:
            location = f"{path_label} row {self.row}"
        field = f" field '{self.field}':" if self.field else ""
        return f"{location}:{field} {self.reason}"
