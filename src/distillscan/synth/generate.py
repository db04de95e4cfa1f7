"""Generation: a world's days cut into segments, emitted in order or in worker processes, as frames.

Each day's units are shuffled and cut into segments of about 40,000 rows, benign and campaign
units apart; a segment has its own random stream and id range, so its rows do not depend on
which process emits it, on the batch size asked for, or (for campaign segments) on the
benign traffic. Rows become native-schema frames by gathering the world's tables.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Final

import polars as pl

from distillscan.synth.config import KIND_CODES, NEW_MODEL, OLD_MODEL, SYNTH_SCHEMA, TIMESTAMP, US, SynthConfig
from distillscan.synth.infrastructure import UA_POOL
from distillscan.synth.population import build_world
from distillscan.synth.world import Sink, World


class _Tables:
    """Polars lookup series gathered by row indices when a batch is cut."""

    def __init__(self, world: World) -> None:
        acc = world.accounts
        self.account_id = pl.Series([a.account_id for a in acc], dtype=pl.String)
        self.org_id = pl.Series([a.org_id for a in acc], dtype=pl.String)
        self.payment = pl.Series([a.payment for a in acc], dtype=pl.String)
        self.created = pl.Series([int(a.created_s * US) for a in acc], dtype=pl.Int64).cast(TIMESTAMP)
        self.kind = pl.Series([KIND_CODES[a.kind] for a in acc], dtype=pl.UInt8)
        self.ip = pl.Series(world.ips, dtype=pl.String)
        self.system = pl.Series(world.systems, dtype=pl.String)
        self.ua = pl.Series(UA_POOL, dtype=pl.String)
        self.model = pl.Series([OLD_MODEL, NEW_MODEL], dtype=pl.String)


def _frame(tables: _Tables, rows: list[tuple[object, ...]]) -> tuple[pl.DataFrame, pl.Series]:
    """Native-schema rows of one segment, and each row's kind code."""
    if not rows:
        return pl.DataFrame(schema=SYNTH_SCHEMA), pl.Series(dtype=pl.UInt8)
    acct, ts, model, system, prompt, conv, turn, ip, ua, out, temp, max_tokens, rid = zip(*rows, strict=True)
    idx = pl.Series(acct, dtype=pl.UInt32)
    system_col = tables.system.gather(pl.Series(system, dtype=pl.UInt32))
    prompt_col = pl.Series(prompt, dtype=pl.String)
    conversation = pl.Series(conv, dtype=pl.String)
    turn_col = pl.Series(turn, dtype=pl.Int32)
    out_col = pl.Series(out, dtype=pl.Int64)
    input_tokens = (system_col.str.len_chars().fill_null(0) + prompt_col.str.len_chars()).cast(pl.Int64) // 4 + 3
    input_tokens = input_tokens + _history_tokens(conversation, turn_col, prompt_col, out_col)
    frame = pl.DataFrame({
        "request_id": pl.Series(rid, dtype=pl.String),
        "account_id": tables.account_id.gather(idx),
        "org_id": tables.org_id.gather(idx),
        "timestamp": pl.Series(ts, dtype=pl.Int64).cast(TIMESTAMP),
        "model": tables.model.gather(pl.Series(model, dtype=pl.UInt32)),
        "system": system_col,
        "prompt": prompt_col,
        "conversation_id": conversation,
        "turn": turn_col,
        "ip": tables.ip.gather(pl.Series(ip, dtype=pl.UInt32)),
        "user_agent": tables.ua.gather(pl.Series(ua, dtype=pl.UInt32)),
        "payment_fingerprint": tables.payment.gather(idx),
        "account_created_at": tables.created.gather(idx),
        "input_tokens": input_tokens,
        "output_tokens": out_col,
        "temperature": pl.Series(temp, dtype=pl.Float64),
        "max_tokens": pl.Series(max_tokens, dtype=pl.Int64),
    })
    return frame, tables.kind.gather(idx)


def _history_tokens(conversation: pl.Series, turn: pl.Series, prompt: pl.Series, output_tokens: pl.Series) -> pl.Series:
    """Per row, the tokens of its conversation's earlier turns (their user text and the
    answers to it), which an API bills as input again with every later turn: a gateway
    that logs only the last user message still logs the whole context's token count.
    A conversation's turns are all in one segment; a retried row counts once."""
    turns = pl.DataFrame({
        "conversation": conversation, "turn": turn,
        "exchange": prompt.str.len_chars().cast(pl.Int64) // 4 + 3 + output_tokens,
    })
    earlier = (
        turns.unique(subset=["conversation", "turn"], keep="first", maintain_order=True)
        .sort("conversation", "turn")
        .select(
            "conversation", "turn",
            history=pl.when(pl.col("conversation").is_not_null())
            .then((pl.col("exchange").cum_sum() - pl.col("exchange")).over("conversation"))
            .otherwise(0),
        )
    )
    return turns.join(earlier, on=["conversation", "turn"], how="left", maintain_order="left")["history"]


_SEGMENT_ROWS: Final = 40_000
_PARALLEL_FROM: Final = 400_000
_MAX_SEGMENTS: Final = (1 << 14) - 1
BENIGN, CAMPAIGN = 0, 1

# (side, day, segment index, units): a unit is (entity index, payload).
Segment = tuple[int, int, int, list[tuple[int, object]]]


def _stream_key(config: SynthConfig, side: int) -> str:
    """The seed of one side's random streams: campaigns draw from streams of the campaign basis."""
    return str(config.seed) if side == BENIGN else f"{config.seed}:campaign:{config.campaign_basis}"


def _segments(world: World) -> Iterator[Segment]:
    """Each day's units in shuffled order, cut into segments, benign and campaign apart.

    Each side plans its units from its own stream and cuts them into its own segments, so
    the campaign rows do not depend on the benign traffic around them. A day's segments of
    both sides are interleaved, so campaign rows are spread through the day's rows.
    """
    config = world.config
    volume = config.volume
    sides = ((BENIGN, world.benign_rows), (CAMPAIGN, config.campaign_rows))
    for day in range(world.days):
        planned: list[tuple[float, Segment]] = []
        for side, rows in sides:
            rng = random.Random(f"{_stream_key(config, side)}:day:{day}")
            units: list[tuple[int, object]] = []
            for index, entity in enumerate(world.entities):
                if entity.campaign == (side == CAMPAIGN):
                    units.extend((index, payload) for payload in entity.units(world, day, rng) for _ in range(volume))
            rng.shuffle(units)
            per_day = min(max(1, round(rows * volume / world.days / _SEGMENT_ROWS)), _MAX_SEGMENTS)
            size = math.ceil(len(units) / per_day)
            planned.extend(((seg + 0.5) / per_day, (side, day, seg, units[seg * size:(seg + 1) * size]))
                           for seg in range(per_day))
        planned.sort(key=lambda item: (item[0], item[1][0]))
        for _, segment in planned:
            yield segment


def _emit_segment(world: World, tables: _Tables, side: int, day: int, seg: int,
                  units: list[tuple[int, object]]) -> tuple[pl.DataFrame, pl.Series]:
    """The rows of one segment, from its own random stream and id range."""
    rng = random.Random(f"{_stream_key(world.config, side)}:segment:{day}:{seg}")
    sink = Sink(world, rng, (side << 26) | (day << 14) | seg)
    for index, payload in units:
        world.entities[index].emit(world, payload, day, rng, sink)
    return _frame(tables, sink.rows)


_WORKER_STATE: list[tuple[World, _Tables]] = []


def _init_worker(config: SynthConfig) -> None:
    """Build the world once per worker process."""
    world = build_world(config)
    _WORKER_STATE.append((world, _Tables(world)))


def _worker_segment(side: int, day: int, seg: int,
                    units: list[tuple[int, object]]) -> tuple[pl.DataFrame, pl.Series]:
    """Emit one segment in a worker process."""
    world, tables = _WORKER_STATE[0]
    return _emit_segment(world, tables, side, day, seg, units)


def _parallel(config: SynthConfig, segments: Iterator[Segment],
              workers: int) -> Iterator[tuple[pl.DataFrame, pl.Series]]:
    """Emit segments in worker processes, yielding results in order with a bounded backlog."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(config,))
    window: deque[Future[tuple[pl.DataFrame, pl.Series]]] = deque()
    try:
        for segment in segments:
            window.append(pool.submit(_worker_segment, *segment))
            if len(window) > 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def auto_workers(config: SynthConfig, workers: int | None) -> int:
    """The worker processes to use: `workers` if given, else by size and CPU count."""
    if workers is not None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        return workers
    cpus = os.cpu_count() or 1
    if config.n_requests < _PARALLEL_FROM or cpus < 4:
        return 1
    return min(8, cpus - 1)


def labelled_batches(world: World, batch_rows: int, workers: int) -> Iterator[tuple[pl.DataFrame, pl.Series]]:
    """Batches of exactly `batch_rows` rows (the last may be short) with each row's kind code."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    segments = _segments(world)
    if workers > 1:
        results = _parallel(world.config, segments, workers)
    else:
        tables = _Tables(world)
        results = (_emit_segment(world, tables, *segment) for segment in segments)
    frames: list[pl.DataFrame] = []
    kinds: list[pl.Series] = []
    pending = 0
    for frame, kind in results:
        frames.append(frame)
        kinds.append(kind)
        pending += frame.height
        while pending >= batch_rows:
            rows, codes = pl.concat(frames), pl.concat(kinds)
            yield rows.slice(0, batch_rows).rechunk(), codes.slice(0, batch_rows)
            frames, kinds = [rows.slice(batch_rows)], [codes.slice(batch_rows)]
            pending -= batch_rows
    if pending:
        yield pl.concat(frames).rechunk(), pl.concat(kinds)


def generate_batches(config: SynthConfig, batch_rows: int = 200_000, *,
                     workers: int | None = None) -> Iterator[pl.DataFrame]:
    """Native-schema rows, in bounded memory, deterministic for a seed.

    Batches hold `batch_rows` rows (the last may hold fewer). The concatenated rows depend
    only on the config: not on `batch_rows`, nor on `workers` (default: one process below
    400,000 rows or on fewer than 4 CPUs, else up to 8 spawned processes; a script that
    calls this must then guard its entry point with `if __name__ == "__main__"`). Rows are
    grouped by day, not sorted by time.
    """
    world = build_world(config)
    for frame, _ in labelled_batches(world, batch_rows, auto_workers(config, workers)):
        yield frame

