"""The progress display of a scan on a terminal's stderr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from distillscan.report.safe import terminal_safe

if TYPE_CHECKING:
    from distillscan.read import Shard


def count_sources(paths: Sequence[str], input_format: Literal["parquet", "jsonl"] | None) -> int | None:
    """How many files a scan will read (None for stdin, whose size is unknown)."""
    from distillscan.read import discover_sources

    if "-" in paths:
        return None
    return len(discover_sources(list(paths), input_format))


class ScanProgress:
    """A progress bar on stderr: files done of all, rows read, the file being read."""

    def __init__(self, console: Console, files: int | None) -> None:
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

    def shard_done(self, shard: Shard) -> None:
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
