"""The scan's progress display on a terminal."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from distillscan.cli.progress import ScanProgress


def test_progress_counts_files_and_rows_on_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    with ScanProgress(console, files=2) as progress:
        progress.shard_done(SimpleNamespace(source=SimpleNamespace(path="a.jsonl"), rows_in=10))
        progress.shard_done(SimpleNamespace(source=SimpleNamespace(path="a.jsonl"), rows_in=5))
        progress.shard_done(SimpleNamespace(source=SimpleNamespace(path="b\x1b[2J.jsonl"), rows_in=7))
        progress.stage("summing aggregates")
        progress.stage("linking and scoring")  # a second stage counts no file again
        task = progress._progress.tasks[0]
        assert (task.completed, task.total, task.fields["rows"]) == (2, 2, 22)
        assert task.description == "linking and scoring"
    assert "\x1b[2J" not in buffer.getvalue()
