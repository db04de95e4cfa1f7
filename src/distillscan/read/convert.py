"""Conversions: one source column cast to its canonical dtype, and how to tell a bad value.

A source value that is there but converts to null is bad (`Conversion.reason` says
why); a null or blank source value is simply absent. Timestamps may be RFC 3339 text
(with or without an offset), `YYYY-MM-DD[ HH:MM:SS]`, dates, datetimes, or epoch
seconds or milliseconds; integers may be given as whole numbers in floats or text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from distillscan.read.messages import message_text
from distillscan.schema import TIMESTAMP_DTYPE


@dataclass(frozen=True)
class Conversion:
    """A source column cast to its canonical dtype, and how to tell a bad value."""

    out: pl.Expr
    reason: str | None = None
    """Why a non-null source value that converts to null is bad; None: never bad."""
    given: pl.Expr | None = None
    """True where the source holds a value (blank text counts as no value)."""
    value: pl.Expr | None = None
    """The source value, quoted in the error when a bad one raises."""


def dtype_name(dtype: pl.DataType) -> str:
    """A source dtype as an error message names it."""
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


def _wrong_type(source: pl.Expr, dtype: pl.DataType, expected: str) -> Conversion:
    reason = f"expected {expected}, got {dtype_name(dtype)}"
    return Conversion(pl.lit(None), reason, source.is_not_null())


def convert(
    source: pl.Expr, dtype: pl.DataType, target: pl.DataType, *, blocks: bool = False
) -> Conversion:
    """Cast one source column to its canonical dtype.

    With `blocks`, a text column may also hold a list of {type, text} blocks (their
    text parts are joined, as for message content).
    """
    if isinstance(dtype, pl.Null):
        return Conversion(pl.lit(None))
    if isinstance(target, pl.String):
        if isinstance(dtype, pl.String):
            return Conversion(source)
        if _is_textlike(dtype):
            return Conversion(source.cast(pl.String))
        if blocks:
            text = message_text(source, dtype)
            if text is not None:
                return Conversion(text)
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
    return Conversion(out, reason, given.is_not_null(), source)
