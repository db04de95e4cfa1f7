"""The scan pipeline: load → fingerprint → features → link → score, as one call.

`scan` is what the CLI runs; `analyse_frame` runs the same stages over an in-memory
frame, for tests and notebooks. Raw rows are reduced shard by shard to `Aggregates`;
everything after that works on aggregates or on distinct templates, never on rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

import polars as pl

from distillscan.aggregate.features import (
    BATCH_ROWS,
    batch_parts,
    empty_part,
    newest_model_release,
    profile,
)
from distillscan.aggregate.spill import PartialStore
from distillscan.errors import InputError, UsageError
from distillscan.fingerprint.fingerprint import (
    cluster_system_prompts,
    cluster_templates,
)
from distillscan.link import link_accounts
from distillscan.model.aggregates import Aggregates
from distillscan.model.groups import GroupReport, Linkage
from distillscan.model.inputs import LogSource, SkippedInput
from distillscan.model.scan import ScanOptions, ScanResult, ScanSummary
from distillscan.model.triage import Allowlist, Suppression
from distillscan.read.dedupe import SeenRequests, unique_batches
from distillscan.read.load import (
    Shard,
    discover_sources,
    iter_shards,
    merge_skipped,
    sample_source_fields,
)
from distillscan.read.presets import (
    BUILTIN,
    NATIVE,
    Detection,
    Preset,
    SchemaReport,
    describe,
    detect_preset,
    resolve,
)
from distillscan.schema import CANONICAL_SCHEMA, signals_available
from distillscan.score.score import score_groups
from distillscan.triage.allow import match_allowlist, split_aggregates

if TYPE_CHECKING:
    pass


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
    store: PartialStore | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[Aggregates, InputTally]:
    """Reduce each shard to partial aggregates as it arrives, then complete them.

    Repeats of a request already counted (in this shard or an earlier one) are dropped
    first and counted in `seen.dropped`; shards without request ids pass untouched.
    Partial aggregates go to `store` (default: in memory; `scan` spills them to a
    temporary folder). Once every shard is read, `seen` forgets its keys (its count of
    repeats stays), so completion does not hold them. A Parquet shard whose read fails
    part-way (a damaged page in a column the loader's checking pass did not decode) is
    rolled back and read again with `reread`, which locates the damaged row groups: it
    raises an InputError naming them, or, skipping errors, gives the file without them.
    """
    seen = SeenRequests() if seen is None else seen
    store = PartialStore() if store is None else store
    tally = InputTally()
    current = "input"
    try:
        for shard in shards:
            current = shard.source.path
            for done in _read_shard(shard, seen, store, reread):
                tally.add(done)
                if on_shard is not None:
                    on_shard(done)
        store.add(empty_part(empty_requests().lazy()))
        seen.forget()
        if on_stage is not None:
            on_stage("summing aggregates")
        return store.finish(), tally
    except pl.exceptions.PolarsError as error:
        # Damage the loader's checks did not reach (a corrupt page in a text column, say)
        # surfaces while streaming: it is the input's fault, and the file is named.
        lines = str(error).strip().splitlines()
        raise InputError(current, f"could not read: {lines[0] if lines else type(error).__name__}") from error


def _read_shard(
    shard: Shard,
    seen: SeenRequests,
    store: PartialStore,
    reread: Callable[[LogSource], Iterable[Shard]] | None,
) -> list[Shard]:
    """Add one shard (see `aggregate_shards`); the shards read, which are the shard
    itself unless it was rolled back and read again."""
    mark, state = store.checkpoint(), seen.checkpoint()
    try:
        _add_shard(shard, seen, store)
        return [shard]
    except pl.exceptions.PolarsError:
        store.restore(mark)
        seen.restore(state)
        if reread is None or shard.source.format != "parquet":
            raise
    read = list(reread(shard.source))
    for again in read:
        _add_shard(again, seen, store)
    return read


def _add_shard(shard: Shard, seen: SeenRequests, store: PartialStore) -> None:
    """Add one shard's partial aggregates, without repeats, batch by batch."""
    for piece in _without_repeats(shard, seen):
        for part in batch_parts(piece):
            store.add(part)


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
    release = newest_model_release(aggregates.account_buckets)
    account_features = profile(aggregates, templates, release=release)
    linkage = link_accounts(aggregates, templates, cluster_system_prompts(aggregates.systems))
    report = score_groups(aggregates, templates, linkage.membership, account_features, release=release)
    return Analysis(report=report, linkage=linkage, templates=templates)


def analyse_allowing(aggregates: Aggregates, allowlist: Allowlist) -> tuple[Analysis, Suppression]:
    """Analyse the accounts the allowlist does not cover; the allowed ones are linked and
    scored only among themselves, so no one can link to them to hide or to be shielded."""
    matches = match_allowlist(aggregates, allowlist)
    kept, allowed = split_aggregates(aggregates, matches["account_id"].unique())
    analysis = analyse(kept)
    allowed_analysis = analyse(allowed)
    suppression = Suppression(
        allowlist=allowlist, matches=matches, report=allowed_analysis.report,
        linkage=allowed_analysis.linkage,
    )
    return analysis, suppression


def analyse_frame(requests: pl.DataFrame | pl.LazyFrame) -> tuple[GroupReport, Linkage]:
    """Run the detection stages over canonical requests already in memory (repeated
    requests counted once, as in `scan`)."""
    lazy = requests.lazy() if isinstance(requests, pl.DataFrame) else requests
    store = PartialStore()
    for batch in unique_batches(lazy, SeenRequests(), BATCH_ROWS):
        for part in batch_parts(batch.lazy()):
            store.add(part)
    store.add(empty_part(lazy))
    analysis = analyse(store.finish())
    return analysis.report, analysis.linkage


MIXED: Final = "mixed"


@dataclass(frozen=True)
class PresetChoice:
    """The preset each source is read with, and why."""

    sources: tuple[tuple[LogSource, Preset, Detection], ...]

    @property
    def name(self) -> str:
        """The preset all sources share, else `mixed`."""
        names = {preset.name for _, preset, _ in self.sources}
        return names.pop() if len(names) == 1 else (MIXED if names else NATIVE)

    @property
    def reason(self) -> str:
        if not self.sources:
            return ""
        if self.name != MIXED:
            return self.sources[0][2].reason
        files: dict[str, list[str]] = {}
        for source, preset, _ in self.sources:
            files.setdefault(preset.name, []).append(source.path)
        return "files differ: " + "; ".join(
            f"{name} ({len(paths)} file(s): {', '.join(paths[:2])}{', …' if len(paths) > 2 else ''})"
            for name, paths in files.items()
        )

    def by_file(self) -> dict[str, str]:
        return {source.path: preset.name for source, preset, _ in self.sources}


def choose_presets(sources: Sequence[LogSource], options: ScanOptions) -> PresetChoice:
    """The preset named in the options for every source, or each source's own.

    Each file (standard input included) is detected from its first records, so a
    folder of mixed gateway dumps is read file by file. A file that cannot be sampled
    (a named pipe, an empty or unreadable file) takes the preset the others agree on,
    else native; the reader reports why an unreadable one cannot be read.
    """
    registry = options.presets if options.presets is not None else BUILTIN
    if options.preset not in (None, "auto"):
        preset, detection = resolve(options.preset, registry, None)
        return PresetChoice(tuple((source, preset, detection) for source in sources))
    detected: dict[int, tuple[Preset, Detection]] = {}
    for index, source in enumerate(sources):
        fields = sample_source_fields(source)
        if not fields:
            continue
        try:
            detection = detect_preset(fields, registry)
        except UsageError as error:
            raise UsageError(f"{source.path}: {error}") from None
        detected[index] = (registry[detection.preset], detection)
    names = {preset.name for preset, _ in detected.values()}
    if len(names) == 1:
        fallback = next(iter(detected.values()))
        fallback = (fallback[0], Detection(fallback[1].preset,
                                           "not sampled: as the other files"))
    else:
        fallback = (registry[NATIVE], Detection(NATIVE, "not sampled: native schema"))
    return PresetChoice(tuple(
        (source, *detected.get(index, fallback)) for index, source in enumerate(sources)
    ))


def inspect_schema(paths: Sequence[str], options: ScanOptions) -> SchemaReport:
    """The fields of a log, the preset a scan would use, and what it maps.

    Describes the first file; `presets_by_file` says what every file is read with.
    """
    sources = discover_sources(paths, options.input_format)
    choice = choose_presets(sources, options)
    registry = options.presets if options.presets is not None else BUILTIN
    if choice.sources:
        first, preset, detection = choice.sources[0]
        fields = sample_source_fields(first)
    else:
        preset, detection = resolve(options.preset, registry, ())
        fields = []
    report = describe(fields, preset.with_overrides(options.column_map), detection)
    return replace(report, presets_by_file=choice.by_file())


def read_shards(choice: PresetChoice, options: ScanOptions) -> Iterator[Shard]:
    """Every source read with its own preset, in order."""
    for source, preset, _ in choice.sources:
        yield from iter_shards(
            [source],
            column_map=options.column_map,
            skip_errors=options.skip_errors,
            preset=preset,
        )


def scan(
    paths: Sequence[str],
    options: ScanOptions,
    on_shard: Callable[[Shard], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ScanResult:
    """Scan request logs and return ranked, explained account groups.

    `on_shard` is called after each shard is aggregated and `on_stage` as each stage
    after reading starts (for progress display)."""
    sources: list[LogSource] = discover_sources(paths, options.input_format)
    choice = choose_presets(sources, options)
    preset_of = {source.path: preset for source, preset, _ in choice.sources}
    seen = SeenRequests()
    with PartialStore.temporary(parent=options.temp_dir) as store:
        aggregates, tally = aggregate_shards(
            read_shards(choice, options), on_shard, seen,
            reread=lambda source: iter_shards(
                [source], column_map=options.column_map, skip_errors=options.skip_errors,
                preset=preset_of[source.path], decode_all=True,
            ),
            store=store,
            on_stage=on_stage,
        )
    rows_duplicate = seen.dropped
    if on_stage is not None:
        on_stage("linking and scoring")
    if options.allow is None:
        analysis, suppression = analyse(aggregates), None
    else:
        analysis, suppression = analyse_allowing(aggregates, options.allow)
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
        preset=choice.name,
        preset_reason=choice.reason,
        presets_by_file=choice.by_file(),
        rows_duplicate=rows_duplicate,
    )
    return ScanResult(
        summary=summary,
        report=analysis.report,
        linkage=analysis.linkage,
        aggregates=aggregates,
        templates=analysis.templates,
        suppression=suppression,
    )
