"""Console entry point: applies `--threads` before Polars starts its thread pool.

Polars sizes its pool once, when it is first imported, from POLARS_MAX_THREADS; the
CLI module imports Polars, so the option has to be read from argv before that.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def threads_from_argv(argv: Sequence[str]) -> int | None:
    """The value of the last well-formed `--threads N` / `--threads=N` in argv, if any
    (a malformed one is left for click to reject with a usage error)."""
    found: int | None = None
    for index, argument in enumerate(argv):
        if argument == "--":
            break
        value: str | None = None
        if argument == "--threads" and index + 1 < len(argv):
            value = argv[index + 1]
        elif argument.startswith("--threads="):
            value = argument.partition("=")[2]
        if value is not None and value.isdigit() and int(value) > 0:
            found = int(value)
    return found


def main() -> None:
    threads = threads_from_argv(sys.argv[1:])
    if threads is not None:
        os.environ["POLARS_MAX_THREADS"] = str(threads)
    from distillscan.cli.main import main as cli_main

    cli_main()
