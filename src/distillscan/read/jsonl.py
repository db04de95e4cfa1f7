"""JSONL: one shard per batch of about `batch_bytes` of (decompressed) text.

A batch of whole lines is parsed by Polars in one call. Every top-level key the specs
need is read as text (`schema=` of strings), so a key whose type changes from line to
line never breaks the batch; the text is then cast per canonical column. Nested values
whose text Polars would mangle, and dotted specs, are taken from the raw line instead
(see `raw_paths`). Lines are only looked at one by one when the batch fails to parse,
to name the bad line. A preset with an OTLP envelope (`otel-genai`) has each batch
rewritten first: one line per GenAI span, holding just the paths the preset reads (see
`otlp.expand_lines`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from distillscan.errors import InputError
from distillscan.model.inputs import LogSource
from distillscan.read import otlp
from distillscan.read.canonical import Check, Plan, build_plan
from distillscan.read.columns import ColumnSpecs
from distillscan.read.decompress import BOM, READ_CHUNK, StreamError, decompressed_chunks
from distillscan.read.lines import (
    Batch,
    SkippedLines,
    diagnose_line,
    line_batches,
    nonblank_line_numbers,
    sample_objects,
)
from distillscan.read.messages import PARSE_ERRORS, decode_messages, decode_text_blocks, loose_messages
from distillscan.read.raw_paths import (
    LOSSY_ESCAPE,
    LOSSY_ESCAPE_BYTES,
    has_path,
    mentions_key,
    raw_lines,
    raw_spec_expr,
)
from distillscan.read.reader import Reader, SkipFile, polars_message, quote
from distillscan.read.shards import Shard, empty_frame
from distillscan.schema import MESSAGES_COLUMN

DEFAULT_BATCH_BYTES: Final = 64 << 20

@dataclass(frozen=True)
class JsonlReader(Reader):
    """Reads JSONL files (plain, gzip or zstd) and standard input, batch by batch."""

    specs: ColumnSpecs
    skip_errors: bool = False
    batch_bytes: int = DEFAULT_BATCH_BYTES

    def shards(self, source: LogSource) -> Iterator[Shard]:
        reader = _JsonlFile(source, self.specs, self.skip_errors)
        chunks = decompressed_chunks(source, min(self.batch_bytes, READ_CHUNK))
        batches = line_batches(chunks, self.batch_bytes)
        yielded = False
        first = True
        try:
            for item in batches:
                if isinstance(item, StreamError):
                    raise SkipFile(InputError(source.path, item.reason), None)
                if first:
                    item.data = item.data.removeprefix(BOM)
                    first = False
                try:
                    shard = reader.shard(item)
                except SkipFile as skip:
                    if not self.skip_errors:
                        raise skip.error from None
                    # The whole file is skipped: count its rows for the record.
                    rows = len(nonblank_line_numbers(item.data, 0))
                    rows += _count_remaining_rows(batches)
                    raise SkipFile(skip.error, rows) from None
                if shard is not None:
                    yielded = True
                    yield shard
        finally:
            batches.close()
        if not yielded:
            yield Shard(source, empty_frame(), 0, (), frozenset())


def _count_remaining_rows(batches: Iterator[Batch | StreamError]) -> int:
    rows = 0
    for item in batches:
        if isinstance(item, Batch):
            rows += len(nonblank_line_numbers(item.data, 0))
    return rows


def _read_ndjson(data: bytes, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.read_ndjson(data, schema=schema)


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

    def __init__(self, source: LogSource, specs: ColumnSpecs, skip_errors: bool) -> None:
        self.source = source
        self.path = source.path
        self.specs = specs
        self.skip_errors = skip_errors
        self.schema = specs.jsonl_read_schema()
        self.raw_specs = specs.jsonl_raw_specs()
        self.selected_schema = {spec: pl.String() for spec in specs.all()}
        self.required_checked = False

    # -- parsing ------------------------------------------------------------

    def parse(self, batch: Batch, skipped: SkippedLines) -> _Parsed:
        """The batch's rows; on the error path, bad lines are raised or recorded."""
        schema = self.selected_schema if batch.selected else self.schema
        try:
            frame = _read_ndjson(batch.data, schema)
            return _Parsed(frame, frame.height + skipped.rows(), batch.line_numbers)
        except PARSE_ERRORS:
            pass
        # Error path: find the bad lines, one by one.
        good: list[bytes] = []
        numbers: list[int] = []
        given = iter(batch.line_numbers) if batch.line_numbers is not None else None
        for index, raw in enumerate(batch.data.split(b"\n")):
            if not raw.strip():
                continue
            number = batch.first_line + index if given is None else next(given)
            reason, detail, _ = diagnose_line(raw)
            if reason:
                self.bad_line(skipped, reason, detail, number)
            else:
                good.append(raw)
                numbers.append(number)
        try:
            frame = _read_ndjson(b"\n".join(good), schema)
        except PARSE_ERRORS:
            # Python's parser took a line Polars refuses: find it with Polars.
            kept: list[bytes] = []
            kept_numbers: list[int] = []
            for raw, number in zip(good, numbers, strict=True):
                try:
                    _read_ndjson(raw, schema)
                except PARSE_ERRORS as error:
                    self.bad_line(skipped, f"malformed JSON: {polars_message(error)}", "", number)
                    continue
                kept.append(raw)
                kept_numbers.append(number)
            good, numbers = kept, kept_numbers
            try:
                frame = _read_ndjson(b"\n".join(good), schema)
            except PARSE_ERRORS as error:  # pragma: no cover - every line parsed alone
                raise InputError(
                    self.path,
                    f"cannot parse lines: {polars_message(error)}",
                    line=batch.first_line,
                ) from None
        return _Parsed(frame, len(good) + skipped.rows(), numbers, good)

    def with_raw_specs(
        self, frame: pl.DataFrame, data: bytes, lines: list[bytes] | None, selected: bool = False
    ) -> pl.DataFrame:
        """Add the dotted-path columns and repair nested text, both from the raw lines
        (`selected`: the lines hold every spec as a top-level key, read already)."""
        raw_specs = [] if selected else self.raw_specs
        wanted = [spec for spec in raw_specs if mentions_key(data, spec)]
        absent = [pl.lit(None, pl.String()).alias(s) for s in raw_specs if s not in wanted]
        # Only message columns that hold something can need repairing (a column the
        # schema asked for but no line has is all null).
        mspecs = [
            spec for spec in self.specs.messages
            if spec in frame.columns and frame.get_column(spec).null_count() < frame.height
        ]
        repair = bool(mspecs) and LOSSY_ESCAPE_BYTES.search(data) is not None
        if wanted or repair:
            text = raw_lines(data) if lines is None else pl.Series("line", lines, dtype=pl.Binary).cast(pl.String)
            if text.len() != frame.height:  # pragma: no cover - rows and lines pair up
                raise AssertionError("JSONL rows and lines do not pair up")
            if wanted:
                found = pl.DataFrame({"line": text}).select(
                    raw_spec_expr(pl.col("line"), spec).alias(spec) for spec in wanted
                )
                frame = pl.concat([frame, found], how="horizontal")
            if repair:
                rows = text.str.contains(LOSSY_ESCAPE).arg_true()
                for mspec in mspecs if not rows.is_empty() else []:
                    fixed = pl.DataFrame({"line": text.gather(rows)}).select(
                        raw_spec_expr(pl.col("line"), mspec)
                    )
                    repaired = frame.get_column(mspec).clone().scatter(rows, fixed.to_series())
                    frame = frame.with_columns(repaired)
        return frame.with_columns(absent) if absent else frame

    def bad_line(
        self, skipped: SkippedLines, reason: str, detail: str, line: int, field: str | None = None
    ) -> None:
        """Raise the bad line's error, or record it when errors are skipped."""
        if not self.skip_errors:
            raise InputError(self.path, reason + detail, line=line, field=field)
        skipped.add(reason, field, line)

    def expand(self, batch: Batch, skipped: SkippedLines) -> Batch:
        """The batch with each OTLP envelope line replaced by its GenAI span records,
        every record reduced to the specs (see `otlp.expand_lines`)."""
        expanded = otlp.expand_lines(batch.data, batch.first_line, self.specs.all())
        for line, path, reason in expanded.errors:
            self.bad_line(skipped, f"malformed OTLP envelope: {reason}", "", line, path)
        return Batch(expanded.data, batch.first_line, expanded.line_numbers, selected=True)

    # -- canonicalising -----------------------------------------------------

    def shard(self, batch: Batch) -> Shard | None:
        """The batch as a canonical shard; None when it holds no input rows."""
        skipped = SkippedLines(self.path)
        if self.specs.envelope == "otlp":
            # Also for flat spans: picking their many dotted paths in Python, once per
            # line, is far cheaper than matching every path against every line.
            batch = self.expand(batch, skipped)
            if not batch.data:  # no GenAI spans, or only malformed envelopes
                rows = skipped.rows()
                return Shard(self.source, empty_frame(), rows, skipped.records(),
                             frozenset()) if rows else None
        parsed = self.parse(batch, skipped)
        raw, rows_in, line_numbers = parsed.frame, parsed.rows_in, parsed.line_numbers
        if raw.height == 0:
            if rows_in == 0:
                return None
            return Shard(self.source, empty_frame(), rows_in, skipped.records(), frozenset())

        specs = self.specs
        sources = self.with_raw_specs(raw, batch.data, parsed.lines, batch.selected)
        present = {name for name in sources.columns if sources[name].null_count() < sources.height}

        extra_checks: list[Check] = []
        for index, mspec in enumerate(specs.messages):
            if mspec not in present:
                continue
            loose = mspec in specs.loose_messages
            if loose:
                sources = sources.with_columns(loose_messages(pl.col(mspec)).alias(mspec))
            decoded, bad = decode_messages(sources, mspec, loose)
            sources = sources.with_columns(decoded.alias(mspec))
            if bad is not None:
                sources = sources.with_columns(bad.alias(f"__messages_bad{index}"))
                extra_checks.append(
                    Check(
                        MESSAGES_COLUMN,
                        "expected a list of {role, content} messages",
                        pl.col(f"__messages_bad{index}"),
                    )
                )
        for spec in specs.block_specs():
            if spec in present and sources.schema[spec] == pl.String():
                sources = sources.with_columns(decode_text_blocks(sources.get_column(spec)))

        def plan_for(present: set[str]) -> Plan:
            columns = {
                spec: (pl.col(spec), sources.schema[spec])
                for spec in specs.all()
                if spec in present
            }
            return build_plan(specs, columns, present, extra_checks)

        plan = plan_for(present)

        if not self.required_checked:
            if plan.missing:
                # A key that is there but null throughout this batch is not missing.
                objects = sample_objects(batch.data)
                found = list(dict.fromkeys(key for obj in objects for key in obj))

                def seen(spec: str) -> bool:
                    return any(has_path(obj, spec.split(".")) for obj in objects)

                for name in plan.missing:
                    found_specs = [spec for spec in specs.canonical[name] if seen(spec)]
                    if not found_specs and name == "prompt" and name not in specs.explicit:
                        found_specs = [spec for spec in specs.messages if seen(spec)]
                    present.update(found_specs)
                plan = plan_for(present)
                if plan.missing:
                    name = plan.missing[0]
                    first = (line_numbers or nonblank_line_numbers(batch.data, batch.first_line))
                    raise SkipFile(
                        InputError(self.path, specs.missing_message(name, found),
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
                line_numbers = nonblank_line_numbers(batch.data, batch.first_line)
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
                    detail = f": {quote(value)}"
                raise InputError(
                    self.path, check.reason + detail, line=line_numbers[first], field=check.field
                )
            for index, count, first in stats.iter_rows():
                check = plan.checks[index]
                skipped.add(check.reason, check.field, line_numbers[first], count)
            out = out.filter(pl.col("__code").is_null())
        frame = out.drop("__code").lazy()
        return Shard(self.source, frame, rows_in, skipped.records(), plan.available)
