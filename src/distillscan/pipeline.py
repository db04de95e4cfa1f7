"""The scan pipeline: load → fingerprint → features → link → score, as one call.

`scan` is what the CLI runs; `analyse_frame` runs the same stages over an in-memory
frame, for tests and notebooks. Raw rows are reduced shard by shard to `Aggregates`;
everything after that works on aggregates or on distinct templates, never on rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import polars as pl

from distillscan.dedupe import SeenRequests, unique_batches
from distillscan.features import (
    BATCH_ROWS,
    MERGE_EVERY,
    Aggregates,
    merge_aggregates,
    profile,
    shard_aggregates,
)
from distillscan.fingerprint import cluster_system_prompts, cluster_templates
from distillscan.link import Linkage, link_accounts
from distillscan.errors import InputError
from distillscan.load import (
    LogSource,
    Shard,
    SkippedInput,
    discover_sources,
    iter_shards,
    merge_skipped,
    sample_fields,
)
from distillscan.presets import BUILTIN, Detection, Preset, SchemaReport, describe, resolve
from distillscan.schema import CANONICAL_SCHEMA, signals_available
from distillscan.score import GroupReport, score_groups


@dataclass(frozen=True)
class ScanOptions:
    """What the user asked for, independent of how it is rendered."""

    column_map: Mapping[str, str] = field(default_factory=dict)
    skip_errors: bool = False
    input_format: Literal["parquet", "jsonl"] | None = None
    preset: str | None = None
    """A preset name; None (or 'auto') detects it from the first records."""
    presets: Mapping[str, Preset] | None = None
    """Presets to choose from (built-ins plus a config file's); None: the built-ins."""


@dataclass(frozen=True)
class ScanSummary:
    """Facts about the input that every report carries."""

    files: tuple[str, ...]
    rows_in: int
    rows_read: int
    rows_skipped: int
    skipped: tuple[SkippedInput, ...]
    accounts: int
    first_seen: datetime | None
    last_seen: datetime | None
    columns_available: tuple[str, ...]
    signals: dict[str, bool]
    preset: str = "native"
    preset_reason: str = ""
    """Why that preset: named on the command line, or what auto-detection matched."""
    rows_duplicate: int = 0
    """Rows dropped as repeats of an earlier request (see `dedupe`):
    rows_in = rows_read + rows_skipped + rows_duplicate."""


@dataclass(frozen=True)
class ScanResult:
    summary: ScanSummary
    report: GroupReport
    linkage: Linkage
    aggregates: Aggregates
    """The merged per-account tables, for drill-down views and exports."""
    templates: pl.DataFrame
    """frame_fp → template_fp: which distinct frames were merged into one template."""


@dataclass
class InputTally:
    """What was read, kept per shard without the shard's rows (a JSONL batch's frame
    must be freed once it is aggregated)."""

    files: list[str] = field(default_factory=list)
    rows_in: int = 0
    skipped: list[SkippedInput] = field(default_factory=list)
    available: set[str] = field(default_factory=set)

    def add(self, shard: Shard) -> None:
        if shard.source.path not in self.files:
            self.files.append(shard.source.path)
        self.rows_in += shard.rows_in
        self.skipped.extend(shard.skipped)
        self.available |= shard.available


def aggregate_shards(
    shards: Iterable[Shard],
    on_shard: Callable[[Shard], None] | None = None,
    seen: SeenRequests | None = None,
    reread: Callable[[LogSource], Iterable[Shard]] | None = None,
) -> tuple[Aggregates, InputTally]:
    """Reduce each shard to aggregates as it arrives and merge them.

    Repeats of a request already counted (in this shard or an earlier one) are dropped
    first and counted in `seen.dropped`; shards without request ids pass untouched.
    A Parquet shard whose read fails part-way (a damaged page in a column the loader's
    checking pass did not decode) is rolled back and read again with `reread`, which
    locates the damaged row groups: it raises an InputError naming them, or, skipping
    errors, gives the file without them.
    """
    seen = SeenRequests() if seen is None else seen
    parts: list[Aggregates] = []
    tally = InputTally()
    current = "input"
    try:
        for shard in shards:
            current = shard.source.path
            read = [shard]
            try:
                aggregates = _aggregate_shard(shard, seen)
            except pl.exceptions.PolarsError:
                if reread is None or shard.source.format != "parquet":
                    raise
                read = list(reread(shard.source))
                aggregates = merge_aggregates([_aggregate_shard(again, seen) for again in read])
            parts.append(aggregates)
            if len(parts) >= MERGE_EVERY:
                parts = [merge_aggregates(parts)]
            for done in read:
                tally.add(done)
                if on_shard is not None:
                    on_shard(done)
    except pl.exceptions.PolarsError as error:
        # Damage the loader's checks did not reach (a corrupt page in a text column, say)
        # surfaces while streaming: it is the input's fault, and the file is named.
        lines = str(error).strip().splitlines()
        raise InputError(current, f"could not read: {lines[0] if lines else type(error).__name__}") from error
    if not parts:
        parts.append(shard_aggregates(empty_requests().lazy()))
    return merge_aggregates(parts), tally


def _aggregate_shard(shard: Shard, seen: SeenRequests) -> Aggregates:
    """One shard's aggregates without repeats; a read error leaves `seen` as it was."""
    state = seen.checkpoint()
    parts: list[Aggregates] = []
    try:
        for piece in _without_repeats(shard, seen):
            parts = _fold(parts, piece)
    except pl.exceptions.PolarsError:
        seen.restore(state)
        raise
    return merge_aggregates(parts) if parts else shard_aggregates(shard.frame.clear())


def _fold(parts: list[Aggregates], piece: pl.LazyFrame) -> list[Aggregates]:
    """Aggregate one piece into the running parts, merged every MERGE_EVERY pieces."""
    parts.append(shard_aggregates(piece))
    return [merge_aggregates(parts)] if len(parts) >= MERGE_EVERY else parts


def _without_repeats(shard: Shard, seen: SeenRequests) -> Iterable[pl.LazyFrame]:
    """The shard's rows as lazy pieces, repeated requests removed (see `dedupe`)."""
    if "request_id" not in shard.available:
        return [shard.frame]
    return (batch.lazy() for batch in unique_batches(shard.frame, seen, BATCH_ROWS))


def empty_requests() -> pl.DataFrame:
    """A canonical request frame with no rows."""
    return pl.DataFrame(schema=CANONICAL_SCHEMA)


@dataclass(frozen=True)
class Analysis:
    """What the stages after the raw rows produce."""

    report: GroupReport
    linkage: Linkage
    templates: pl.DataFrame


def analyse(aggregates: Aggregates) -> Analysis:
    """Everything after the raw rows: templates, features, links, scores."""
    distinct_frames = aggregates.frames.rename({"n": "n_requests"})
    templates = cluster_templates(distinct_frames)
    account_features = profile(aggregates, templates)
    linkage = link_accounts(aggregates, templates, cluster_system_prompts(aggregates.systems))
    report = score_groups(aggregates, templates, linkage.membership, account_features)
    return Analysis(report=report, linkage=linkage, templates=templates)


def analyse_frame(requests: pl.DataFrame | pl.LazyFrame) -> tuple[GroupReport, Linkage]:
    """Run the detection stages over canonical requests already in memory (repeated
    requests counted once, as in `scan`)."""
    lazy = requests.lazy() if isinstance(requests, pl.DataFrame) else requests
    parts: list[Aggregates] = []
    for batch in unique_batches(lazy, SeenRequests(), BATCH_ROWS):
        parts = _fold(parts, batch.lazy())
    analysis = analyse(merge_aggregates(parts) if parts else shard_aggregates(lazy.clear()))
    return analysis.report, analysis.linkage


def choose_preset(sources: Sequence[LogSource], options: ScanOptions) -> tuple[Preset, Detection]:
    """The preset named in the options, or the one the first records point to."""
    registry = options.presets if options.presets is not None else BUILTIN
    auto = options.preset in (None, "auto")
    return resolve(options.preset, registry, sample_fields(sources) if auto else None)


def inspect_schema(paths: Sequence[str], options: ScanOptions) -> SchemaReport:
    """The fields of a log, the preset a scan would use, and what it maps."""
    sources = discover_sources(paths, options.input_format)
    fields = sample_fields(sources)
    registry = options.presets if options.presets is not None else BUILTIN
    preset, detection = resolve(options.preset, registry, fields)
    return describe(fields, preset.with_overrides(options.column_map), detection)


def scan(
    paths: Sequence[str],
    options: ScanOptions,
    on_shard: Callable[[Shard], None] | None = None,
) -> ScanResult:
    """Scan request logs and return ranked, explained account groups."""
    sources: list[LogSource] = discover_sources(paths, options.input_format)
    preset, detection = choose_preset(sources, options)
    read = functools.partial(
        iter_shards, column_map=options.column_map, skip_errors=options.skip_errors, preset=preset
    )
    seen = SeenRequests()
    aggregates, tally = aggregate_shards(
        read(sources), on_shard, seen, reread=lambda source: read([source], decode_all=True)
    )
    analysis = analyse(aggregates)
    skipped = merge_skipped(tally.skipped)
    rows_skipped = sum(record.rows for record in skipped)
    accounts = aggregates.accounts
    summary = ScanSummary(
        files=tuple(tally.files),
        rows_in=tally.rows_in,
        rows_read=int(accounts["n"].sum()) if accounts.height else 0,
        rows_skipped=rows_skipped,
        skipped=skipped,
        accounts=accounts.height,
        first_seen=accounts["first_ts"].min() if accounts.height else None,  # type: ignore[arg-type]
        last_seen=accounts["last_ts"].max() if accounts.height else None,  # type: ignore[arg-type]
        columns_available=tuple(sorted(tally.available)),
        signals=signals_available(tally.available),
        preset=preset.name,
        preset_reason=detection.reason,
        rows_duplicate=seen.dropped,
    )
    return ScanResult(
        summary=summary,
        report=analysis.report,
        linkage=analysis.linkage,
        aggregates=aggregates,
        templates=analysis.templates,
    )
