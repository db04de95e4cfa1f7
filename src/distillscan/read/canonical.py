"""The canonicalisation plan, shared by the Parquet and JSONL readers.

`build_plan` turns the source columns a reader found (spec → expression and dtype)
into expressions for exactly the columns of `CANONICAL_SCHEMA`, plus per-row checks
that name what makes a row bad (a value that does not convert, a missing account id
or timestamp). Readers evaluate the checks as one `code` column, the index of the
first check a row fails, so bad rows are counted, located and dropped in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from distillscan.read.columns import ColumnSpecs
from distillscan.read.convert import convert, dtype_name
from distillscan.read.messages import (
    MESSAGES_DTYPE,
    decode_messages_expr,
    derive_from_messages,
    is_messages_dtype,
    loose_messages,
)
from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN, REQUIRED_COLUMNS


@dataclass(frozen=True)
class Check:
    """A per-row condition that makes a row bad."""

    field: str
    reason: str
    bad: pl.Expr
    value: pl.Expr | None = None
    """The offending source value, quoted in the error when the check raises."""


@dataclass
class Plan:
    """Expressions that turn a reader's source columns into a canonical frame."""

    stage1: list[list[pl.Expr]]
    """Layers of temporary columns (decoded messages; conversions, derived values)."""
    exprs: list[pl.Expr]
    """The canonical columns, in schema order, over the temporary columns."""
    checks: list[Check]
    available: frozenset[str]
    missing: list[str]
    """Required columns no source spec was found for."""
    decodes_json: bool = False
    """Whether `stage1[0]` decodes JSON messages text (a Parquet string column)."""

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


def build_plan(
    specs: ColumnSpecs,
    columns: Mapping[str, tuple[pl.Expr, pl.DataType]],
    present: set[str],
    extra_checks: Sequence[Check] = (),
) -> Plan:
    """Canonicalising expressions over `columns` (spec → (expr, dtype)).

    `present` holds the specs that hold some value (a column can be there but null
    throughout). Conversions are computed once, as temporary columns (`stage1`); the
    canonical columns and the per-row checks then refer to those.
    """
    decoded: list[pl.Expr] = []
    stage1: dict[str, pl.Expr] = {}

    def temp(key: str, expr: pl.Expr) -> pl.Expr:
        stage1[key] = expr.alias(key)
        return pl.col(key)

    checks: list[Check] = list(extra_checks)
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
                mexpr = loose_messages(mexpr)
            name = f"__messages{suffix}"
            decoded.append(decode_messages_expr(mexpr).alias(name))
            mexpr = pl.col(name)
            mdtype = MESSAGES_DTYPE
            decodes_json = True
        if is_messages_dtype(mdtype):
            for key, expr in derive_from_messages(mexpr, cast(pl.List, mdtype)).items():
                derived_parts.setdefault(key, []).append(temp(f"__derived{suffix}_{key}", expr))
        elif not isinstance(mdtype, pl.Null):
            reason = f"expected a list of {{role, content}} messages, got {dtype_name(mdtype)}"
            checks.append(Check(MESSAGES_COLUMN, reason, mexpr.is_not_null()))

    converted: dict[str, list[pl.Expr]] = {}
    for name, target in CANONICAL_SCHEMA.items():
        for index, spec in enumerate(specs.canonical[name]):
            if spec not in columns:
                continue
            suffix = str(index) if index else ""
            expr, dtype = columns[spec]
            conversion = convert(expr, dtype, target, blocks=name in specs.text_blocks)
            out = temp(f"__converted{suffix}_{name}", conversion.out)
            converted.setdefault(name, []).append(out)
            if conversion.reason is not None and conversion.given is not None:
                given = temp(f"__given{suffix}_{name}", conversion.given)
                checks.append(
                    Check(name, conversion.reason, given & out.is_null(), conversion.value)
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

    for name in REQUIRED_COLUMNS:
        found = has_own(name)
        if name == "prompt" and name not in specs.explicit:
            found = found or messages_present
        if not found:
            missing.append(name)

    account_id = final["account_id"]
    checks.append(
        Check(
            "account_id",
            "account id is missing or empty" + specs.hint("account_id"),
            account_id.is_null() | (account_id.str.strip_chars() == ""),
        )
    )
    checks.append(
        Check(
            "timestamp",
            "timestamp is missing" + specs.hint("timestamp"),
            final["timestamp"].is_null(),
        )
    )
    return Plan(
        [decoded, list(stage1.values())], exprs, checks, frozenset(available), missing, decodes_json
    )
