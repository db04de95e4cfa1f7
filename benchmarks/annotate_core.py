"""Rows per second of the compiled core's `annotate` alone, on real prompt text, A/B across builds.

Reads `--rows` rows (prompt, system) of a Parquet file of requests (e.g. one written by
`distillscan synth` over the real-text corpora) and times `_core.annotate` on them, best
of `--repeat` calls, with the core's pool at each thread count of `--threads`. A thread
count fixes the core's pool for the life of a process, so every (build, threads) pair
runs in a fresh worker process.

Builds: each `--core` is a compiled `_core` shared object (a copy of a cargo or maturin
build); without one, the installed `distillscan._core` runs. On a shared, noisy machine
compare builds by `--rounds`: each round runs every build once per thread count,
interleaved, and the report gives each pair's median and best rows/s over the rounds.
`--check` also compares every build's output frame with the first build's, which must
be identical (same columns, values and order).

    python benchmarks/annotate_core.py DATA.parquet --core base.so --core new.so --rounds 5 --check
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import polars as pl


def load_core(path: str | None) -> ModuleType:
    """The core built at `path` (a shared object exporting PyInit__core), else the installed one."""
    if path is None:
        from distillscan import _core

        return _core
    spec = importlib.util.spec_from_file_location("_core", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load a core from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_rows(data: Path, rows: int) -> pl.DataFrame:
    return pl.scan_parquet(data).select("prompt", "system").head(rows).collect()


def worker(args: argparse.Namespace) -> None:
    """One build at the thread count this process was started with: print its best rows/s
    as JSON, and write its output frame to `--output` when given."""
    core = load_core(args.worker_core)
    batch = read_rows(args.data, args.rows)
    prompts, systems = batch.get_column("prompt"), batch.get_column("system")
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        columns = core.annotate(prompts, systems)
        best = min(best, time.perf_counter() - start)
    if args.output is not None:
        pl.DataFrame(columns).write_parquet(args.output)
    print(json.dumps({"rows_per_s": batch.height / best}))


def run_worker(args: argparse.Namespace, core: str | None, threads: int, output: Path | None) -> float:
    environment = {key: value for key, value in os.environ.items() if key != "POLARS_MAX_THREADS"}
    environment["RAYON_NUM_THREADS"] = str(threads)
    command = [sys.executable, __file__, str(args.data), "--rows", str(args.rows), "--repeat", str(args.repeat)]
    command += ["--worker"] + ([] if core is None else ["--worker-core", core])
    command += [] if output is None else ["--output", str(output)]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    rows_per_s: float = json.loads(result.stdout.splitlines()[-1])["rows_per_s"]
    return rows_per_s


def compare(args: argparse.Namespace, builds: list[str | None]) -> None:
    """Every build's output frame against the first build's, at the largest thread count."""
    with tempfile.TemporaryDirectory() as folder:
        frames = []
        for index, core in enumerate(builds):
            output = Path(folder) / f"{index}.parquet"
            run_worker(args, core, max(args.threads), output)
            frames.append(pl.read_parquet(output))
    for core, frame in zip(builds[1:], frames[1:], strict=True):
        same = frame.equals(frames[0], null_equal=True)
        print(f"output of {core or 'installed core'}: {'identical to' if same else 'DIFFERS from'} {builds[0]}")
        if not same:
            raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="Parquet file with prompt and system columns")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="calls per measurement; the best one counts")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--core", action="append", help="a built _core shared object (repeatable)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved measurements of every build")
    parser.add_argument("--check", action="store_true", help="compare every build's output with the first's")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-core", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    builds: list[str | None] = args.core or [None]
    if args.check:
        compare(args, builds)
    measured: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.rounds):
        for threads in args.threads:
            for core in builds:
                measured.setdefault((core or "installed", threads), []).append(run_worker(args, core, threads, None))
    print(f"{'build':<40} {'threads':>7} {'median rows/s':>14} {'best rows/s':>12}")
    for (core, threads), rates in measured.items():
        print(f"{core:<40} {threads:>7} {statistics.median(rates):>14,.0f} {max(rates):>12,.0f}")


if __name__ == "__main__":
    main()
