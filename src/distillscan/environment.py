"""The process's standard streams, terminal facts and temporary folder, as one object.

Reading (standard input as `-`) and the CLI (data on stdout, everything for a person on
stderr) take an `Environment` instead of reaching for `sys`, so tests and embedding
callers pass their own streams (see `Environment.of`) and nothing module-global holds
state between calls.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO


@dataclass(frozen=True)
class Environment:
    """Where input comes from and output goes, and what those streams are."""

    stdin: BinaryIO
    """Raw bytes of standard input (JSONL read as `-`)."""
    stdout: TextIO
    """Data only: the report or the machine document."""
    stderr: TextIO
    """Everything for a person: progress, notes, warnings, errors."""
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    temp_dir: Path | None = None
    """Where temporary folders are made; None: the system's (`$TMPDIR`)."""

    @classmethod
    def from_process(cls) -> Environment:
        """The running process's streams, as they are now (click's test runner swaps them)."""
        return cls(
            stdin=sys.stdin.buffer,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
        )

    @classmethod
    def of(cls, stdin: bytes = b"", temp_dir: Path | None = None) -> Environment:
        """An environment over in-memory streams: `stdin` to read, stdout and stderr kept
        in `io.StringIO`s (read them back with `.getvalue()`)."""
        return cls(stdin=io.BytesIO(stdin), stdout=io.StringIO(), stderr=io.StringIO(), temp_dir=temp_dir)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False
