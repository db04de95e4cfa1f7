"""Parquet: one shard per file, a lazy scan with canonicalising expressions.

The shard's frame is a `scan_parquet` plan, so a file bigger than memory streams
through later stages. One streaming pass over the validated columns (account id,
timestamp, any JSON messages text that must be decoded) runs first, so bad rows are
found here and not in a later stage; when that pass fails on a damaged row group, the
row groups are read one by one to find the damaged ones (see `rowgroups`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import polars as pl
from pyarrow import ArrowException  # type: ignore[import-untyped]

from distillscan.errors import InputError
from distillscan.model.inputs import LogSource, SkippedInput
from distillscan.read.canonical import Plan, build_plan
from distillscan.read.columns import ColumnSpecs, instance_dtype, resolve_struct_path
from distillscan.read.reader import Reader, SkipFile, polars_message, quote
from distillscan.read.rowgroups import (
    ROW_NUMBER,
    Damage,
    RowGroup,
    readable_rows,
    row_groups,
    unreadable_row_groups,
)
from distillscan.read.shards import Shard
from distillscan.schema import MESSAGES_COLUMN

# Row groups up to this many rows are read whole, each once (see `read_batches`); a
# larger one is read a batch at a time, decoding it for every batch, since holding it
# whole would hold gigabytes of text.
MAX_READ_ROWS: Final = 1 << 21


@dataclass(frozen=True)
class ParquetReader(Reader):
    """Reads Parquet files, each as one lazy shard."""

    specs: ColumnSpecs
    skip_errors: bool = False
    decode_all: bool = False
    """The checking pass decodes every column it maps, not only the checked ones, so a
    damaged row group anywhere is found and located here (scans use it to re-read a
    file whose later read failed)."""

    def shards(self, source: LogSource) -> Iterator[Shard]:
        path = source.path
        try:
            scan = pl.scan_parquet(path, hive_partitioning=False, glob=False)
            schema = scan.collect_schema()
        except (pl.exceptions.PolarsError, OSError) as error:
            raise SkipFile(
                InputError(path, f"not a readable Parquet file: {polars_message(error)}"), None
            ) from None

        specs = self.specs
        columns: dict[str, tuple[pl.Expr, pl.DataType]] = {}
        fields = {name: instance_dtype(dt) for name, dt in schema.items()}
        for spec in specs.all():
            found = resolve_struct_path(spec.split("."), fields)
            if found is not None:
                columns[spec] = found
        plan = build_plan(specs, columns, set(columns))
        if plan.missing:
            name = plan.missing[0]
            missing = InputError(path, specs.missing_message(name, schema.names()), field=name)
            raise SkipFile(missing, _row_count(scan))

        check = self._checking_pass(plan, columns)
        numbered = scan.with_row_index(ROW_NUMBER)
        damaged: list[Damage] = []
        try:
            stats = check(numbered)
        except (pl.exceptions.PolarsError, OSError) as error:
            reason = f"cannot read Parquet data: {polars_message(error)}"
            if plan.decodes_json and "json" in str(error).lower():
                reason = f"cannot decode JSON messages: {polars_message(error)}"
                raise SkipFile(
                    InputError(path, reason, field=MESSAGES_COLUMN), _row_count(scan)
                ) from None
            groups, damaged = _damaged_row_groups(path, scan, check)
            if not damaged:
                raise SkipFile(InputError(path, reason), _row_count(scan)) from None
            if not self.skip_errors:
                group = damaged[0].group
                raise InputError(
                    path, f"cannot read Parquet data: {damaged[0].reason}",
                    row=group.first_row, last_row=group.last_row, row_group=group.index,
                ) from None
            numbered = readable_rows(scan, groups, damaged)
            try:
                stats = check(numbered)
            except (pl.exceptions.PolarsError, OSError):
                raise SkipFile(InputError(path, reason), _row_count(scan)) from None

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
            if not self.skip_errors:
                first_row, index, _ = min(bad)
                failed = plan.checks[index]
                detail = ""
                if failed.value is not None:
                    value = plan.prepare(scan.slice(first_row, 1)).select(failed.value).collect().item()
                    detail = f": {quote(value)}"
                raise InputError(path, failed.reason + detail, row=first_row, field=failed.field)
            for first_row, index, count in sorted(bad):
                failed = plan.checks[index]
                skipped.append(
                    SkippedInput(path, failed.reason, row=first_row, field=failed.field, rows=count)
                )
            frame = frame.filter(plan.code().is_null())
        # Row groups line up with the frame's rows only when none was dropped.
        read_rows = None if damaged or bad else _uniform_row_groups(path)
        yield Shard(source, frame.select(plan.exprs), rows_in, tuple(skipped), plan.available, read_rows)

    def _checking_pass(
        self, plan: Plan, columns: dict[str, tuple[pl.Expr, pl.DataType]]
    ) -> Callable[[pl.LazyFrame], dict[str, Any]]:
        """One streaming pass over numbered rows: the row count, and the count and first
        row of each failed check (`__rows`, `__count{i}`, `__first{i}`)."""
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
        if self.decode_all:
            for index, (expr, _) in enumerate(columns.values()):
                touched.append(expr.is_null().alias(f"__read{index}"))
                aggregations.append(pl.col(f"__read{index}").sum().alias(f"__read{index}"))

        def check(rows: pl.LazyFrame) -> dict[str, Any]:
            return (
                plan.prepare(rows).select(touched).select(aggregations)
                .collect(engine="streaming").row(0, named=True)
            )

        return check


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

    return groups, unreadable_row_groups(groups, probe, polars_message)


def _uniform_row_groups(path: str) -> int | None:
    """The file's row-group size when every group but the last has it and it is at most
    MAX_READ_ROWS; None otherwise (or when the footer cannot be read here)."""
    try:
        groups = row_groups(path)
    except (OSError, ArrowException):
        return None
    sizes = {group.rows for group in (groups[:-1] if len(groups) > 1 else groups)}
    size = sizes.pop() if len(sizes) == 1 else 0
    return size if 0 < size <= MAX_READ_ROWS else None


def _row_count(scan: pl.LazyFrame) -> int | None:
    try:
        return int(scan.select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError):
        return None
