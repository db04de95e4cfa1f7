"""The driver of a scan on Ray: plan the pieces, learn their request keys, run the
reduce tasks, and merge what they return, in log order, into the scan's store.

1. Plan (`pieces`): each source, or row-group range of a large Parquet file, is a piece.
2. Keys: a first round of cheap tasks returns each piece's sorted request keys, and
   `keys.counted_elsewhere` tells every piece which of them an earlier piece holds.
3. Reduce: one task per piece runs the local engine's shard stage over it, dropping
   those keys as repeats, and returns its partial aggregates and a report.
4. Merge: a source's results are added to the `PartialStore` (which spills) once it
   and every source before it are done, so the store sees the log in the order named,
   whatever order tasks finish in; progress is fed from here. The first input error in
   log order is raised, as the local engine would raise it.

Keys from the first round are a prediction: a Parquet file whose read fails part-way
is read again without its damaged row groups (or, for a range, read whole), and such
a task reports the keys it actually read. The driver then recounts, and any piece
whose keys to drop changed is run again, so the result is exact; an intact log never
takes this path. A worker that dies is retried by Ray (`RETRIES`); a task is a pure
function of its piece, so a retry returns the same result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

import polars as pl

from distillscan.engine.keys import counted_elsewhere, no_keys
from distillscan.engine.pieces import PIECE_ROWS, Piece, plan_pieces
from distillscan.engine.runtime import TASK_THREADS, ray_runtime, require_ray
from distillscan.engine.shard_stage import InputTally
from distillscan.engine.tasks import PieceReport, piece_keys, reduce_piece
from distillscan.errors import DistillscanError, UsageError
from distillscan.model.scan import ScanOptions
from distillscan.read import STDIN_PATH, PresetChoice, Shard
from distillscan.read.shards import empty_frame
from distillscan.stages import stage

if TYPE_CHECKING:
    from ray import ObjectRef

    from distillscan.aggregate.spill import PartialStore

RETRIES: Final = 3
"""Times Ray runs a task again after its worker died."""

PieceKey = tuple[int, int]


@dataclass(frozen=True)
class _Running:
    piece: Piece
    counted: pl.Series
    parts: ObjectRef[Any]


@dataclass(frozen=True)
class _Done:
    report: PieceReport
    parts: ObjectRef[Any] | None


def reduce_on_ray(
    choice: PresetChoice,
    options: ScanOptions,
    store: PartialStore,
    on_shard: Callable[[Shard], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> InputTally:
    """The shard stage on Ray: every piece of the log reduced by a task into `store`,
    exactly as `shard_stage.reduce_locally` would reduce it."""
    require_ray()
    if any(source.path == STDIN_PATH for source, _, _ in choice.sources):
        raise UsageError("--engine ray reads files every worker can open; read standard input ('-') "
                         "with --engine local")
    pieces = plan_pieces(choice, PIECE_ROWS)
    task_options = ScanOptions(column_map=dict(options.column_map), skip_errors=options.skip_errors)
    with contextlib.ExitStack() as runtime:
        with stage("start ray"):
            runtime.enter_context(ray_runtime(options.ray_address, max(1, pl.thread_pool_size() // TASK_THREADS)))
        schedule = Schedule(pieces, task_options)
        if on_stage is not None:
            on_stage("finding repeated requests")
        with stage("request keys"):
            schedule.find_keys()
        with stage("reduce tasks"):
            return schedule.reduce(store, on_shard)


class Schedule:
    """The pieces of one scan, their keys, and the tasks running or done for them."""

    def __init__(self, pieces: list[Piece], options: ScanOptions) -> None:
        import ray

        self._pieces = pieces
        """The current plan, in log order (a range is replaced by its whole file)."""
        self._options = options
        self._keys: dict[PieceKey, pl.Series | None] = {}
        self._counted: dict[PieceKey, pl.Series] = {}
        self._running: dict[ObjectRef[Any], _Running] = {}
        self._done: dict[PieceKey, _Done] = {}
        self._committed = 0
        """Pieces merged into the store: a prefix of the plan."""
        self._keys_task = ray.remote(num_cpus=TASK_THREADS, max_retries=RETRIES)(piece_keys)
        self._reduce_task = ray.remote(num_cpus=TASK_THREADS, max_retries=RETRIES, num_returns=2)(reduce_piece)

    def find_keys(self) -> None:
        """Run the first round: every piece's request keys."""

        refs = [self._keys_task.remote(piece, self._options) for piece in self._pieces]
        for piece, ref in zip(self._pieces, refs, strict=True):
            self._keys[piece.key] = _fetch(ref)
        self._counted = self._count()

    def reduce(self, store: PartialStore, on_shard: Callable[[Shard], None] | None) -> InputTally:
        """Run a reduce task per piece and merge the results, in log order, into `store`."""
        import ray

        tally = InputTally()
        try:
            for piece in self._pieces:
                self._submit(piece)
            while self._committed < len(self._pieces):
                if not self._running:
                    raise RuntimeError("pieces left to merge, but no task running for them")
                ready, _ = ray.wait(list(self._running), num_returns=1)
                self._receive(ready[0])
                self._merge(store, tally, on_shard)
        except BaseException:
            for ref in self._running:
                ray.cancel(ref)
            raise
        return tally

    def _count(self) -> dict[PieceKey, pl.Series]:
        counted = counted_elsewhere([self._keys[piece.key] for piece in self._pieces])
        return {piece.key: keys for piece, keys in zip(self._pieces, counted, strict=True)}

    def _submit(self, piece: Piece) -> None:
        counted = self._counted[piece.key]
        refs = self._reduce_task.remote(piece, self._options, counted, self._keys[piece.key] is not None)
        report, parts = cast("list[ObjectRef[Any]]", refs)  # num_returns=2: one reference per value
        self._running[report] = _Running(piece, counted, parts)

    def _receive(self, ref: ObjectRef[Any]) -> None:
        """Take in a finished task, unless the plan or its keys to drop moved on since."""
        running = self._running.pop(ref)
        piece = running.piece
        current = self._counted.get(piece.key)
        if current is None or piece.key in self._done or not running.counted.equals(current):
            return
        report: PieceReport = _fetch(ref)
        if report.whole_source:
            self._read_whole(piece)
            return
        self._done[piece.key] = _Done(report, running.parts)
        if report.keys is not None and not _same(report.keys, self._keys[piece.key]):
            self._keys[piece.key] = report.keys
            self._recount()

    def _recount(self) -> None:
        """Recount the keys each piece must drop; run again any piece whose changed."""
        counted = self._count()
        for piece in self._pieces[self._committed:]:
            if counted[piece.key].equals(self._counted[piece.key]):
                continue
            self._counted[piece.key] = counted[piece.key]
            self._done.pop(piece.key, None)
            self._submit(piece)

    def _read_whole(self, piece: Piece) -> None:
        """Replace the ranges of `piece`'s file with the whole file, read as locally."""
        whole = piece.whole()
        ranges = [other for other in self._pieces if other.index == piece.index]
        at = self._pieces.index(ranges[0])
        self._pieces = [*self._pieces[:at], whole, *self._pieces[at + len(ranges):]]
        for other in ranges:
            self._keys.pop(other.key, None)
            self._counted.pop(other.key, None)
            self._done.pop(other.key, None)
        self._keys[whole.key] = None
        self._counted[whole.key] = no_keys()
        self._recount()
        self._submit(whole)

    def _merge(self, store: PartialStore, tally: InputTally, on_shard: Callable[[Shard], None] | None) -> None:
        """Merge every source whose pieces, and every earlier source's, are done."""
        while self._committed < len(self._pieces):
            index = self._pieces[self._committed].index
            group = [piece for piece in self._pieces[self._committed:] if piece.index == index]
            done = [self._done.get(piece.key) for piece in group]
            if any(result is None for result in done):
                return
            finished = [result for result in done if result is not None]
            for result in finished:
                if result.report.failure is not None:
                    raise result.report.failure.error()
            for piece, result in zip(group, finished, strict=True):
                assert result.report.tally is not None and result.parts is not None
                parts = _fetch(result.parts)
                if parts is not None:
                    store.add(parts)
                tally.extend(result.report.tally)
                self._done[piece.key] = _Done(result.report, None)
                if on_shard is not None:
                    on_shard(Shard(piece.source, empty_frame(), result.report.tally.rows_in, (), frozenset()))
            self._committed += len(group)


def _fetch(ref: ObjectRef[Any]) -> Any:
    """A task's result; an error of ours raised in a task is raised here as itself."""
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, DistillscanError):
            raise error.cause from None
        raise


def _same(keys: pl.Series, known: pl.Series | None) -> bool:
    return known is not None and keys.equals(known)
