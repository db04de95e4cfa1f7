"""Discovery: the paths a user names, expanded into sources with their format.

`discover_sources` expands files, folders (recursively, hive layouts included), globs
and `-` (JSONL on standard input) into `LogSource`s. The format comes from a file's
first bytes (Parquet magic, or JSON text, possibly gzip or zstd compressed), its name
only when the content says nothing; a file the user named is always read, so that
the reader reports precisely why it cannot be, while files found in folders are
taken only when they look like logs.
"""

from __future__ import annotations

import glob as globlib
import os
import stat
import zlib
from collections.abc import Sequence
from typing import BinaryIO, Final, Literal

import zstandard

from distillscan.environment import Environment
from distillscan.errors import InputError, UsageError
from distillscan.model.inputs import Compression, Format, LogSource
from distillscan.read.decompress import BOM, GZIP_MAGIC, PARQUET_MAGIC, ZSTD_MAGIC
from distillscan.read.stdin import STDIN_PATH, stdin_source

_SNIFF_BYTES: Final = 4096
_COMPRESSION_SUFFIXES: Final[dict[str, Compression]] = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".zst": "zstd",
    ".zstd": "zstd",
}
_JSONL_SUFFIXES: Final = frozenset({".jsonl", ".ndjson", ".json", ".jsonlines"})
_PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq", ".parq"})
_IGNORED_SUFFIXES: Final = frozenset({".crc", ".tmp", ".swp", ".lock", ".inprogress"})
_GLOB_CHARS: Final = frozenset("*?[")

_Kind = Literal["parquet", "jsonl", "empty", "other"]


def discover_sources(
    paths: Sequence[str], fmt: Format | None = None, *, stdin: BinaryIO | None = None
) -> list[LogSource]:
    """Expand files, folders, globs and `-` into sources, format detected from content.

    Each file is listed once, in the order named (folders and globs sorted). `-` reads
    `stdin` (default: the process's standard input). Raises InputError for a path that
    does not exist or matches no log file.
    """
    if fmt not in (None, "parquet", "jsonl"):
        raise UsageError(f"unknown input format {fmt!r} (expected 'parquet' or 'jsonl')")
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise UsageError("no input paths given")
    found: list[LogSource] = []
    seen: set[object] = set()

    def add(source: LogSource) -> None:
        key = _identity(source.path)
        if key not in seen:
            seen.add(key)
            found.append(source)

    for path in paths:
        if path == "-":
            if fmt == "parquet":
                raise UsageError(
                    "Parquet cannot be read from standard input ('-'); pass the file path"
                )
            add(stdin_source(stdin if stdin is not None else Environment.from_process().stdin))
        elif os.path.isdir(path):
            listed = _walk(path, fmt)
            if not listed:
                raise InputError(path, _nothing_found("in this folder", fmt))
            for source in listed:
                add(source)
        elif os.path.exists(path):
            add(_explicit_file(path, fmt))
        elif _GLOB_CHARS & set(path):
            matches = sorted(globlib.glob(path, recursive=True))
            if not matches:
                raise InputError(path, "no files match this pattern")
            listed = []
            for match in matches:
                if os.path.isdir(match):
                    listed.extend(_walk(match, fmt))
                else:
                    candidate = _folder_file(match, fmt)
                    if candidate is not None:
                        listed.append(candidate)
            if not listed:
                raise InputError(path, _nothing_found("that match this pattern", fmt))
            for source in listed:
                add(source)
        else:
            raise InputError(path, "no such file or directory")
    return found


def is_regular_file(path: str) -> bool:
    """Whether `path` is a plain file (True when it cannot be looked at: the reader
    then reports why it cannot be opened)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def _nothing_found(where: str, fmt: Format | None) -> str:
    what = {"parquet": "Parquet", "jsonl": "JSONL", None: "Parquet or JSONL"}[fmt]
    return f"no {what} files found {where}"


def _identity(path: str) -> object:
    if path == STDIN_PATH:
        return STDIN_PATH
    try:
        st = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (st.st_dev, st.st_ino)


def _walk(folder: str, fmt: Format | None) -> list[LogSource]:
    def fail(error: OSError) -> None:
        raise InputError(error.filename or folder, f"cannot list folder: {error.strerror}")

    found: list[LogSource] = []
    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            if _hidden(name) or _suffixes(name)[1] in _IGNORED_SUFFIXES:
                continue
            candidate = _folder_file(os.path.join(root, name), fmt)
            if candidate is not None:
                found.append(candidate)
    return found


def _hidden(name: str) -> bool:
    # `.crc`/`.DS_Store` files, `_SUCCESS`, `_delta_log/`, `_temporary/` ...
    return name.startswith((".", "_"))


def _suffixes(path: str) -> tuple[Compression | None, str]:
    """(compression named by the suffix, the format suffix below it), lower-cased."""
    base, ext = os.path.splitext(os.path.basename(path).lower())
    compression = _COMPRESSION_SUFFIXES.get(ext)
    if compression is not None:
        ext = os.path.splitext(base)[1]
    return compression, ext


def _format_by_name(path: str) -> Format | None:
    ext = _suffixes(path)[1]
    if ext in _PARQUET_SUFFIXES:
        return "parquet"
    if ext in _JSONL_SUFFIXES:
        return "jsonl"
    return None


def _read_head(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _sniff(head: bytes) -> tuple[_Kind, Compression | None]:
    """What the first bytes of a file say it is."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet", None
    compression: Compression | None = None
    text = head
    try:
        if head.startswith(GZIP_MAGIC):
            compression = "gzip"
            text = zlib.decompressobj(wbits=31).decompress(head, _SNIFF_BYTES)
        elif head.startswith(ZSTD_MAGIC):
            compression = "zstd"
            text = zstandard.ZstdDecompressor().decompressobj().decompress(head)[:_SNIFF_BYTES]
    except (zlib.error, zstandard.ZstdError):
        return "other", compression
    text = text.removeprefix(BOM).lstrip()
    if not text:
        return "empty", compression
    if text[:1] == b"{":
        return "jsonl", compression
    return "other", compression


def _folder_file(path: str, fmt: Format | None) -> LogSource | None:
    """A file found in a folder or by a glob: taken if its content (or name) is a log."""
    named = _format_by_name(path)
    if not is_regular_file(path):
        return None  # sockets, pipes, devices found while walking are never logs
    try:
        kind, compression = _sniff(_read_head(path))
    except OSError:
        # Unreadable: keep it only if its name says it is a log, so the read reports it.
        if named is not None and fmt in (None, named):
            return LogSource(path, named, _suffixes(path)[0] if named == "jsonl" else None)
        return None
    if kind in ("parquet", "jsonl"):
        return LogSource(path, kind, compression) if fmt in (None, kind) else None
    if named is not None and fmt in (None, named):
        # Empty, or damaged content under a log's name: read it and report precisely.
        return LogSource(path, named, compression if named == "jsonl" else None)
    return None


def _explicit_file(path: str, fmt: Format | None) -> LogSource:
    """A file the user named: always read (errors are reported by the reader)."""
    named = _format_by_name(path)
    if not is_regular_file(path):
        # A pipe such as `<(zcat logs.gz)`: reading its head would consume it. Only
        # JSONL can be streamed from it; compression is detected when it is read.
        if fmt == "parquet":
            raise UsageError(f"{path}: Parquet cannot be read from a pipe; pass the file path")
        return LogSource(path, "jsonl", None)
    try:
        head = _read_head(path)
    except OSError:
        chosen = fmt or named or "jsonl"
        return LogSource(path, chosen, _suffixes(path)[0] if chosen == "jsonl" else None)
    kind, compression = _sniff(head)
    if fmt is not None:
        return LogSource(path, fmt, compression if fmt == "jsonl" else None)
    if kind == "parquet":
        return LogSource(path, "parquet", None)
    if kind in ("jsonl", "empty"):
        return LogSource(path, "jsonl", compression)
    if named is not None:
        return LogSource(path, named, compression if named == "jsonl" else None)
    raise InputError(path, f"not a Parquet or JSONL file (it starts with {head[:8]!r})")
