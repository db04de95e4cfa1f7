"""The scan pipeline: load → fingerprint → features → link → score, as one call.

`scan` is what the CLI runs; `analyse_frame` runs the same stages over an in-memory
frame, for tests and notebooks. Raw rows are reduced shard by shard to `Aggregates`;
everything after that works on aggregates or on distinct templates, never on rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from distillscan.aggregate.partial import BATCH_ROWS, batch_parts, empty_part
from distillscan.aggregate.profile import newest_model_release, profile
from distillscan.aggregate.spill import PartialStore
from distillscan.errors import InputError
from distillscan.fingerprint.cluster import cluster_system_prompts, cluster_templates
from distillscan.link.link import link_accounts
from distillscan.model.aggregates import Aggregates
from distillscan.model.evidence import Measurable
from distillscan.model.groups import GroupReport, Linkage
from distillscan.model.inputs import LogSource, SkippedInput
from distillscan.model.scan import ScanOptions, ScanResult, ScanSummary
from distillscan.model.triage import Allowlist, Suppression
from distillscan.read import (
    SeenRequests,
    Shard,
    discover_sources,
    iter_shards,
    merge_skipped,
    unique_batches,
)
from distillscan.read.choice import choose_presets, read_shards
from distillscan.schema import CANONICAL_SCHEMA, signals_available
from distillscan.score.rank import measurable_in, score_groups
from distillscan.stages import stage
from distillscan.triage.allow import match_allowlist, split_aggregates


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
        with stage("complete aggregates"):
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
    measurable: Measurable


def analyse(aggregates: Aggregates) -> Analysis:
    """Everything after the raw rows: templates, features, links, scores. Evidence
    families the log holds no values for are unknown to scoring (see `model.evidence`)."""
    with stage("cluster templates"):
        templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    with stage("profile accounts"):
        release = newest_model_release(aggregates.account_buckets)
        account_features = profile(aggregates, templates, release=release)
    with stage("cluster system prompts"):
        system_families = cluster_system_prompts(aggregates.systems)
    with stage("link accounts"):
        linkage = link_accounts(aggregates, templates, system_families)
    with stage("score groups"):
        measurable = measurable_in(aggregates, release)
        report = score_groups(
            aggregates, templates, linkage.membership, account_features, release=release, measurable=measurable
        )
    return Analysis(report=report, linkage=linkage, templates=templates, measurable=measurable)


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


def scan(
    paths: Sequence[str],
    options: ScanOptions,
    on_shard: Callable[[Shard], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ScanResult:
    """Scan request logs and return ranked, explained account groups.

    `on_shard` is called after each shard is aggregated and `on_stage` as each stage
    after reading starts (for progress display)."""
    with stage("discover sources"):
        sources: list[LogSource] = discover_sources(paths, options.input_format)
        choice = choose_presets(sources, options)
    preset_of = {source.path: preset for source, preset, _ in choice.sources}
    seen = SeenRequests()
    with PartialStore.temporary(parent=options.temp_dir) as store, stage("read and reduce"):
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
        signals_unknown=analysis.measurable.unknown,
    )
    return ScanResult(
        summary=summary,
        report=analysis.report,
        linkage=analysis.linkage,
        aggregates=aggregates,
        templates=analysis.templates,
        suppression=suppression,
    )
