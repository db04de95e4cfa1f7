"""Benchmark of the shard stage's engines: local against Ray with 1 and 2 workers, on one machine.

A generated log (cached under benchmarks/data/, see bench.py) is cut into FILES Parquet
files of consecutive rows (stretches of time), then each engine scans them, each run in
its own process:

1. `distillscan scan FILES... --format json -o OUT -q --profile P` (local, all cores);
2. the same with `--engine ray --threads N` for N in --workers: a local Ray runtime
   with N CPUs, one task (one Polars thread) per CPU, started by the scan itself.

It reports wall time (Ray's start-up included), the time of the shard stage alone
("read and reduce" in the profile, which also completes the aggregates on the driver),
rows/s and the driver's peak RSS (Ray's workers are other processes), checks that every
engine wrote the same report byte for byte, and measures what a task returns: the
partial aggregates' in-memory Arrow size per request read, per table, and the request
keys the driver gathers for cross-task dedupe (8 bytes each). It prints the tables and
appends them, with the machine, to benchmarks/results.md.

    python benchmarks/bench_ray.py --rows 1000000 --files 8 --workers 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import DATA, RESULTS, Run, ensure_log, machine, run_measured

SPLIT = """
import sys, polars as pl
source, folder, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = pl.scan_parquet(source)
rows = log.select(pl.len()).collect().item()
size = -(-rows // files)
for index in range(files):
    log.slice(index * size, size).sink_parquet(f"{folder}/part-{index:02d}.parquet")
"""

# What a task returns, measured by calling the task functions in one process (no Ray):
# the same pieces, keys and partial aggregates the tasks compute; then what the driver's
# stages after aggregation work on (accounts, repeated frames, templates, evidence
# tokens, candidate pairs linked).
PARTIALS = """
import io, json, sys
from distillscan.aggregate.spill import PartialStore
from distillscan.engine.keys import counted_elsewhere
from distillscan.engine.pieces import PIECE_ROWS, plan_pieces
from distillscan.engine.tasks import piece_keys, reduce_piece
from distillscan.model.aggregates import TABLES
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import analyse, complete_store
from distillscan.read import choose_presets, discover_sources
options = ScanOptions()
store = PartialStore()
pieces = plan_pieces(choose_presets(discover_sources(sys.argv[1:]), options), PIECE_ROWS)
keys = [piece_keys(piece, options) for piece in pieces]
tables = dict.fromkeys(TABLES, 0)
rows = distinct = compressed = 0
for piece, counted, known in zip(pieces, counted_elsewhere(keys), keys):
    report, parts = reduce_piece(piece, options, counted, True)
    store.add(parts)
    rows += report.tally.rows_in
    distinct += known.len()
    for name in TABLES:
        table = getattr(parts, name)
        tables[name] += int(table.estimated_size())
        buffer = io.BytesIO()
        table.write_ipc(buffer, compression="lz4")
        compressed += buffer.tell()
aggregates = complete_store(store)
analysis = analyse(aggregates)
driver = {
    "accounts": aggregates.accounts.height, "repeated frames": aggregates.frames.height,
    "templates": analysis.templates["template_fp"].n_unique(), "evidence tokens": analysis.linkage.tokens.height,
    "linked pairs": analysis.linkage.edges.height,
}
print(json.dumps({"pieces": len(pieces), "rows": rows, "keys": distinct, "tables": tables, "lz4": compressed,
                  "driver": driver}))
"""

RAY_STAGES = ("start ray", "request keys", "reduce tasks")
POST_AGGREGATION = ("complete aggregates", "cluster templates", "profile accounts", "link accounts", "score groups")


@dataclass(frozen=True)
class Measured:
    """One engine's scan of the files."""

    engine: str
    run: Run
    reduce_s: float
    """The profile's "read and reduce": the shard stage and completing the aggregates."""
    ray_s: dict[str, float]
    """Ray's part of it: starting the runtime, the keys round, the reduce tasks."""
    stage_peaks_mb: dict[str, float]
    report: bytes


def split_log(source: Path, files: int) -> list[Path]:
    """`source` cut into `files` Parquet files of consecutive rows (made once)."""
    folder = DATA / f"{source.stem}_split{files}"
    if not folder.exists():
        partial = folder.with_name(folder.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", SPLIT, str(source), str(partial), str(files)], check=True)
        partial.rename(folder)
    return sorted(folder.glob("part-*.parquet"))


def measure(files: list[Path], engine: str, workers: int | None) -> Measured:
    """Scan `files` with `engine` in a child process (`workers`: Ray's CPUs)."""
    out = DATA / f"ray_bench_{engine}{workers or ''}.json"
    profile = out.with_suffix(".profile.json")
    extra = ["--engine", "ray", "--threads", str(workers)] if workers is not None else []
    run = run_measured([sys.executable, "-m", "distillscan", "scan", *map(str, files), "--format", "json",
                        "-o", str(out), "-q", "--profile", str(profile), *extra])
    stages = {entry["stage"]: entry for entry in json.loads(profile.read_text(encoding="utf-8"))["stages"]}
    return Measured(
        engine=f"ray, {workers} worker{'s' if workers != 1 else ''}" if workers is not None else "local",
        run=run,
        reduce_s=stages["read and reduce"]["seconds"],
        ray_s={name: stages[name]["seconds"] for name in RAY_STAGES if name in stages},
        stage_peaks_mb={name: stages[name]["peak_bytes"] / 2**20 for name in POST_AGGREGATION if name in stages},
        report=out.read_bytes(),
    )


def partial_sizes(files: list[Path]) -> dict[str, Any]:
    """Pieces, rows, distinct request keys, partial bytes per table and LZ4 IPC bytes."""
    result = subprocess.run([sys.executable, "-c", PARTIALS, *map(str, files)], capture_output=True, text=True,
                            check=True)
    sizes: dict[str, Any] = json.loads(result.stdout)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    files = split_log(ensure_log(args.rows, "parquet", args.seed), args.files)
    load = os.getloadavg()[0]
    runs = [measure(files, "local", None), *(measure(files, "ray", workers) for workers in args.workers)]
    sizes = partial_sizes(files)
    rows: int = sizes["rows"]
    identical = all(run.report == runs[0].report for run in runs)
    lines = [
        f"\n## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — Ray engine — {machine()}\n",
        f"{rows:,} rows in {len(files)} Parquet files ({sizes['pieces']} tasks); load average at start "
        f"{load:.1f}; "
        f"reports identical across engines: {'yes' if identical else 'NO'}\n",
        "| engine | wall s | read and reduce s | "
        + " | ".join(f"{name} s" for name in RAY_STAGES)
        + " | rows/s (wall) | driver peak MB | "
        + " | ".join(f"{name} peak MB" for name in POST_AGGREGATION) + " |",
        "|---|---|---|---|---|---|---|---|" + "---|" * len(POST_AGGREGATION),
    ]
    for run in runs:
        ray = " | ".join(f"{run.ray_s[name]:.1f}" if name in run.ray_s else "—" for name in RAY_STAGES)
        peaks = " | ".join(f"{run.stage_peaks_mb.get(name, 0):,.0f}" for name in POST_AGGREGATION)
        lines.append(
            f"| {run.engine} | {run.run.wall_s:.1f} | {run.reduce_s:.1f} | {ray} | {rows / run.run.wall_s:,.0f} | "
            f"{run.run.peak_rss_mb:,.0f} | {peaks} |"
        )
    tables: dict[str, int] = sizes["tables"]
    per_table = ", ".join(f"{name} {size / rows:.1f}" for name, size in tables.items())
    lines += [
        "",
        f"What tasks return, per request read: partial aggregates {sum(tables.values()) / rows:.1f} bytes "
        f"(Arrow, in memory: {per_table}; {sizes['lz4'] / rows:.1f} as LZ4-compressed Arrow IPC); "
        f"request keys {8 * sizes['keys'] / rows:.1f} bytes ({sizes['keys']:,} distinct).",
        "",
        "What the driver's stages after aggregation work on: "
        + ", ".join(f"{count:,} {name}" for name, count in sizes["driver"].items()) + ".",
    ]
    print("\n".join(lines), flush=True)
    if not identical:
        raise SystemExit("the engines' reports differ")
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
