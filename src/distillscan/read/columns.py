"""Column specs: which source columns feed each canonical column, and how they are found.

A preset (with `--map` entries over it) becomes `ColumnSpecs`: for each canonical
column the source specs to try, first non-null wins. A spec is a column name or a
dotted path into objects; a flat name holding dots (an OpenTelemetry attribute such as
`gen_ai.request.model`) is found too, the exact longest name first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

import polars as pl
from polars.datatypes import DataTypeClass

from distillscan.errors import UsageError
from distillscan.read.builtin_presets import BUILTIN, NATIVE
from distillscan.read.preset import Preset
from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN

_MAPPABLE: Final = frozenset(CANONICAL_SCHEMA) | {MESSAGES_COLUMN}


@dataclass(frozen=True)
class ColumnSpecs:
    """canonical column → source specs (column names or dotted paths, first non-null
    wins), plus the specs that may hold messages. Built from a preset's data."""

    canonical: dict[str, tuple[str, ...]]
    messages: tuple[str, ...]
    explicit: frozenset[str]
    """Canonical columns (and `messages`) given with `--map`."""
    text_blocks: frozenset[str] = frozenset()
    """Text columns whose value may be a list of {type, text} blocks."""
    loose_messages: frozenset[str] = frozenset()
    """Messages specs whose value may be a plain prompt or an object holding messages."""
    envelope: str | None = None
    hints: Mapping[str, str] = field(default_factory=dict)
    """Required column → what to do when it is missing (from the preset)."""

    @classmethod
    def build(cls, column_map: Mapping[str, str], preset: Preset | None = None) -> ColumnSpecs:
        """The specs of `preset` (default: native) with `column_map`'s entries over them;
        UsageError for an entry that names no canonical column or no source."""
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
        """Every spec, once, in order: canonical columns' first, then messages'."""
        specs = [spec for specs in self.canonical.values() for spec in specs]
        return list(dict.fromkeys([*specs, *self.messages]))

    def block_specs(self) -> list[str]:
        """The specs of the text columns that may hold a list of text blocks."""
        return list(
            dict.fromkeys(spec for name in self.text_blocks for spec in self.canonical[name])
        )

    def jsonl_raw_specs(self) -> list[str]:
        """Dotted specs: taken from the raw line with `json_path_match`."""
        return [spec for spec in self.all() if "." in spec]

    def jsonl_read_schema(self) -> dict[str, pl.DataType]:
        """Top-level keys, read by `read_ndjson` as text."""
        return {spec: pl.String() for spec in self.all() if "." not in spec}

    def missing_message(self, name: str, found: Sequence[str]) -> str:
        """Why required column `name` is missing, the columns `found` and how to map one."""
        shown = ", ".join(found[:30]) + (", …" if len(found) > 30 else "") if found else "none"
        spec = "' or '".join(self.canonical[name])
        how = f"--map {name}=SOURCE"
        if name == "prompt":
            how += " or --map messages=SOURCE"
        hint = f"(columns found: {shown}; map one with {how})"
        if name in self.explicit:
            return f"missing required column '{name}': mapped source '{spec}' not found {hint}"
        return f"missing required column '{name}' {hint}{self.hint(name)}"


def instance_dtype(dtype: pl.DataType | DataTypeClass) -> pl.DataType:
    """A dtype instance (schemas are typed as holding instances or classes)."""
    return cast(pl.DataType, dtype()) if isinstance(dtype, type) else dtype


def struct_fields(dtype: pl.Struct) -> dict[str, pl.DataType]:
    """A struct's fields: name → dtype instance."""
    return {f.name: instance_dtype(f.dtype) for f in dtype.fields}


def resolve_struct_path(
    parts: list[str], fields: Mapping[str, pl.DataType], base: pl.Expr | None = None
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
            found = resolve_struct_path(parts[k:], struct_fields(dtype), expr)
            if found is not None:
                return found
    return None
