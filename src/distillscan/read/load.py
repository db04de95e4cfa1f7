"""The load stage: turn the paths a user names into canonical request frames.

`discover_sources` expands files, folders (recursively, hive layouts included),
globs and `-` (JSONL on stdin) into `LogSource`s, detecting the format from the
content. `iter_shards` reads them as a stream of `Shard`s whose frames hold exactly
the columns of `CANONICAL_SCHEMA`:

* Parquet: one shard per file, a lazy `scan_parquet` plan with canonicalising
  expressions, so a file bigger than memory streams through later stages. One
  streaming pass over the validated columns (account id, timestamp, any text that
  must be parsed) runs first, so bad rows are found here and not in a later stage.
* JSONL: one shard per batch of about `batch_bytes` of (decompressed) text, split at
  newline boundaries and parsed by Polars in one call. Every top-level key the load
  stage needs is read as text (`schema=` of strings), so a key whose type changes
  from line to line never breaks the batch; the text is then cast per canonical
  column. Nested values whose text Polars would mangle, and dotted `--map` paths,
  are taken from the raw line instead (see `_LOSSY_ESCAPE`). Lines are only looked
  at one by one when the batch fails to parse, to name the bad line. A preset with
  an OTLP envelope (`otel-genai`) has each batch rewritten first: one line per GenAI
  span, holding just the paths the preset reads (see `otlp.expand_lines`).

Nothing is ever silently dropped: for every shard `rows_in` equals the rows in
its frame plus the rows its `skipped` records account for.
"""

from __future__ import annotations

import functools
import glob as globlib
import gzip
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, Any, Final, Literal, cast

import polars as pl
import zstandard
from polars.datatypes import DataTypeClass
from pyarrow import ArrowException

from distillscan.errors import InputError, UsageError
from distillscan.model.inputs import Compression, Format, LogSource, SkippedInput
from distillscan.read import otlp
from distillscan.read.presets import BUILTIN, NATIVE, Preset
from distillscan.read.rowgroups import (
    ROW_NUMBER,
    Damage,
    RowGroup,
    readable_rows,
    row_groups,
    unreadable_row_groups,
)
from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN, TIMESTAMP_DTYPE

STDIN_PATH: Final = "<stdin>"
DEFAULT_BATCH_BYTES: Final = 64 << 20

_NO_MAP: Final[Mapping[str, str]] = MappingProxyType({})

# ---------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    """A piece of one source, canonicalised."""

    source: LogSource
    frame: pl.LazyFrame
    """Exactly the columns of CANONICAL_SCHEMA, in order, with those dtypes."""
    rows_in: int
    """Input rows this shard covers, including the skipped ones."""
    skipped: tuple[SkippedInput, ...]
    available: frozenset[str]
    """Canonical columns present (or derived) in this shard."""


@dataclass(frozen=True)
class LoadReport:
    """What `load_frame` read, and what it had to skip."""

    files: tuple[str, ...]
    rows_in: int
    rows_read: int
    rows_skipped: int
    skipped: tuple[SkippedInput, ...]
    """Merged per (file, reason, field); first location kept, rows summed."""
    available: frozenset[str]
    """Canonical columns available in at least one shard."""


# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------

_PARQUET_MAGIC: Final = b"PAR1"
_GZIP_MAGIC: Final = b"\x1f\x8b"
_ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
_BOM: Final = b"\xef\xbb\xbf"
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


def discover_sources(paths: Sequence[str], fmt: Format | None = None) -> list[LogSource]:
    """Expand files, folders, globs and `-` into sources, format detected from content.

    Each file is listed once, in the order named (folders and globs sorted).
    Raises InputError for a path that does not exist or matches no log file.
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
            add(LogSource(STDIN_PATH, "jsonl", None))
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


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # let the reader report why it cannot be opened


def _read_head(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _sniff(head: bytes) -> tuple[_Kind, Compression | None]:
    """What the first bytes of a file say it is."""
    if head.startswith(_PARQUET_MAGIC):
        return "parquet", None
    compression: Compression | None = None
    text = head
    try:
        if head.startswith(_GZIP_MAGIC):
            compression = "gzip"
            text = zlib.decompressobj(wbits=31).decompress(head, _SNIFF_BYTES)
        elif head.startswith(_ZSTD_MAGIC):
            compression = "zstd"
            text = zstandard.ZstdDecompressor().decompressobj().decompress(head)[:_SNIFF_BYTES]
    except (zlib.error, zstandard.ZstdError):
        return "other", compression
    text = text.removeprefix(_BOM).lstrip()
    if not text:
        return "empty", compression
    if text[:1] == b"{":
        return "jsonl", compression
    return "other", compression


def _folder_file(path: str, fmt: Format | None) -> LogSource | None:
    """A file found in a folder or by a glob: taken if its content (or name) is a log."""
    named = _format_by_name(path)
    if not _is_regular_file(path):
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
    if not _is_regular_file(path):
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


# ---------------------------------------------------------------------------
# Column specs: which source column feeds each canonical column
# ---------------------------------------------------------------------------

_MAPPABLE: Final = frozenset(CANONICAL_SCHEMA) | {MESSAGES_COLUMN}
_TEXT_PART_TYPES: Final = ["text", "input_text", "output_text"]
_SYSTEM_ROLES: Final = ["system", "developer"]

_PART_DTYPE: Final = pl.Struct({"type": pl.String(), "text": pl.String()})
_MESSAGES_DTYPE: Final = pl.List(pl.Struct({"role": pl.String(), "content": pl.List(_PART_DTYPE)}))
_MESSAGES_TEXT_DTYPE: Final = pl.List(pl.Struct({"role": pl.String(), "content": pl.String()}))
# Rewrites `"content": "<string>"` into `"content": [{"type": "text", "text": "<string>"}]`
# so messages mixing string and list contents decode to one dtype. A `"content"` key
# can only be matched outside string literals: inside one, its quotes are escaped.
_STRING_CONTENT_RE: Final = r'"content"\s*:\s*("(?:[^"\\]|\\.)*")'
_STRING_CONTENT_TO_PARTS: Final = r'"content": [{"type": "text", "text": ${1}}]'


@dataclass(frozen=True)
class _Specs:
    """canonical column → source specs (column names or dotted paths, first non-null
    wins), plus the specs that may hold messages. Built from a preset's data."""

    canonical: dict[str, tuple[str, ...]]
    messages: tuple[str, ...]
    explicit: frozenset[str]
    text_blocks: frozenset[str] = frozenset()
    """Text columns whose value may be a list of {type, text} blocks."""
    loose_messages: frozenset[str] = frozenset()
    """Messages specs whose value may be a plain prompt or an object holding messages."""
    envelope: str | None = None
    hints: Mapping[str, str] = field(default_factory=dict)
    """Required column → what to do when it is missing (from the preset)."""

    @classmethod
    def build(cls, column_map: Mapping[str, str], preset: Preset | None = None) -> _Specs:
        for name, source in column_map.items():
            if name not in _MAPPABLE:
                raise UsageError(
                    f"--map {name}={source}: '{name}' is not a canonical column "
                    f"(one of: {', '.join(sorted(_MAPPABLE))})"
                )
            if not isinstance(source, str) or not source.strip():
                raise UsageError(f"--map {name}=: the source column is empty")
        if preset is None:
            preset = BUILTIN[NATIVE]
        preset = preset.with_overrides(column_map)
        return cls(
            canonical={name: preset.sources(name) for name in CANONICAL_SCHEMA},
            messages=preset.messages,
            explicit=frozenset(column_map),
            text_blocks=preset.text_blocks,
            loose_messages=preset.loose_messages & frozenset(preset.messages),
            envelope=preset.envelope,
            hints=preset.hints,
        )

    def hint(self, name: str) -> str:
        """`; <the preset's hint>` for a missing required column, or ''."""
        return f"; {self.hints[name]}" if name in self.hints else ""

    def all(self) -> list[str]:
        specs = [spec for specs in self.canonical.values() for spec in specs]
        return list(dict.fromkeys([*specs, *self.messages]))

    def block_specs(self) -> list[str]:
        return list(
            dict.fromkeys(spec for name in self.text_blocks for spec in self.canonical[name])
        )

    def jsonl_raw_specs(self) -> list[str]:
        """Dotted specs: taken from the raw line with `json_path_match`."""
        return [spec for spec in self.all() if "." in spec]

    def jsonl_read_schema(self) -> dict[str, pl.DataType]:
        """Top-level keys, read by `read_ndjson` as text."""
        return {spec: pl.String() for spec in self.all() if "." not in spec}


def _dtype(dtype: pl.DataType | DataTypeClass) -> pl.DataType:
    """A dtype instance (schemas are typed as holding instances or classes)."""
    return cast(pl.DataType, dtype()) if isinstance(dtype, type) else dtype


def _fields(dtype: pl.Struct) -> dict[str, pl.DataType]:
    return {f.name: _dtype(f.dtype) for f in dtype.fields}


def _resolve_struct_path(
    parts: list[str], fields: Mapping[str, pl.DataType], base: pl.Expr | None
) -> tuple[pl.Expr, pl.DataType] | None:
    """Find `a.b.c` as a column, or a struct field path; the exact longest name wins."""
    for k in range(len(parts), 0, -1):
        name = ".".join(parts[:k])
        if name not in fields:
            continue
        expr = pl.col(name) if base is None else base.struct.field(name)
        dtype = fields[name]
        if k == len(parts):
            return expr, dtype
        if isinstance(dtype, pl.Struct):
            found = _resolve_struct_path(parts[k:], _fields(dtype), expr)
            if found is not None:
                return found
    return None


# ---------------------------------------------------------------------------
# Canonicalisation plan (shared by Parquet and JSONL)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """A per-row condition that makes a row bad."""

    field: str
    reason: str
    bad: pl.Expr
    value: pl.Expr | None = None
    """The offending source value, quoted in the error when the check raises."""


@dataclass
class _Plan:
    stage1: list[list[pl.Expr]]
    """Layers of temporary columns (decoded messages; conversions, derived values)."""
    exprs: list[pl.Expr]
    checks: list[_Check]
    available: frozenset[str]
    missing: list[str]
    decodes_json: bool = False

    def prepare(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Add the temporary columns the canonical expressions and checks refer to."""
        for layer in self.stage1:
            if layer:
                frame = frame.with_columns(layer)
        return frame

    def code(self) -> pl.Expr:
        """Index of the first check a row fails, null for a good row."""
        if not self.checks:
            return pl.lit(None, pl.Int32())
        expr: Any = pl
        for index, check in enumerate(self.checks):
            expr = expr.when(check.bad).then(pl.lit(index, pl.Int32()))
        return cast(pl.Expr, expr.otherwise(pl.lit(None, pl.Int32())))


def _dtype_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Struct):
        return "an object"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "a list"
    return f"type {dtype}"


def _is_textlike(dtype: pl.DataType) -> bool:
    return (
        dtype.is_numeric()
        or dtype.is_temporal()
        or isinstance(dtype, (pl.Boolean, pl.Categorical, pl.Enum))
    )


def _blank_to_null(text: pl.Expr) -> pl.Expr:
    stripped = text.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def _epoch_int(x: pl.Expr) -> pl.Expr:
    """Epoch seconds, or milliseconds when |x| > 1e11, to UTC microseconds."""
    in_range = x.abs() < 10**14
    x = x.clip(-(10**14), 10**14)  # both branches are evaluated: keep them from overflowing
    micros = pl.when(x.abs() > 10**11).then(x * 1_000).otherwise(x * 1_000_000)
    return (
        pl.when(in_range)
        .then(micros)
        .cast(pl.Int64)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    )


def _epoch_float(x: pl.Expr) -> pl.Expr:
    micros = pl.when(x.abs() > 1e11).then(x * 1e3).otherwise(x * 1e6)
    ok = x.is_finite() & (x.abs() < 1e14)
    return (
        pl.when(ok)
        .then(micros.round())
        .cast(pl.Int64, strict=False)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    )


def _timestamps_from_text(text: pl.Series) -> pl.Series:
    """RFC 3339 first; the other spellings are tried only on the values it left unparsed.

    As one expression, `coalesce` ran all five parsers over every value (and common
    subexpressions of a derived column were not shared); here a log of RFC 3339
    timestamps pays for one parser (measured 75 -> 22 ms per 73k rows).
    """
    kw: dict[str, Any] = {"time_unit": "us", "strict": False}
    rfc3339 = text.str.to_datetime("%+", time_zone="UTC", **kw)  # with offset or Z
    if rfc3339.null_count() == text.null_count():
        return rfc3339
    rest = pl.col("rest")
    tried = pl.DataFrame({"rfc3339": rfc3339, "text": text}).with_columns(
        rest=pl.when(pl.col("rfc3339").is_null()).then(pl.col("text"))
    )
    return tried.select(
        pl.coalesce(
            "rfc3339",
            rest.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_zone="UTC", **kw),  # naive → UTC
            rest.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC", **kw),
            rest.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            _epoch_float(rest.cast(pl.Float64, strict=False)),
        )
    ).to_series().alias(text.name)


def _parse_timestamp_text(text: pl.Expr) -> pl.Expr:
    return text.map_batches(_timestamps_from_text, return_dtype=TIMESTAMP_DTYPE, is_elementwise=True)


@dataclass(frozen=True)
class _Conversion:
    """A source column cast to its canonical dtype, and how to tell a bad value."""

    out: pl.Expr
    reason: str | None = None
    """Why a non-null source value that converts to null is bad; None: never bad."""
    given: pl.Expr | None = None
    """True where the source holds a value (blank text counts as no value)."""
    value: pl.Expr | None = None


def _wrong_type(source: pl.Expr, dtype: pl.DataType, expected: str) -> _Conversion:
    reason = f"expected {expected}, got {_dtype_name(dtype)}"
    return _Conversion(pl.lit(None), reason, source.is_not_null())


def _convert(
    source: pl.Expr, dtype: pl.DataType, target: pl.DataType, *, blocks: bool = False
) -> _Conversion:
    """Cast one source column to its canonical dtype.

    With `blocks`, a text column may also hold a list of {type, text} blocks (their
    text parts are joined, as for message content).
    """
    if isinstance(dtype, pl.Null):
        return _Conversion(pl.lit(None))
    if isinstance(target, pl.String):
        if isinstance(dtype, pl.String):
            return _Conversion(source)
        if _is_textlike(dtype):
            return _Conversion(source.cast(pl.String))
        if blocks:
            text = _message_text(source, dtype)
            if text is not None:
                return _Conversion(text)
        return _wrong_type(source, dtype, "text")

    given = _blank_to_null(source) if isinstance(dtype, pl.String) else source
    if isinstance(target, pl.Datetime):
        if isinstance(dtype, pl.String):
            out = _parse_timestamp_text(given)
        elif isinstance(dtype, pl.Datetime):
            zoned = (
                given.dt.replace_time_zone("UTC")
                if dtype.time_zone is None
                else given.dt.convert_time_zone("UTC")
            )
            out = zoned.cast(TIMESTAMP_DTYPE)
        elif isinstance(dtype, pl.Date):
            out = given.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        elif dtype.is_integer():
            out = _epoch_int(given.cast(pl.Int64, strict=False))
        elif dtype.is_numeric():
            out = _epoch_float(given.cast(pl.Float64, strict=False))
        else:
            return _wrong_type(source, dtype, "a timestamp")
        reason = (
            "not a timestamp (expected RFC 3339, 'YYYY-MM-DD HH:MM:SS' "
            "or epoch seconds/milliseconds)"
        )
    elif target.is_integer():
        if dtype.is_integer() or isinstance(dtype, pl.Boolean):
            out = given.cast(target, strict=False)
        elif dtype.is_numeric() or isinstance(dtype, pl.String):
            number = given.cast(pl.Float64, strict=False)
            whole: pl.Expr = pl.when(number == number.round()).then(number)
            if isinstance(dtype, pl.String):
                whole = pl.coalesce(given.cast(pl.Int64, strict=False), whole)
            out = whole.cast(target, strict=False)
        else:
            return _wrong_type(source, dtype, "an integer")
        reason = "not an integer" if target == pl.Int64 else f"not an integer in range for {target}"
    elif target.is_float():
        if dtype.is_numeric() or isinstance(dtype, (pl.String, pl.Boolean)):
            out = given.cast(pl.Float64, strict=False)
        else:
            return _wrong_type(source, dtype, "a number")
        reason = "not a number"
    else:  # pragma: no cover - the canonical schema has no other dtypes
        raise AssertionError(target)
    return _Conversion(out, reason, given.is_not_null(), source)


def _message_text(content: pl.Expr, dtype: pl.DataType | None) -> pl.Expr | None:
    """Text of one message's content: a string, or the text parts of a list of parts."""
    if dtype is None or isinstance(dtype, pl.Null):
        return None
    if isinstance(dtype, pl.String):
        return content
    if isinstance(dtype, pl.Struct):  # a single part
        fields = _fields(dtype)
        if isinstance(fields.get("text"), pl.String):
            return content.struct.field("text")
        return None
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        if isinstance(inner, pl.String):
            texts = content.list.drop_nulls()
        elif isinstance(inner, pl.Struct):
            fields = _fields(inner)
            if not isinstance(fields.get("text"), pl.String):
                return None
            part = pl.element()
            keep: pl.Expr = part.struct.field("text").is_not_null()
            if "type" in fields:
                kind = part.struct.field("type").cast(pl.String)
                keep = keep & (kind.is_null() | kind.is_in(_TEXT_PART_TYPES))
            texts = content.list.eval(part.filter(keep).struct.field("text"))
        else:
            return None
        return pl.when(texts.list.len() > 0).then(texts.list.join("\n"))
    return None


_IMAGE_PART_TYPES: Final = ["image_url", "image", "input_image"]
_TOOL_RESULT_PART_TYPES: Final = ["tool_result", "function_call_output"]
_TOOL_ROLES: Final = ["tool", "function"]


def _count_parts(messages: pl.Expr, content_dtype: pl.DataType | None, kinds: list[str]) -> pl.Expr | None:
    """How many content parts of the given types the request's messages hold."""
    if not (isinstance(content_dtype, pl.List) and isinstance(content_dtype.inner, pl.Struct)):
        return None
    if "type" not in _fields(content_dtype.inner):
        return None
    per_message = pl.element().struct.field("content").list.eval(
        pl.element().struct.field("type").cast(pl.String).is_in(kinds).cast(pl.Int32)
    ).list.sum()
    return messages.list.eval(per_message).list.sum()


def _derive_from_messages(messages: pl.Expr, dtype: pl.List) -> dict[str, pl.Expr]:
    """prompt (last user turn), system (system-role text), n_turns (user turns), and the
    counts of image parts and tool results (kept out of the text)."""
    fields = _fields(cast(pl.Struct, dtype.inner))
    message = pl.element()
    role = message.struct.field("role").cast(pl.String).str.to_lowercase()
    is_user = role == "user"
    is_system = role.is_in(_SYSTEM_ROLES)

    content_dtype = fields.get("content")
    derived = {"n_turns": messages.list.eval(is_user.cast(pl.Int32)).list.sum()}
    images = _count_parts(messages, content_dtype, _IMAGE_PART_TYPES)
    tool_parts = _count_parts(messages, content_dtype, _TOOL_RESULT_PART_TYPES)
    tool_messages = messages.list.eval(role.is_in(_TOOL_ROLES).cast(pl.Int32)).list.sum()
    derived["n_images"] = images if images is not None else pl.lit(0, dtype=pl.Int32)
    derived["n_tool_results"] = tool_messages + tool_parts if tool_parts is not None else tool_messages
    if _message_text(pl.element(), content_dtype) is None:
        return derived  # no text in these messages: prompt and system stay null

    def text_of(selected: pl.Expr) -> pl.Expr:
        return cast(pl.Expr, _message_text(selected.struct.field("content"), content_dtype))

    # The last user message's text (null when it has none, e.g. only an image).
    derived["prompt"] = messages.list.eval(text_of(message.filter(is_user))).list.last()
    system_texts = messages.list.eval(text_of(message.filter(is_system)).drop_nulls())
    derived["system"] = pl.when(system_texts.list.len() > 0).then(system_texts.list.join("\n"))
    return derived


def _is_messages_dtype(dtype: pl.DataType) -> bool:
    return (
        isinstance(dtype, pl.List)
        and isinstance(dtype.inner, pl.Struct)
        and any(f.name == "role" for f in dtype.inner.fields)
    )


def _build_plan(
    specs: _Specs,
    columns: Mapping[str, tuple[pl.Expr, pl.DataType]],
    present: set[str],
    extra_checks: Sequence[_Check] = (),
) -> _Plan:
    """Canonicalising expressions over `columns` (spec → (expr, dtype)).

    Conversions are computed once, as temporary columns (`stage1`); the canonical
    columns and the per-row checks then refer to those.
    """
    decoded: list[pl.Expr] = []
    stage1: dict[str, pl.Expr] = {}

    def temp(key: str, expr: pl.Expr) -> pl.Expr:
        stage1[key] = expr.alias(key)
        return pl.col(key)

    checks: list[_Check] = list(extra_checks)
    available: set[str] = set()
    missing: list[str] = []
    decodes_json = False

    derived_parts: dict[str, list[pl.Expr]] = {}
    messages_present = False
    for index, mspec in enumerate(specs.messages):
        if mspec not in columns:
            continue
        messages_present = messages_present or mspec in present
        suffix = str(index) if index else ""
        mexpr, mdtype = columns[mspec]
        if isinstance(mdtype, pl.String):
            # JSON-encoded messages (a Parquet string column): decode lazily, once.
            if mspec in specs.loose_messages:
                mexpr = _loose_messages(mexpr)
            rewritten = mexpr.str.replace_all(_STRING_CONTENT_RE, _STRING_CONTENT_TO_PARTS)
            name = f"__messages{suffix}"
            decoded.append(rewritten.str.json_decode(_MESSAGES_DTYPE).alias(name))
            mexpr = pl.col(name)
            mdtype = _MESSAGES_DTYPE
            decodes_json = True
        if _is_messages_dtype(mdtype):
            for key, expr in _derive_from_messages(mexpr, cast(pl.List, mdtype)).items():
                derived_parts.setdefault(key, []).append(temp(f"__derived{suffix}_{key}", expr))
        elif not isinstance(mdtype, pl.Null):
            reason = f"expected a list of {{role, content}} messages, got {_dtype_name(mdtype)}"
            checks.append(_Check(MESSAGES_COLUMN, reason, mexpr.is_not_null()))

    converted: dict[str, list[pl.Expr]] = {}
    for name, target in CANONICAL_SCHEMA.items():
        for index, spec in enumerate(specs.canonical[name]):
            if spec not in columns:
                continue
            suffix = str(index) if index else ""
            expr, dtype = columns[spec]
            conversion = _convert(expr, dtype, target, blocks=name in specs.text_blocks)
            out = temp(f"__converted{suffix}_{name}", conversion.out)
            converted.setdefault(name, []).append(out)
            if conversion.reason is not None and conversion.given is not None:
                given = temp(f"__given{suffix}_{name}", conversion.given)
                checks.append(
                    _Check(name, conversion.reason, given & out.is_null(), conversion.value)
                )

    def has_own(name: str) -> bool:
        return any(spec in present for spec in specs.canonical[name])

    exprs: list[pl.Expr] = []
    final: dict[str, pl.Expr] = {}
    for name, target in CANONICAL_SCHEMA.items():
        parts: list[pl.Expr] = []
        if name in converted:
            parts.extend(converted[name])
            if has_own(name):
                available.add(name)
        if name in derived_parts:
            parts.extend(derived_parts[name])
            if messages_present:
                available.add(name)
        if name == "n_turns" and "turn" in converted:
            parts.extend(converted["turn"])
            if has_own("turn"):
                available.add(name)
        if not parts:
            expr = pl.lit(None)
        elif len(parts) == 1:
            expr = parts[0]
        else:
            expr = pl.coalesce(parts)
        expr = expr.cast(target, strict=False).alias(name)
        final[name] = expr
        exprs.append(expr)

    for name in ("account_id", "timestamp", "prompt"):
        found = has_own(name)
        if name == "prompt" and name not in specs.explicit:
            found = found or messages_present
        if not found:
            missing.append(name)

    account_id = final["account_id"]
    checks.append(
        _Check(
            "account_id",
            "account id is missing or empty" + specs.hint("account_id"),
            account_id.is_null() | (account_id.str.strip_chars() == ""),
        )
    )
    checks.append(
        _Check(
            "timestamp",
            "timestamp is missing" + specs.hint("timestamp"),
            final["timestamp"].is_null(),
        )
    )
    return _Plan(
        [decoded, list(stage1.values())], exprs, checks, frozenset(available), missing, decodes_json
    )


def _missing_message(specs: _Specs, name: str, found: Sequence[str]) -> str:
    shown = ", ".join(found[:30]) + (", …" if len(found) > 30 else "") if found else "none"
    spec = "' or '".join(specs.canonical[name])
    how = f"--map {name}=SOURCE"
    if name == "prompt":
        how += " or --map messages=SOURCE"
    hint = f"(columns found: {shown}; map one with {how})"
    if name in specs.explicit:
        return f"missing required column '{name}': mapped source '{spec}' not found {hint}"
    return f"missing required column '{name}' {hint}{specs.hint(name)}"


def _loose_messages(text: pl.Expr) -> pl.Expr:
    """Messages text from a value that may also be a plain prompt (one user turn) or an
    object holding `messages`; an object without them gives null (no messages)."""
    head = text.str.strip_chars_start().str.slice(0, 1)
    as_user_turn = pl.concat_str(
        pl.lit('[{"role":"user",'), pl.struct(content=text).struct.json_encode().str.slice(1),
        pl.lit("]"),
    )
    return (
        pl.when(text.is_null())
        .then(pl.lit(None, pl.String()))
        .when(head == "[")
        .then(text)
        .when(head == "{")
        .then(text.str.json_path_match("$.messages"))
        .otherwise(as_user_turn)
    )


def _empty_frame() -> pl.LazyFrame:
    return pl.LazyFrame(schema=CANONICAL_SCHEMA)


def _quote(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


# ---------------------------------------------------------------------------
# Shards
# ---------------------------------------------------------------------------


class _SkipFile(Exception):
    """A whole file cannot be read (raised inside readers, turned into a record)."""

    def __init__(self, error: InputError, rows: int | None) -> None:
        super().__init__(error.describe())
        self.error = error
        self.rows = rows


def iter_shards(
    sources: Sequence[LogSource],
    *,
    column_map: Mapping[str, str] = _NO_MAP,
    skip_errors: bool = False,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    preset: Preset | None = None,
    decode_all: bool = False,
) -> Iterator[Shard]:
    """Read sources as canonical shards, streaming.

    `preset` says where each canonical column is found (default: the native schema);
    `column_map` entries override it. Without `skip_errors` the first bad file, line or row raises InputError; with it,
    they are dropped and recorded in the shard's `skipped`. With `decode_all`, the
    Parquet checking pass decodes every column it maps, not only the checked ones, so
    a damaged row group anywhere is found and located here (see `rowgroups`); scans
    use it to re-read a file whose later read failed.
    """
    if batch_bytes < 1:
        raise UsageError(f"batch size must be positive, got {batch_bytes}")
    specs = _Specs.build(column_map, preset)
    for source in sources:
        reader = _parquet_shards if source.format == "parquet" else _jsonl_shards
        if decode_all and source.format == "parquet":
            reader = functools.partial(_parquet_shards, decode_all=True)
        try:
            yield from reader(source, specs, skip_errors, batch_bytes)
        except _SkipFile as skipped:
            if not skip_errors:
                raise skipped.error from None
            error = skipped.error
            rows = skipped.rows
            reason = error.reason if rows is not None else f"{error.reason} (row count unknown)"
            record = SkippedInput(
                source.path,
                reason,
                line=error.line,
                row=error.row,
                field=error.field,
                rows=rows or 0,
            )
            yield Shard(source, _empty_frame(), rows or 0, (record,), frozenset())


def load_frame(
    paths: Sequence[str],
    *,
    fmt: Format | None = None,
    column_map: Mapping[str, str] = _NO_MAP,
    skip_errors: bool = False,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    preset: Preset | None = None,
) -> tuple[pl.DataFrame, LoadReport]:
    """Discover, read and concatenate everything (for tests and small inputs)."""
    sources = discover_sources(paths, fmt)
    frames: list[pl.DataFrame] = []
    rows_in = 0
    records: list[SkippedInput] = []
    available: set[str] = set()
    for shard in iter_shards(
        sources,
        column_map=column_map,
        skip_errors=skip_errors,
        batch_bytes=batch_bytes,
        preset=preset,
    ):
        frames.append(shard.frame.collect())
        rows_in += shard.rows_in
        records.extend(shard.skipped)
        available |= shard.available
    frame = pl.concat(frames, how="vertical") if frames else _empty_frame().collect()
    skipped = merge_skipped(records)
    rows_skipped = sum(record.rows for record in skipped)
    report = LoadReport(
        files=tuple(source.path for source in sources),
        rows_in=rows_in,
        rows_read=frame.height,
        rows_skipped=rows_skipped,
        skipped=skipped,
        available=frozenset(available),
    )
    return frame, report


_SAMPLE_ROWS: Final = 200


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
    if source.path != STDIN_PATH and not _is_regular_file(source.path):
        return []
    try:
        if source.format == "parquet":
            return _parquet_fields(source.path)
        if source.path == STDIN_PATH:
            head = _decompressed_head(_STDIN.peek(lambda raw: _enough_lines(
                _decompressed_head(raw), rows)))
        else:
            head = _jsonl_head(source, rows)
    except (_SkipFile, _StreamError, OSError, pl.exceptions.PolarsError):
        return []
    return _fields_of(_sample_objects(head.removeprefix(_BOM), rows))


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


_HEAD_BYTES: Final = _SNIFF_BYTES * 256
"""A sample reads this much, or more until it holds one whole line (OTLP envelopes
can be long), but never more than `_HEAD_MAX_BYTES`."""
_HEAD_MAX_BYTES: Final = 64 << 20


def _enough_lines(head: bytes, rows: int) -> bool:
    newlines = head.count(b"\n")
    return newlines >= rows or (newlines > 0 and len(head) >= _HEAD_BYTES)


def _jsonl_head(source: LogSource, rows: int) -> bytes:
    parts: list[bytes] = []
    size = newlines = 0
    chunks = _decompressed_chunks(source, _READ_CHUNK)
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


def _decompressed_head(raw: bytes) -> bytes:
    """The text a file's first (possibly compressed) bytes decompress to, as far as they go."""
    try:
        if raw.startswith(_GZIP_MAGIC):
            return zlib.decompressobj(wbits=31).decompress(raw)
        if raw.startswith(_ZSTD_MAGIC):
            return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    except (zlib.error, zstandard.ZstdError):
        return b""
    return raw


class _StdinReplay:
    """The first bytes of standard input, read to detect the log's format and replayed
    to the reader so that nothing is lost. Kept for one stream object (tests and
    embedding callers swap `sys.stdin`)."""

    def __init__(self) -> None:
        self._stream: object | None = None
        self._head = b""

    def peek(self, enough: Callable[[bytes], bool]) -> bytes:
        """Read (and keep) stdin's raw bytes until `enough` of them, EOF or the cap."""
        stream = sys.stdin.buffer
        if self._stream is not stream:
            self._stream, self._head = stream, b""
        size = _READ_CHUNK
        while len(self._head) < _HEAD_MAX_BYTES and not enough(self._head):
            chunk = stream.read(size)  # doubling: `enough` looks at the whole head each time
            if not chunk:
                break
            self._head += chunk
            size *= 2
        return self._head

    def open(self) -> IO[bytes]:
        """Standard input, with what was peeked put back in front (once)."""
        stream = sys.stdin.buffer
        head = self._head if self._stream is stream else b""
        self._stream, self._head = None, b""
        return cast(IO[bytes], _Prefixed(head, stream)) if head else stream


_STDIN: Final = _StdinReplay()


def _parquet_fields(path: str) -> list[str]:
    out: dict[str, None] = {}

    def walk(fields: Mapping[str, pl.DataType], prefix: str) -> None:
        for name, dtype in fields.items():
            out[prefix + name] = None
            if isinstance(dtype, pl.Struct):
                walk(_fields(dtype), prefix + name + ".")

    schema = pl.scan_parquet(path, hive_partitioning=False, glob=False).collect_schema()
    walk({name: _dtype(dt) for name, dt in schema.items()}, "")
    return list(out)


def merge_skipped(records: Iterable[SkippedInput]) -> tuple[SkippedInput, ...]:
    """Group records per (file, reason, field): first location kept, rows summed."""
    merged: dict[tuple[str, str, str | None], SkippedInput] = {}
    for record in records:
        key = (record.path, record.reason, record.field)
        previous = merged.get(key)
        if previous is None:
            merged[key] = record
        else:
            merged[key] = SkippedInput(
                previous.path,
                previous.reason,
                line=previous.line if previous.line is not None else record.line,
                row=previous.row if previous.row is not None else record.row,
                field=previous.field,
                rows=previous.rows + record.rows,
            )
    return tuple(merged.values())


# ---------------------------------------------------------------------------
# Parquet
# ---------------------------------------------------------------------------


def _polars_message(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return first if len(first) <= 200 else first[:197] + "…"


def _parquet_shards(
    source: LogSource, specs: _Specs, skip_errors: bool, batch_bytes: int, decode_all: bool = False
) -> Iterator[Shard]:
    path = source.path
    try:
        scan = pl.scan_parquet(path, hive_partitioning=False, glob=False)
        schema = scan.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _SkipFile(
            InputError(path, f"not a readable Parquet file: {_polars_message(error)}"), None
        ) from None

    columns: dict[str, tuple[pl.Expr, pl.DataType]] = {}
    for spec in specs.all():
        found = _resolve_struct_path(
            spec.split("."), {name: _dtype(dt) for name, dt in schema.items()}, None
        )
        if found is not None:
            columns[spec] = found
    plan = _build_plan(specs, columns, set(columns))
    if plan.missing:
        name = plan.missing[0]
        missing = InputError(path, _missing_message(specs, name, schema.names()), field=name)
        raise _SkipFile(missing, _parquet_row_count(scan))

    code = plan.code().alias("__code")
    aggregations: list[pl.Expr] = [pl.len().cast(pl.Int64).alias("__rows")]
    for index in range(len(plan.checks)):
        is_this = pl.col("__code") == index
        aggregations.append(is_this.sum().cast(pl.Int64).alias(f"__count{index}"))
        aggregations.append(
            pl.col(ROW_NUMBER).filter(is_this).min().cast(pl.Int64).alias(f"__first{index}")
        )
    touched = [pl.col(ROW_NUMBER), code]
    if plan.decodes_json:
        # Decode JSON messages here, so a bad one is an input error now, not a crash later.
        touched.extend(
            pl.col(name).is_null().alias(f"__decoded{index}")
            for index, name in enumerate(e.meta.output_name() for e in plan.stage1[0])
        )
    if decode_all:
        for index, (expr, _) in enumerate(columns.values()):
            touched.append(expr.is_null().alias(f"__read{index}"))
            aggregations.append(pl.col(f"__read{index}").sum().alias(f"__read{index}"))

    def check(rows: pl.LazyFrame) -> dict[str, Any]:
        """One streaming pass: row count, and count and first row of each failed check."""
        return (
            plan.prepare(rows).select(touched).select(aggregations).collect(engine="streaming").row(0, named=True)
        )

    numbered = scan.with_row_index(ROW_NUMBER)
    damaged: list[Damage] = []
    try:
        stats = check(numbered)
    except (pl.exceptions.PolarsError, OSError) as error:
        reason = f"cannot read Parquet data: {_polars_message(error)}"
        if plan.decodes_json and "json" in str(error).lower():
            reason = f"cannot decode JSON messages: {_polars_message(error)}"
            raise _SkipFile(
                InputError(path, reason, field=MESSAGES_COLUMN), _parquet_row_count(scan)
            ) from None
        groups, damaged = _damaged_row_groups(path, scan, check)
        if not damaged:
            raise _SkipFile(InputError(path, reason), _parquet_row_count(scan)) from None
        if not skip_errors:
            group = damaged[0].group
            raise InputError(
                path, f"cannot read Parquet data: {damaged[0].reason}",
                row=group.first_row, last_row=group.last_row, row_group=group.index,
            ) from None
        numbered = readable_rows(scan, groups, damaged)
        try:
            stats = check(numbered)
        except (pl.exceptions.PolarsError, OSError):
            raise _SkipFile(InputError(path, reason), _parquet_row_count(scan)) from None

    rows_in = int(stats["__rows"]) + sum(damage.group.rows for damage in damaged)
    bad = [
        (int(stats[f"__first{i}"]), i, int(stats[f"__count{i}"]))
        for i in range(len(plan.checks))
        if stats[f"__count{i}"]
    ]
    skipped = [
        SkippedInput(
            path, f"{damage.group.describe()} cannot be read: {damage.reason}",
            row=damage.group.first_row, rows=damage.group.rows,
        )
        for damage in damaged
    ]
    frame = plan.prepare(numbered if damaged else scan)
    if bad:
        if not skip_errors:
            first_row, index, _ = min(bad)
            check = plan.checks[index]
            detail = ""
            if check.value is not None:
                value = plan.prepare(scan.slice(first_row, 1)).select(check.value).collect().item()
                detail = f": {_quote(value)}"
            raise InputError(path, check.reason + detail, row=first_row, field=check.field)
        for first_row, index, count in sorted(bad):
            check = plan.checks[index]
            skipped.append(
                SkippedInput(path, check.reason, row=first_row, field=check.field, rows=count)
            )
        frame = frame.filter(plan.code().is_null())
    yield Shard(source, frame.select(plan.exprs), rows_in, tuple(skipped), plan.available)


def _damaged_row_groups(
    path: str, scan: pl.LazyFrame, check: Callable[[pl.LazyFrame], object]
) -> tuple[list[RowGroup], list[Damage]]:
    """The file's row groups and those that fail `check` read alone ([] if unknown)."""
    try:
        groups = row_groups(path)
    except (OSError, ArrowException):
        return [], []

    def probe(first: int, rows: int) -> object:
        return check(scan.slice(first, rows).with_row_index(ROW_NUMBER, offset=first))

    return groups, unreadable_row_groups(groups, probe, _polars_message)


def _parquet_row_count(scan: pl.LazyFrame) -> int | None:
    try:
        return int(scan.select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError):
        return None


# ---------------------------------------------------------------------------
# JSONL: bytes → line batches
# ---------------------------------------------------------------------------

_READ_CHUNK: Final = 1 << 20
_ZSTD_INPUT_CHUNK: Final = 1 << 17


class _StreamError(Exception):
    """The byte stream failed part-way (truncated or corrupt compression, I/O error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Prefixed:
    """A read-only stream that replays `head` before the rest of `raw`."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._raw.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._raw.read(size)


def _read_at_least(raw: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = raw.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _open_stream(source: LogSource) -> tuple[IO[bytes], bool]:
    if source.path == STDIN_PATH:
        return _STDIN.open(), False
    try:
        return open(source.path, "rb"), True
    except OSError as error:
        raise _SkipFile(
            InputError(source.path, f"cannot open: {error.strerror or error}"), None
        ) from None


def _decompressed_chunks(source: LogSource, chunk_size: int) -> Generator[bytes, None, None]:
    """The file's bytes, decompressed (gzip/zstd detected from magic bytes)."""
    raw, owned = _open_stream(source)
    try:
        try:
            head = _read_at_least(raw, 4)
        except OSError as error:
            raise _StreamError(f"read error: {error.strerror or error}") from None
        if head.startswith(_PARQUET_MAGIC):
            where = "standard input" if source.path == STDIN_PATH else "this file"
            raise _SkipFile(
                InputError(
                    source.path, f"{where} holds Parquet, not JSONL; pass it as a Parquet file path"
                ),
                None,
            )
        stream = _Prefixed(head, raw)
        if head.startswith(_GZIP_MAGIC):
            yield from _gzip_chunks(stream, chunk_size)
        elif head.startswith(_ZSTD_MAGIC):
            yield from _zstd_chunks(stream, chunk_size)
        else:
            try:
                while chunk := stream.read(chunk_size):
                    yield chunk
            except OSError as error:
                raise _StreamError(f"read error: {error.strerror or error}") from None
    finally:
        if owned:
            raw.close()


def _gzip_chunks(stream: _Prefixed, chunk_size: int) -> Iterator[bytes]:
    reader = gzip.GzipFile(fileobj=cast(IO[bytes], stream), mode="rb")
    try:
        while chunk := reader.read(chunk_size):
            yield chunk
    except EOFError:
        raise _StreamError("gzip data is cut short (truncated file?)") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise _StreamError(f"corrupt gzip data: {error}") from None
    except OSError as error:
        raise _StreamError(f"read error: {error.strerror or error}") from None


def _zstd_chunks(stream: _Prefixed, chunk_size: int) -> Iterator[bytes]:
    # zstandard's stream_reader returns short data on a truncated frame without an
    # error, so frames are decoded with decompressobj and their end checked.
    dctx = zstandard.ZstdDecompressor()
    decoder = dctx.decompressobj()
    in_frame = False
    try:
        while True:
            data = stream.read(_ZSTD_INPUT_CHUNK)
            if not data:
                if in_frame:
                    raise _StreamError("zstd data is cut short (truncated file?)")
                return
            while data:
                in_frame = True
                out = decoder.decompress(data)
                for start in range(0, len(out), chunk_size):
                    yield out[start : start + chunk_size]
                if decoder.eof:
                    data = decoder.unused_data
                    decoder = dctx.decompressobj()
                    in_frame = False
                else:
                    data = b""
    except zstandard.ZstdError as error:
        raise _StreamError(f"corrupt zstd data: {error}") from None
    except OSError as error:
        raise _StreamError(f"read error: {error.strerror or error}") from None


@dataclass
class _Batch:
    data: bytes
    first_line: int
    line_numbers: list[int] | None = None
    """Input line of each non-blank line of `data`, when they are not consecutive (an
    expanded OTLP envelope gives one line per span, all numbered as the envelope)."""
    selected: bool = False
    """Lines hold every spec as a top-level key (an expanded batch): no raw paths."""


def _line_batches(
    chunks: Iterator[bytes], batch_bytes: int
) -> Generator[_Batch | _StreamError, None, None]:
    """Batches of whole lines, about batch_bytes each; a stream failure comes last."""
    parts: list[bytes] = []
    size = 0
    line = 1
    no_newline = 0  # parts[:no_newline] are known to hold no newline
    failure: _StreamError | None = None
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
            yield _Batch(batch, line)
            line += batch.count(b"\n")
            parts = [rest, *parts[index + 1 :]] if rest else parts[index + 1 :]
            size = sum(len(part) for part in parts)
    except _StreamError as error:
        failure = error
    buffer = b"".join(parts)
    if failure is not None:
        # Salvage the whole lines read before the failure; the partial line is lost.
        cut = buffer.rfind(b"\n")
        if cut >= 0:
            yield _Batch(buffer[: cut + 1], line)
            line += buffer.count(b"\n", 0, cut + 1)
        yield _StreamError(f"{failure.reason}; nothing after line {line - 1} could be read")
    elif buffer:
        yield _Batch(buffer, line)


# ---------------------------------------------------------------------------
# JSONL: batch → canonical shard
# ---------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


_JSON_KIND: Final = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def _diagnose_line(raw: bytes) -> tuple[str, str, dict[str, Any] | None]:
    """(reason for grouping, detail, parsed object): reason is '' for a good line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return "invalid UTF-8", f" (byte {error.start + 1} of the line)", None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        return f"malformed JSON: {error.msg}", f" (column {error.colno})", None
    except ValueError as error:
        return f"malformed JSON: {error}", "", None
    except RecursionError:
        return "malformed JSON: nested too deeply", "", None
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_KIND.get(type(value), type(value).__name__)
        return f"expected a JSON object, got {kind}", "", None
    return "", "", value


def _nonblank_line_numbers(data: bytes, first_line: int) -> list[int]:
    return [first_line + i for i, raw in enumerate(data.split(b"\n")) if raw.strip()]


def _sample_objects(data: bytes, limit: int = 1000) -> list[dict[str, Any]]:
    """The JSON objects on the first lines of a batch (error messages only)."""
    objects: list[dict[str, Any]] = []
    for raw in data.split(b"\n"):
        if len(objects) >= limit:
            break
        if raw.strip():
            value = _diagnose_line(raw)[2]
            if value is not None:
                objects.append(value)
    return objects


def _has_path(value: Any, parts: list[str]) -> bool:
    """Whether a spec names a key in this object, as `_raw_spec_expr` would find it."""
    if not isinstance(value, dict):
        return False
    for k in range(len(parts), 0, -1):
        name = ".".join(parts[:k])
        if name in value and (k == len(parts) or _has_path(value[name], parts[k:])):
            return True
    return False


class _Groups:
    """Skipped records of one batch, grouped by (reason, field)."""

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


_PARSE_ERRORS: Final = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)


def _read_ndjson(data: bytes, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.read_ndjson(data, schema=schema)


# `read_ndjson` with a String schema turns a nested value (such as `messages`) into
# JSON text, but escapes only quotes, newlines and carriage returns: backslashes and
# control characters come out raw (pola-rs/polars#26574), so the text is wrong or not
# JSON at all. That only happens when the line holds one of the escapes below, so just
# those rows are taken again from the raw line with `json_path_match` (which writes
# correct JSON), as are dotted paths (`user.id`) always.
_LOSSY_ESCAPE: Final = r"\\[\\tbf]|\\u00[01][0-9a-fA-F]|\\u005[cC]|\\u[dD][89abAB]"
_LOSSY_ESCAPE_BYTES: Final = re.compile(_LOSSY_ESCAPE.encode())


def _raw_lines(data: bytes) -> pl.Series:
    """The non-blank lines of a batch that parsed whole: one per row, in order."""
    lines = pl.Series("line", data.split(b"\n"), dtype=pl.Binary).cast(pl.String)
    return lines.filter(lines.str.strip_chars() != "")


def _segmentations(parts: list[str]) -> list[list[str]]:
    """Every way to read `a.b.c` as nested keys (`a.b.c`, `a.b`/`c`, `a`/`b.c`, ...):
    a flat key holding dots (an OpenTelemetry attribute) may sit at any level.
    Longer leading keys come first, as in `_resolve_struct_path`."""
    if len(parts) > 8:  # 2**(n-1) readings: keep the old, linear ones for deep paths
        return [[".".join(parts[:k]), *parts[k:]] for k in range(len(parts), 0, -1)]
    out: list[list[str]] = []
    for k in range(len(parts), 0, -1):
        head = ".".join(parts[:k])
        if k == len(parts):
            out.append([head])
        else:
            out.extend([head, *rest] for rest in _segmentations(parts[k:]))
    return out


def _raw_spec_expr(line: pl.Expr, spec: str) -> pl.Expr:
    """`spec` looked up in the raw JSON line: the exact key first, then nested paths."""
    candidates: list[pl.Expr] = []
    for keys in _segmentations(spec.split(".")):
        if any("'" in key or "\\" in key for key in keys):
            continue  # not expressible as a JSON path
        candidates.append(line.str.json_path_match("$" + "".join(f"['{key}']" for key in keys)))
    if not candidates:
        return pl.lit(None, pl.String())
    return candidates[0] if len(candidates) == 1 else pl.coalesce(candidates)


def _mentions_key(data: bytes, spec: str) -> bool:
    """Whether the batch may hold a key the spec can resolve to (false positives are ok)."""
    parts = spec.split(".")
    for k in range(1, len(parts) + 1):
        key = ".".join(parts[:k])
        if not key.isascii() or '"' in key or "\\" in key:
            return True  # may be written escaped: look in every line
        if b'"' + key.encode() + b'"' in data:
            return True
    return False


@dataclass
class _Parsed:
    frame: pl.DataFrame
    rows_in: int
    """Input rows covered: rows parsed plus bad lines recorded."""
    line_numbers: list[int] | None = None
    """Line of each row; None when every non-blank line became a row."""
    lines: list[bytes] | None = None
    """The text of each row's line, when already split (error path)."""


class _JsonlFile:
    """Turns the line batches of one JSONL source into shards."""

    def __init__(self, source: LogSource, specs: _Specs, skip_errors: bool) -> None:
        self.source = source
        self.path = source.path
        self.specs = specs
        self.skip_errors = skip_errors
        self.schema = specs.jsonl_read_schema()
        self.raw_specs = specs.jsonl_raw_specs()
        self.selected_schema = {spec: pl.String() for spec in specs.all()}
        self.required_checked = False

    # -- parsing ------------------------------------------------------------

    def parse(self, batch: _Batch, groups: _Groups) -> _Parsed:
        """The batch's rows; on the error path, bad lines are raised or recorded."""
        schema = self.selected_schema if batch.selected else self.schema
        try:
            frame = _read_ndjson(batch.data, schema)
            return _Parsed(frame, frame.height + groups.rows(), batch.line_numbers)
        except _PARSE_ERRORS:
            pass
        # Error path: find the bad lines, one by one.
        good: list[bytes] = []
        numbers: list[int] = []
        given = iter(batch.line_numbers) if batch.line_numbers is not None else None
        for index, raw in enumerate(batch.data.split(b"\n")):
            if not raw.strip():
                continue
            number = batch.first_line + index if given is None else next(given)
            reason, detail, _ = _diagnose_line(raw)
            if reason:
                self.bad_line(groups, reason, detail, number)
            else:
                good.append(raw)
                numbers.append(number)
        try:
            frame = _read_ndjson(b"\n".join(good), schema)
        except _PARSE_ERRORS:
            # Python's parser took a line Polars refuses: find it with Polars.
            kept: list[bytes] = []
            kept_numbers: list[int] = []
            for raw, number in zip(good, numbers, strict=True):
                try:
                    _read_ndjson(raw, schema)
                except _PARSE_ERRORS as error:
                    self.bad_line(groups, f"malformed JSON: {_polars_message(error)}", "", number)
                    continue
                kept.append(raw)
                kept_numbers.append(number)
            good, numbers = kept, kept_numbers
            try:
                frame = _read_ndjson(b"\n".join(good), schema)
            except _PARSE_ERRORS as error:  # pragma: no cover - every line parsed alone
                raise InputError(
                    self.path,
                    f"cannot parse lines: {_polars_message(error)}",
                    line=batch.first_line,
                ) from None
        return _Parsed(frame, len(good) + groups.rows(), numbers, good)

    def with_raw_specs(
        self, frame: pl.DataFrame, data: bytes, lines: list[bytes] | None, selected: bool = False
    ) -> pl.DataFrame:
        """Add the dotted-path columns and repair nested text, both from the raw lines
        (`selected`: the lines hold every spec as a top-level key, read already)."""
        raw_specs = [] if selected else self.raw_specs
        wanted = [spec for spec in raw_specs if _mentions_key(data, spec)]
        absent = [pl.lit(None, pl.String()).alias(s) for s in raw_specs if s not in wanted]
        # Only message columns that hold something can need repairing (a column the
        # schema asked for but no line has is all null).
        mspecs = [
            spec for spec in self.specs.messages
            if spec in frame.columns and frame.get_column(spec).null_count() < frame.height
        ]
        repair = bool(mspecs) and _LOSSY_ESCAPE_BYTES.search(data) is not None
        if wanted or repair:
            if lines is None:
                text = _raw_lines(data)
            else:
                text = pl.Series("line", lines, dtype=pl.Binary).cast(pl.String)
            if text.len() != frame.height:  # pragma: no cover - rows and lines pair up
                raise AssertionError("JSONL rows and lines do not pair up")
            if wanted:
                found = pl.DataFrame({"line": text}).select(
                    _raw_spec_expr(pl.col("line"), spec).alias(spec) for spec in wanted
                )
                frame = pl.concat([frame, found], how="horizontal")
            if repair:
                rows = text.str.contains(_LOSSY_ESCAPE).arg_true()
                for mspec in mspecs if not rows.is_empty() else []:
                    fixed = pl.DataFrame({"line": text.gather(rows)}).select(
                        _raw_spec_expr(pl.col("line"), mspec)
                    )
                    repaired = frame.get_column(mspec).clone().scatter(rows, fixed.to_series())
                    frame = frame.with_columns(repaired)
        return frame.with_columns(absent) if absent else frame

    def bad_line(
        self, groups: _Groups, reason: str, detail: str, line: int, field: str | None = None
    ) -> None:
        if not self.skip_errors:
            raise InputError(self.path, reason + detail, line=line, field=field)
        groups.add(reason, field, line)

    def expand(self, batch: _Batch, groups: _Groups) -> _Batch:
        """The batch with each OTLP envelope line replaced by its GenAI span records,
        every record reduced to the specs (see `otlp.expand_lines`)."""
        expanded = otlp.expand_lines(batch.data, batch.first_line, self.specs.all())
        for line, path, reason in expanded.errors:
            self.bad_line(groups, f"malformed OTLP envelope: {reason}", "", line, path)
        return _Batch(expanded.data, batch.first_line, expanded.line_numbers, selected=True)

    # -- canonicalising -----------------------------------------------------

    def shard(self, batch: _Batch) -> Shard | None:
        groups = _Groups(self.path)
        if self.specs.envelope == "otlp":
            # Also for flat spans: picking their many dotted paths in Python, once per
            # line, is far cheaper than matching every path against every line.
            batch = self.expand(batch, groups)
            if not batch.data:  # no GenAI spans, or only malformed envelopes
                rows = groups.rows()
                return Shard(self.source, _empty_frame(), rows, groups.records(),
                             frozenset()) if rows else None
        parsed = self.parse(batch, groups)
        raw, rows_in, line_numbers = parsed.frame, parsed.rows_in, parsed.line_numbers
        if raw.height == 0:
            if rows_in == 0:
                return None
            return Shard(self.source, _empty_frame(), rows_in, groups.records(), frozenset())

        specs = self.specs
        sources = self.with_raw_specs(raw, batch.data, parsed.lines, batch.selected)
        present = {name for name in sources.columns if sources[name].null_count() < sources.height}

        extra_checks: list[_Check] = []
        for index, mspec in enumerate(specs.messages):
            if mspec not in present:
                continue
            loose = mspec in specs.loose_messages
            if loose:
                sources = sources.with_columns(_loose_messages(pl.col(mspec)).alias(mspec))
            decoded, bad = _decode_messages(sources, mspec, loose)
            sources = sources.with_columns(decoded.alias(mspec))
            if bad is not None:
                sources = sources.with_columns(bad.alias(f"__messages_bad{index}"))
                extra_checks.append(
                    _Check(
                        MESSAGES_COLUMN,
                        "expected a list of {role, content} messages",
                        pl.col(f"__messages_bad{index}"),
                    )
                )
        for spec in specs.block_specs():
            if spec in present and sources.schema[spec] == pl.String():
                sources = sources.with_columns(_decode_text_blocks(sources.get_column(spec)))

        def plan_for(present: set[str]) -> _Plan:
            columns = {
                spec: (pl.col(spec), sources.schema[spec])
                for spec in specs.all()
                if spec in present
            }
            return _build_plan(specs, columns, present, extra_checks)

        plan = plan_for(present)

        if not self.required_checked:
            if plan.missing:
                # A key that is there but null throughout this batch is not missing.
                objects = _sample_objects(batch.data)
                found = list(dict.fromkeys(key for obj in objects for key in obj))

                def seen(spec: str) -> bool:
                    return any(_has_path(obj, spec.split(".")) for obj in objects)

                for name in plan.missing:
                    found_specs = [spec for spec in specs.canonical[name] if seen(spec)]
                    if not found_specs and name == "prompt" and name not in specs.explicit:
                        found_specs = [spec for spec in specs.messages if seen(spec)]
                    present.update(found_specs)
                plan = plan_for(present)
                if plan.missing:
                    name = plan.missing[0]
                    first = (line_numbers or _nonblank_line_numbers(batch.data, batch.first_line))
                    raise _SkipFile(
                        InputError(self.path, _missing_message(specs, name, found),
                                   line=first[0] if first else None, field=name),
                        None,
                    )
            self.required_checked = True

        out = (
            plan.prepare(sources.lazy()).select(*plan.exprs, plan.code().alias("__code")).collect()
        )
        codes = out.get_column("__code")
        if codes.null_count() < out.height:
            if line_numbers is None:
                line_numbers = _nonblank_line_numbers(batch.data, batch.first_line)
            if len(line_numbers) != out.height:  # pragma: no cover - defensive
                line_numbers = [batch.first_line] * out.height
            stats = (
                out.select(pl.int_range(pl.len()).alias("row"), pl.col("__code"))
                .filter(pl.col("__code").is_not_null())
                .group_by("__code")
                .agg(pl.len().alias("count"), pl.col("row").min().alias("first"))
                .sort("first")
            )
            if not self.skip_errors:
                index, _, first = stats.row(0)
                check = plan.checks[index]
                detail = ""
                if check.value is not None:
                    value = sources.slice(first, 1).select(check.value).item()
                    detail = f": {_quote(value)}"
                raise InputError(
                    self.path, check.reason + detail, line=line_numbers[first], field=check.field
                )
            for index, count, first in stats.iter_rows():
                check = plan.checks[index]
                groups.add(check.reason, check.field, line_numbers[first], count)
            out = out.filter(pl.col("__code").is_null())
        frame = out.drop("__code").lazy()
        return Shard(self.source, frame, rows_in, groups.records(), plan.available)


def _decode_messages(
    frame: pl.DataFrame, name: str, loose: bool = False
) -> tuple[pl.Series, pl.Series | None]:
    """Decode a column of JSON-encoded messages at Polars speed, else value by value.

    Returns the decoded column and, when some values are not messages, a mask of them.
    (An expression in `select` decodes several times faster than `Series.str`.) With
    `loose`, a value that is not a messages list is a plain prompt (see `_loose_messages`).
    """
    text = pl.col(name)
    try:  # every content a string
        return frame.select(text.str.json_decode(_MESSAGES_TEXT_DTYPE)).to_series(), None
    except _PARSE_ERRORS:
        pass
    try:  # strings and/or lists of parts
        rewritten = text.str.replace_all(_STRING_CONTENT_RE, _STRING_CONTENT_TO_PARTS)
        return frame.select(rewritten.str.json_decode(_MESSAGES_DTYPE)).to_series(), None
    except _PARSE_ERRORS:
        pass
    values: list[list[dict[str, Any]] | None] = []
    bad: list[bool] = []
    for item in frame.get_column(name).to_list():
        normalised = _normalise_messages(item, loose)
        values.append(normalised if normalised is not False else None)
        bad.append(normalised is False)
    return pl.Series(name, values, dtype=_MESSAGES_DTYPE), pl.Series("__messages_bad", bad)


def _decode_text_blocks(column: pl.Series) -> pl.Series:
    """Text that may be a JSON list of {type, text} blocks (read as text): the blocks'
    text parts joined by newlines; any other value is kept as it is."""
    rows = column.str.strip_chars_start().str.starts_with("[").fill_null(False).arg_true()
    if rows.is_empty():
        return column
    values: list[str | None] = []
    for item in column.gather(rows).to_list():
        try:
            value = json.loads(item)
        except (ValueError, RecursionError):
            values.append(item)
            continue
        normalised = _normalise_messages(json.dumps([{"role": "x", "content": value}]))
        if not isinstance(value, list) or not normalised or normalised[0]["content"] is None:
            values.append(item)
            continue
        texts = [
            part["text"]
            for part in normalised[0]["content"]
            if part["text"] is not None
            and (part["type"] is None or part["type"] in _TEXT_PART_TYPES)
        ]
        values.append("\n".join(texts) if texts else None)
    return column.clone().scatter(rows, pl.Series(values, dtype=pl.String()))


def _normalise_messages(
    item: str | None, loose: bool = False
) -> list[dict[str, Any]] | Literal[False] | None:
    """One messages value as {role, content: [{type, text}]}; False when it is not one.

    With `loose`, text that is not a messages list is the prompt, one user turn, and an
    object's `messages` are its messages (an object without them has none).
    """
    if item is None:
        return None
    try:
        value = json.loads(item)
    except (ValueError, RecursionError):
        value = None if loose else False
    if loose and isinstance(value, dict):
        value = value.get("messages")
        if value is None:
            return None
    messages = _messages_of(value) if isinstance(value, list) else False
    if messages is False and loose:
        return [{"role": "user", "content": [{"type": "text", "text": item}]}]
    return messages


def _messages_of(value: list[Any]) -> list[dict[str, Any]] | Literal[False]:
    """A decoded JSON list as {role, content: [{type, text}]} messages; False if it is not."""
    out: list[dict[str, Any]] = []
    for message in value:
        if not isinstance(message, dict):
            return False
        role = message.get("role")
        content = message.get("content")
        parts: list[dict[str, Any]] | None
        if content is None:
            parts = None
        elif isinstance(content, str):
            parts = [{"type": "text", "text": content}]
        elif isinstance(content, (list, dict)):
            parts = []
            for part in content if isinstance(content, list) else [content]:
                if isinstance(part, str):
                    parts.append({"type": "text", "text": part})
                elif isinstance(part, dict):
                    kind = part.get("type")
                    text = part.get("text")
                    parts.append(
                        {
                            "type": None if kind is None else str(kind),
                            "text": text if isinstance(text, str) else None,
                        }
                    )
        else:
            return False
        out.append({"role": None if role is None else str(role), "content": parts})
    return out


def _jsonl_shards(
    source: LogSource, specs: _Specs, skip_errors: bool, batch_bytes: int
) -> Iterator[Shard]:
    reader = _JsonlFile(source, specs, skip_errors)
    chunks = _decompressed_chunks(source, min(batch_bytes, _READ_CHUNK))
    batches = _line_batches(chunks, batch_bytes)
    yielded = False
    first = True
    try:
        for item in batches:
            if isinstance(item, _StreamError):
                raise _SkipFile(InputError(source.path, item.reason), None)
            if first:
                item.data = item.data.removeprefix(_BOM)
                first = False
            try:
                shard = reader.shard(item)
            except _SkipFile as skip:
                if not skip_errors:
                    raise skip.error from None
                # The whole file is skipped: count its rows for the record.
                rows = len(_nonblank_line_numbers(item.data, 0))
                rows += _count_remaining_rows(batches)
                raise _SkipFile(skip.error, rows) from None
            if shard is not None:
                yielded = True
                yield shard
    finally:
        batches.close()
    if not yielded:
        yield Shard(source, _empty_frame(), 0, (), frozenset())


def _count_remaining_rows(batches: Iterator[_Batch | _StreamError]) -> int:
    rows = 0
    for item in batches:
        if isinstance(item, _Batch):
            rows += len(_nonblank_line_numbers(item.data, 0))
    return rows


__all__ = [
    "DEFAULT_BATCH_BYTES",
    "STDIN_PATH",
    "LoadReport",
    "LogSource",
    "Shard",
    "SkippedInput",
    "discover_sources",
    "iter_shards",
    "load_frame",
    "merge_skipped",
    "sample_fields",
    "sample_source_fields",
]
