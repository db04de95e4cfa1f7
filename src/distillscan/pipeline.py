"""The scan pipeline: read → fingerprint → aggregate → link → score, as one call.

`scan` is what the CLI runs; `analyse_frame` runs the same stages over an in-memory
frame, for tests and notebooks. Raw rows are reduced shard by shard to `Aggregates`
by the shard stage (`engine.shard_stage`: in this process, or by Ray tasks over
pieces of the log, see `distillscan.engine`); everything after that works on
aggregates or on distinct templates, never on rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import BinaryIO

import polars as pl

from distillscan.aggregate.partial import BATCH_ROWS, batch_parts, empty_part
from distillscan.aggregate.profile import newest_model_release, profile
from distillscan.aggregate.spill import PartialStore
from distillscan.engine.shard_stage import complete_store, reduce_locally
from distillscan.fingerprint.cluster import cluster_system_prompts, cluster_templates
from distillscan.link import link_accounts
from distillscan.model.aggregates import Aggregates
from distillscan.model.evidence import Measurable
from distillscan.model.groups import GroupReport, Linkage
from distillscan.model.inputs import LogSource
from distillscan.model.scan import ScanOptions, ScanResult, ScanSummary
from distillscan.model.triage import Allowlist, Suppression
from distillscan.read import (
    SeenRequests,
    Shard,
    discover_sources,
    merge_skipped,
    unique_batches,
)
from distillscan.read.choice import choose_presets
from distillscan.schema import signals_available
from distillscan.score.rank import measurable_in, score_groups
from distillscan.stages import stage
from distillscan.triage.allow import match_allowlist, split_aggregates


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
        templates = cluster_templates(aggregates.frames.lazy().rename({"n": "n_requests"}).collect())
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
            aggregates, templates, linkage.membership, account_features, release=release, measurable=measurable,
            tokens=linkage.tokens,
        )
    # Scoring may set members of a relaying group apart (`score.rank`).
    linkage = replace(linkage, membership=report.membership)
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
    stdin: BinaryIO | None = None,
) -> ScanResult:
    """Scan request logs and return ranked, explained account groups.

    `on_shard` is called after each shard is aggregated and `on_stage` as each stage
    after reading starts (for progress display); the path `-` reads `stdin` (default:
    the process's standard input)."""
    with stage("discover sources"):
        sources: list[LogSource] = discover_sources(paths, options.input_format, stdin=stdin)
        choice = choose_presets(sources, options)
    with PartialStore.temporary(parent=options.temp_dir) as store, stage("read and reduce"):
        if options.engine == "ray":
            from distillscan.engine.driver import reduce_on_ray

            tally = reduce_on_ray(choice, options, store, on_shard, on_stage)
        else:
            tally = reduce_locally(choice, options, store, on_shard)
        aggregates = complete_store(store, on_stage)
    rows_duplicate = tally.rows_duplicate
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
