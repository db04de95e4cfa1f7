"""The shard stage: canonical shards reduced to partial aggregates, repeated requests
counted once, and completed. The local engine runs it over the whole log in this
process (`reduce_locally`); the Ray engine runs the same `reduce_shards` in each task
over one piece of the log (see `engine.tasks`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from distillscan.aggregate.partial import BATCH_ROWS, batch_parts, empty_part
from distillscan.aggregate.spill import PartialStore
from distillscan.engine.keys import drop_counted
from distillscan.engine.prefetch import prefetched
from distillscan.errors import InputError
from distillscan.model.aggregates import Aggregates
from distillscan.model.inputs import LogSource, SkippedInput
from distillscan.model.scan import ScanOptions
from distillscan.read import Preset, SeenRequests, Shard, iter_shards, read_batches
from distillscan.read.choice import PresetChoice, read_shards
from distillscan.schema import CANONICAL_SCHEMA
from distillscan.stages import stage


@dataclass
class InputTally:
    """What was read, kept per shard without the shard's rows (a JSONL batch's frame
    must be freed once it is aggregated)."""

    files: list[str] = field(default_factory=list)
    rows_in: int = 0
    skipped: list[SkippedInput] = field(default_factory=list)
    available: set[str] = field(default_factory=set)
    rows_duplicate: int = 0
    """Rows dropped as repeats of an earlier request."""
    rereads: int = 0
    """Shards rolled back and read again after a read that failed part-way."""

    def add(self, shard: Shard) -> None:
        if shard.source.path not in self.files:
            self.files.append(shard.source.path)
        self.rows_in += shard.rows_in
        self.skipped.extend(shard.skipped)
        self.available |= shard.available

    def extend(self, later: InputTally) -> None:
        """Add the tally of input read after this one (a later piece of the log)."""
        self.files += [path for path in later.files if path not in self.files]
        self.rows_in += later.rows_in
        self.skipped.extend(later.skipped)
        self.available |= later.available
        self.rows_duplicate += later.rows_duplicate
        self.rereads += later.rereads


class PartSink(Protocol):
    """Where a shard's partial aggregates go, with a checkpoint to roll a failed shard
    back to: the scan's `PartialStore`, or a distributed task's list of parts."""

    def add(self, part: Aggregates) -> None: ...

    def checkpoint(self) -> Any: ...

    def restore(self, mark: Any) -> None: ...


def aggregate_shards(
    shards: Iterable[Shard],
    on_shard: Callable[[Shard], None] | None = None,
    seen: SeenRequests | None = None,
    reread: Callable[[LogSource], Iterable[Shard]] | None = None,
    store: PartialStore | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[Aggregates, InputTally]:
    """Reduce each shard to partial aggregates as it arrives (see `reduce_shards`), then
    complete them.

    Partial aggregates go to `store` (default: in memory; `scan` spills them to a
    temporary folder). Once every shard is read, `seen` forgets its keys (its count of
    repeats stays), so completion does not hold them.
    """
    seen = SeenRequests() if seen is None else seen
    store = PartialStore() if store is None else store
    tally = reduce_shards(shards, seen, store, reread, on_shard)
    seen.forget()
    return complete_store(store, on_stage), tally


def reduce_shards(
    shards: Iterable[Shard],
    seen: SeenRequests,
    sink: PartSink,
    reread: Callable[[LogSource], Iterable[Shard]] | None = None,
    on_shard: Callable[[Shard], None] | None = None,
    counted_elsewhere: pl.Series | None = None,
) -> InputTally:
    """Reduce each shard to partial aggregates as it arrives, into `sink`: the shard
    stage, which the local engine runs over the whole log and each distributed task
    over its piece of it.

    Repeats of a request already counted (in this shard or an earlier one) are dropped
    first and counted in `seen.dropped`; so are the requests whose keys are in
    `counted_elsewhere` (sorted request keys that an earlier piece of the log, read by
    another task, already holds; see `engine.keys`). Shards without request ids pass
    untouched. A Parquet shard whose read fails part-way (a damaged page in a column
    the loader's checking pass did not decode) is rolled back and read again with
    `reread`, which locates the damaged row groups: it raises an InputError naming
    them, or, skipping errors, gives the file without them.
    """
    tally = InputTally()
    current = "input"
    try:
        # The next shard is read (a JSONL batch parsed) while this one is reduced.
        with closing(prefetched(iter(shards))) as queued:
            for shard in queued:
                current = shard.source.path
                read = _read_shard(shard, seen, sink, reread, counted_elsewhere)
                if len(read) != 1 or read[0] is not shard:
                    tally.rereads += 1
                for done in read:
                    tally.add(done)
                    if on_shard is not None:
                        on_shard(done)
    except pl.exceptions.PolarsError as error:
        # Damage the loader's checks did not reach (a corrupt page in a text column, say)
        # surfaces while streaming: it is the input's fault, and the file is named.
        lines = str(error).strip().splitlines()
        raise InputError(current, f"could not read: {lines[0] if lines else type(error).__name__}") from error
    tally.rows_duplicate = seen.dropped
    return tally


def complete_store(store: PartialStore, on_stage: Callable[[str], None] | None = None) -> Aggregates:
    """The completed aggregates of everything added to `store`."""
    store.add(empty_part(empty_requests().lazy()))
    if on_stage is not None:
        on_stage("summing aggregates")
    with stage("complete aggregates"):
        return store.finish()


def _read_shard(
    shard: Shard,
    seen: SeenRequests,
    sink: PartSink,
    reread: Callable[[LogSource], Iterable[Shard]] | None,
    counted_elsewhere: pl.Series | None,
) -> list[Shard]:
    """Add one shard (see `reduce_shards`); the shards read, which are the shard
    itself unless it was rolled back and read again."""
    mark, state = sink.checkpoint(), seen.checkpoint()
    try:
        _add_shard(shard, seen, sink, counted_elsewhere)
        return [shard]
    except pl.exceptions.PolarsError:
        sink.restore(mark)
        seen.restore(state)
        if reread is None or shard.source.format != "parquet":
            raise
    read = list(reread(shard.source))
    for again in read:
        _add_shard(again, seen, sink, counted_elsewhere)
    return read


def _add_shard(shard: Shard, seen: SeenRequests, sink: PartSink, counted_elsewhere: pl.Series | None) -> None:
    """Add one shard's partial aggregates, without repeats, batch by batch: the next
    batch is read and its repeats dropped in a background thread while this one is
    annotated and aggregated (`prefetch`). The reading stops before this returns or
    raises, so a failed shard's `seen` can be restored."""
    with closing(prefetched(_unique_batches(shard, seen, counted_elsewhere))) as batches:
        for batch in batches:
            for part in batch_parts(batch.lazy()):
                sink.add(part)


def _unique_batches(
    shard: Shard, seen: SeenRequests, counted_elsewhere: pl.Series | None
) -> Iterator[pl.DataFrame]:
    """The shard's rows in batches of BATCH_ROWS, repeated requests removed (see
    `dedupe`; a shard without request ids has none to remove)."""
    for batch in read_batches(shard.frame, BATCH_ROWS, shard.read_rows):
        if "request_id" not in shard.available:
            yield batch
            continue
        with stage("dedupe"):
            unique = seen.first_sightings(drop_counted(batch, counted_elsewhere, seen))
        yield unique


def reduce_locally(
    choice: PresetChoice, options: ScanOptions, store: PartialStore, on_shard: Callable[[Shard], None] | None = None
) -> InputTally:
    """The local engine: every source read with its preset, in order, reduced into
    `store` in this process."""
    preset_of = {source.path: preset for source, preset, _ in choice.sources}
    seen = SeenRequests()
    tally = reduce_shards(
        read_shards(choice, options), seen, store,
        reread=lambda source: reread_source(source, preset_of[source.path], options),
        on_shard=on_shard,
    )
    seen.forget()
    return tally


def reread_source(source: LogSource, preset: Preset, options: ScanOptions) -> Iterator[Shard]:
    """A Parquet source read again after a read that failed part-way: every column
    decoded by the checking pass, so damaged row groups are located (see `rowgroups`)."""
    return iter_shards(
        [source], column_map=options.column_map, skip_errors=options.skip_errors, preset=preset, decode_all=True,
    )


def empty_requests() -> pl.DataFrame:
    """A canonical request frame with no rows."""
    return pl.DataFrame(schema=CANONICAL_SCHEMA)
