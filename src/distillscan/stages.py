"""Per-stage wall time and peak memory of a run, for `scan --profile` and the benchmark.

Stages mark themselves with `with stage("annotate"):`. Outside `recording()` that is a
no-op costing one context-variable lookup, so the marks stay in the hot path. Inside,
each stage name accumulates its calls and wall seconds (inclusive of nested stages),
and a sampler thread reads the process's resident memory every SAMPLE_SECONDS and
keeps, for every stage active at that moment, the highest value seen.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SAMPLE_SECONDS: Final = 0.02
_PAGE_BYTES: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """The process's resident memory now (Linux), else its peak so far."""
    try:
        with Path("/proc/self/statm").open("rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@dataclass
class StageTiming:
    """One stage's totals over every time it ran."""

    name: str
    calls: int = 0
    seconds: float = 0.0
    peak_bytes: int = 0


@dataclass
class StageLog:
    """The stages of one run, in the order they first started."""

    stages: dict[str, StageTiming] = field(default_factory=dict)
    peak_bytes: int = 0
    wall_seconds: float = 0.0
    _active: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _enter(self, name: str) -> None:
        with self._lock:
            timing = self.stages.setdefault(name, StageTiming(name))
            timing.calls += 1
            self._active[name] = self._active.get(name, 0) + 1
        self.sample()

    def _exit(self, name: str, seconds: float) -> None:
        self.sample()
        with self._lock:
            self.stages[name].seconds += seconds
            self._active[name] -= 1
            if not self._active[name]:
                del self._active[name]

    def sample(self) -> None:
        """Record the resident memory now against every active stage."""
        now = resident_bytes()
        with self._lock:
            self.peak_bytes = max(self.peak_bytes, now)
            for name in self._active:
                timing = self.stages[name]
                timing.peak_bytes = max(timing.peak_bytes, now)

    def as_dict(self) -> dict[str, Any]:
        """The log as plain data (what `scan --profile` writes as JSON)."""
        return {
            "wall_seconds": round(self.wall_seconds, 3),
            "peak_bytes": self.peak_bytes,
            "stages": [
                {"stage": t.name, "calls": t.calls, "seconds": round(t.seconds, 3), "peak_bytes": t.peak_bytes}
                for t in self.stages.values()
            ],
        }


_CURRENT: ContextVar[StageLog | None] = ContextVar("distillscan_stage_log", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Mark a stage of the run being recorded, if any."""
    log = _CURRENT.get()
    if log is None:
        yield
        return
    log._enter(name)
    started = time.perf_counter()
    try:
        yield
    finally:
        log._exit(name, time.perf_counter() - started)


@contextmanager
def recording() -> Iterator[StageLog]:
    """Record every stage run inside the block (in this thread and the context it
    hands to others) into the yielded log, sampling memory in the background."""
    log = StageLog()
    token = _CURRENT.set(log)
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(SAMPLE_SECONDS):
            log.sample()

    thread = threading.Thread(target=sampler, name="distillscan-stage-sampler", daemon=True)
    started = time.perf_counter()
    thread.start()
    try:
        yield log
    finally:
        done.set()
        thread.join()
        log.wall_seconds = time.perf_counter() - started
        log.sample()
        _CURRENT.reset(token)
