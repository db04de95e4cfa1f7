"""Sampling a source's field paths, for preset detection and `distillscan schema`.

A sample reads the first records only: a Parquet file's schema, or the first lines of
a JSONL file (decompressed). Standard input is peeked through its replay, so the scan
reads again what the sample read; a named pipe is not sampled (reading it would
consume it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import polars as pl

from distillscan.model.inputs import LogSource
from distillscan.read import otlp
from distillscan.read.columns import instance_dtype, struct_fields
from distillscan.read.decompress import BOM, READ_CHUNK, StreamError, decompressed_chunks, decompressed_head
from distillscan.read.lines import sample_objects
from distillscan.read.reader import SkipFile
from distillscan.read.sources import is_regular_file
from distillscan.read.stdin import STDIN_PATH, replay_of

_SAMPLE_ROWS: Final = 200
_HEAD_BYTES: Final = 1 << 20
"""A sample reads this much, or more until it holds one whole line (OTLP envelopes
can be long), but never more than `_HEAD_MAX_BYTES`."""
_HEAD_MAX_BYTES: Final = 64 << 20


def sample_fields(sources: Sequence[LogSource], rows: int = _SAMPLE_ROWS) -> list[str]:
    """Field paths of the first records of the first source that has any (see
    `sample_source_fields`)."""
    for source in sources:
        found = sample_source_fields(source, rows)
        if found:
            return found
    return []


def sample_source_fields(source: LogSource, rows: int = _SAMPLE_ROWS) -> list[str]:
    """Field paths of a source's first records, for preset detection: dotted for nested
    objects (a flat key holding dots is listed as it is); an OTLP envelope adds the
    paths of its GenAI span records. [] when nothing can be read.

    Standard input is peeked: what is read is replayed when the scan reads it. A named
    pipe is not sampled (reading it would consume it).
    """
    if source.path != STDIN_PATH and not is_regular_file(source.path):
        return []
    try:
        if source.format == "parquet":
            return _parquet_fields(source.path)
        if source.path == STDIN_PATH:
            head = decompressed_head(replay_of(source).peek(
                lambda raw: _enough_lines(decompressed_head(raw), rows), _HEAD_MAX_BYTES))
        else:
            head = _jsonl_head(source, rows)
    except (SkipFile, StreamError, OSError, pl.exceptions.PolarsError):
        return []
    return _fields_of(sample_objects(head.removeprefix(BOM), rows))


def _object_paths(value: Mapping[str, Any], prefix: str, out: dict[str, None]) -> None:
    for key, item in value.items():
        path = f"{prefix}{key}"
        out[path] = None
        if isinstance(item, Mapping):
            _object_paths(item, path + ".", out)


def _fields_of(objects: Iterable[dict[str, Any]]) -> list[str]:
    out: dict[str, None] = {}
    for obj in objects:
        _object_paths(obj, "", out)
        if otlp.is_envelope(obj):
            try:
                spans = otlp.flatten(obj)
            except (otlp.EnvelopeError, RecursionError):
                spans = []
            for span in spans:
                _object_paths(span, "", out)
    return list(out)


def _enough_lines(head: bytes, rows: int) -> bool:
    newlines = head.count(b"\n")
    return newlines >= rows or (newlines > 0 and len(head) >= _HEAD_BYTES)


def _jsonl_head(source: LogSource, rows: int) -> bytes:
    parts: list[bytes] = []
    size = newlines = 0
    chunks = decompressed_chunks(source, READ_CHUNK)
    try:
        for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            newlines += chunk.count(b"\n")
            if newlines >= rows or (newlines and size >= _HEAD_BYTES) or size >= _HEAD_MAX_BYTES:
                break
    finally:
        chunks.close()
    return b"".join(parts)


def _parquet_fields(path: str) -> list[str]:
    out: dict[str, None] = {}

    def walk(fields: Mapping[str, pl.DataType], prefix: str) -> None:
        for name, dtype in fields.items():
            out[prefix + name] = None
            if isinstance(dtype, pl.Struct):
                walk(struct_fields(dtype), prefix + name + ".")

    schema = pl.scan_parquet(path, hive_partitioning=False, glob=False).collect_schema()
    walk({name: instance_dtype(dt) for name, dt in schema.items()}, "")
    return list(out)
