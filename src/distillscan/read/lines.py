"""JSONL text as lines: batches of whole lines, and single lines looked at one by one.

`line_batches` cuts a stream of decompressed chunks into batches of about `batch_bytes`
of whole lines, numbered, so a batch is parsed by Polars in one call. Lines are only
looked at one by one (with Python's strict JSON parser) to say why a line is bad, to
sample the first objects of a batch, and to group the bad lines a batch skipped.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Final

from distillscan.model.inputs import SkippedInput
from distillscan.read import strict_json
from distillscan.read.decompress import StreamError


@dataclass
class Batch:
    """Whole lines of one source, and where they start."""

    data: bytes
    first_line: int
    line_numbers: list[int] | None = None
    """Input line of each non-blank line of `data`, when they are not consecutive (an
    expanded OTLP envelope gives one line per span, all numbered as the envelope)."""
    selected: bool = False
    """Lines hold every spec as a top-level key (an expanded batch): no raw paths."""


def line_batches(
    chunks: Iterator[bytes], batch_bytes: int
) -> Generator[Batch | StreamError, None, None]:
    """Batches of whole lines, about batch_bytes each; a stream failure comes last."""
    parts: list[bytes] = []
    size = 0
    line = 1
    no_newline = 0  # parts[:no_newline] are known to hold no newline
    failure: StreamError | None = None
    try:
        for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size < batch_bytes:
                continue
            # Cut after the last newline, looking in the newest chunks first, so the
            # batch is assembled with a single copy.
            for index in range(len(parts) - 1, no_newline - 1, -1):
                cut = parts[index].rfind(b"\n")
                if cut >= 0:
                    break
            else:  # one line longer than a batch: keep reading it
                no_newline = len(parts)
                continue
            no_newline = 0
            head, rest = parts[index][: cut + 1], parts[index][cut + 1 :]
            batch = b"".join([*parts[:index], head])
            yield Batch(batch, line)
            line += batch.count(b"\n")
            parts = [rest, *parts[index + 1 :]] if rest else parts[index + 1 :]
            size = sum(len(part) for part in parts)
    except StreamError as error:
        failure = error
    buffer = b"".join(parts)
    if failure is not None:
        # Salvage the whole lines read before the failure; the partial line is lost.
        cut = buffer.rfind(b"\n")
        if cut >= 0:
            yield Batch(buffer[: cut + 1], line)
            line += buffer.count(b"\n", 0, cut + 1)
        yield StreamError(f"{failure.reason}; nothing after line {line - 1} could be read")
    elif buffer:
        yield Batch(buffer, line)


def nonblank_line_numbers(data: bytes, first_line: int) -> list[int]:
    """The line number of each non-blank line of `data`, which starts at `first_line`."""
    return [first_line + i for i, raw in enumerate(data.split(b"\n")) if raw.strip()]


_JSON_KIND: Final = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def diagnose_line(raw: bytes) -> tuple[str, str, dict[str, Any] | None]:
    """(reason for grouping, detail, parsed object): reason is '' for a good line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return "invalid UTF-8", f" (byte {error.start + 1} of the line)", None
    try:
        value = strict_json.loads(text)
    except json.JSONDecodeError as error:
        return f"malformed JSON: {error.msg}", f" (column {error.colno})", None
    except ValueError as error:  # NaN, Infinity, or a number out of range
        return f"malformed JSON: {error}", "", None
    except RecursionError:
        return "malformed JSON: nested too deeply", "", None
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_KIND.get(type(value), type(value).__name__)
        return f"expected a JSON object, got {kind}", "", None
    return "", "", value


def sample_objects(data: bytes, limit: int = 1000) -> list[dict[str, Any]]:
    """The JSON objects on the first lines of a batch (for error messages and sampling)."""
    objects: list[dict[str, Any]] = []
    for raw in data.split(b"\n"):
        if len(objects) >= limit:
            break
        if raw.strip():
            value = diagnose_line(raw)[2]
            if value is not None:
                objects.append(value)
    return objects


class SkippedLines:
    """Skipped lines of one batch, grouped by (reason, field): first line kept, rows counted."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._groups: dict[tuple[str, str | None], list[Any]] = {}

    def add(self, reason: str, field: str | None, line: int | None, rows: int = 1) -> None:
        group = self._groups.setdefault((reason, field), [line, 0])
        group[1] += rows

    def records(self) -> tuple[SkippedInput, ...]:
        return tuple(
            SkippedInput(self.path, reason, line=line, field=field, rows=rows)
            for (reason, field), (line, rows) in self._groups.items()
        )

    def rows(self) -> int:
        return sum(rows for _, rows in self._groups.values())
