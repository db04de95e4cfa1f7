"""The contract every format reader keeps, and the errors it words.

A `Reader` turns one source of its format into canonical `Shard`s, streaming.
`load.iter_shards` picks the reader by the source's format (`parquet.ParquetReader`,
`jsonl.JsonlReader`), so a new format is a new subclass, not a new branch. A bad row,
line or file raises `InputError`, unless the reader was made to skip errors: then bad
rows are dropped and recorded in the shard's `skipped`. A whole file that cannot be
read raises `SkipFile` either way; `iter_shards` re-raises its error or records it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from distillscan.errors import InputError
from distillscan.model.inputs import LogSource
from distillscan.read.shards import Shard


class SkipFile(Exception):
    """A whole file cannot be read (raised inside readers, turned into a record)."""

    def __init__(self, error: InputError, rows: int | None) -> None:
        super().__init__(error.describe())
        self.error = error
        self.rows = rows
        """The file's rows, for the record; None when they cannot be counted."""


class Reader(ABC):
    """Reads the sources of one format as canonical shards."""

    @abstractmethod
    def shards(self, source: LogSource) -> Iterator[Shard]:
        """The source's rows as canonical shards, in order (at least one, maybe empty).

        Raises SkipFile when the whole file cannot be read, InputError for the first
        bad row or line unless errors are skipped."""


def polars_message(error: BaseException) -> str:
    """The first line of a reader's error, at most 200 characters."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return first if len(first) <= 200 else first[:197] + "…"


def quote(value: object) -> str:
    """A bad source value as an error message shows it (at most 80 characters)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"
