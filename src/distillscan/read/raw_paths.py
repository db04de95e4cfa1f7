"""Dotted specs looked up in the raw text of JSONL lines.

`read_ndjson` reads top-level keys only, so a dotted spec (`user.id`, or a flat
OpenTelemetry key such as `gen_ai.request.model` at any level) is taken from the raw
line with `json_path_match`, trying every way to read it as nested keys, longer
leading keys first (as `columns.resolve_struct_path` resolves Parquet struct paths).
"""

from __future__ import annotations

import re
from typing import Any, Final

import polars as pl

# `read_ndjson` with a String schema turns a nested value (such as `messages`) into
# JSON text, but escapes only quotes, newlines and carriage returns: backslashes and
# control characters come out raw (pola-rs/polars#26574), so the text is wrong or not
# JSON at all. That only happens when the line holds one of the escapes below, so just
# those rows are taken again from the raw line with `json_path_match` (which writes
# correct JSON), as are dotted paths (`user.id`) always.
LOSSY_ESCAPE: Final = r"\\[\\tbf]|\\u00[01][0-9a-fA-F]|\\u005[cC]|\\u[dD][89abAB]"
LOSSY_ESCAPE_BYTES: Final = re.compile(LOSSY_ESCAPE.encode())


def raw_lines(data: bytes) -> pl.Series:
    """The non-blank lines of a batch that parsed whole: one per row, in order."""
    lines = pl.Series("line", data.split(b"\n"), dtype=pl.Binary).cast(pl.String)
    nonblank: pl.Series = lines.filter(lines.str.strip_chars() != "")
    return nonblank


def _segmentations(parts: list[str]) -> list[list[str]]:
    """Every way to read `a.b.c` as nested keys (`a.b.c`, `a.b`/`c`, `a`/`b.c`, ...):
    a flat key holding dots (an OpenTelemetry attribute) may sit at any level.
    Longer leading keys come first, as in `resolve_struct_path`."""
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


def raw_spec_expr(line: pl.Expr, spec: str) -> pl.Expr:
    """`spec` looked up in the raw JSON line: the exact key first, then nested paths."""
    candidates: list[pl.Expr] = []
    for keys in _segmentations(spec.split(".")):
        if any("'" in key or "\\" in key for key in keys):
            continue  # not expressible as a JSON path
        candidates.append(line.str.json_path_match("$" + "".join(f"['{key}']" for key in keys)))
    if not candidates:
        return pl.lit(None, pl.String())
    return candidates[0] if len(candidates) == 1 else pl.coalesce(candidates)


def mentions_key(data: bytes, spec: str) -> bool:
    """Whether the batch may hold a key the spec can resolve to (false positives are ok)."""
    parts = spec.split(".")
    for k in range(1, len(parts) + 1):
        key = ".".join(parts[:k])
        if not key.isascii() or '"' in key or "\\" in key:
            return True  # may be written escaped: look in every line
        if b'"' + key.encode() + b'"' in data:
            return True
    return False


def has_path(value: Any, parts: list[str]) -> bool:
    """Whether a spec names a key in this object, as `raw_spec_expr` would find it."""
    if not isinstance(value, dict):
        return False
    for k in range(len(parts), 0, -1):
        name = ".".join(parts[:k])
        if name in value and (k == len(parts) or has_path(value[name], parts[k:])):
            return True
    return False
