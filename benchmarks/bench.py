"""Side-by-side benchmark: distillscan scan vs a plain Polars floor over the same file.

For each size and format it generates a labelled log with the project's own generator
(cached under benchmarks/data/), then runs, each in its own process:

1. the floor: a plain Polars streaming query that reads the columns distillscan needs,
   groups by account and counts distinct hashes of the prompt's first 64 characters;
2. `distillscan scan FILE --format json -o OUT -q`, end to end.

It reports wall time, rows/s and peak RSS (the child's ru_maxrss) for both and the
ratio scan/floor, prints a table and appends it, with the machine, to
benchmarks/results.md.

    python benchmarks/bench.py --sizes 1000000 10000000 --formats parquet jsonl

`--volume K` measures a larger log of the same population: the generator builds the
accounts of each size and has each of them send K times its traffic with fresh text
(`distillscan synth --volume`), so rows grow K-fold while accounts stay fixed. This is
how to check that memory follows accounts and templates, not rows:

    python benchmarks/bench.py --sizes 10000000 --volume 3

`--repeat K` is a harsher variant: the generated log repeated K times, each copy
shifted in time by the log's span (request ids made unique). Every prompt is then sent
K times, so no prompt stays a one-off: a worst case for the memory that follows
repeated frames, not a plausible log.

    python benchmarks/bench.py --sizes 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results.md"

FLOOR_QUERY = """
import sys, polars as pl
path, fmt = sys.argv[1], sys.argv[2]
scan = pl.scan_parquet(path) if fmt == "parquet" else pl.scan_ndjson(path, infer_schema_length=10000)
needed = ["account_id", "timestamp", "prompt", "system", "model", "ip", "user_agent",
          "payment_fingerprint", "org_id", "account_created_at", "temperature", "max_tokens", "turn"]
out = (
    scan.select(needed)
    .group_by("account_id")
    .agg(pl.col("prompt").str.slice(0, 64).hash().n_unique().alias("frames"), pl.len())
    .collect(engine="streaming")
)
print(out.height)
"""


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_rss_mb: float
    exit_code: int = 0

    @property
    def failed(self) -> bool:
        return self.exit_code not in (0, 3)

    def failure(self) -> str:
        """How the command ended, for the table: a kill by the kernel (SIGKILL, what
        the out-of-memory killer sends) is said as such."""
        return "killed (SIGKILL: out of memory?)" if self.exit_code == -9 else f"failed (exit {self.exit_code})"


# Started by a small interpreter that imports nothing big: on Linux a child's ru_maxrss
# starts at the peak of the process it was forked from, so a parent that once held a
# large frame (counting rows of a multi-GB JSONL, say) would inflate every later peak.
RUNNER = """
import os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_measured(command: list[str], *, may_fail: bool = False) -> Run:
    """Run a command, returning its wall time and the peak RSS of the child process.

    A failure stops the benchmark, unless `may_fail` (the floor: Polars' NDJSON scan
    holds about the file's size, so on a JSONL log larger than memory it is killed,
    and the scan is still measured)."""
    result = subprocess.run([sys.executable, "-c", RUNNER, *command], capture_output=True, text=True, check=True)
    wall, peak_kb, code = result.stdout.split()
    run = Run(wall_s=float(wall), peak_rss_mb=int(peak_kb) / 1024, exit_code=int(code))
    if run.failed and not may_fail:
        raise SystemExit(f"benchmark command {run.failure()}: {' '.join(command)}")
    return run


def ensure_log(rows: int, fmt: str, seed: int, volume: int = 1) -> Path:
    """Generate (once) a labelled log of about `rows` × `volume` requests in `fmt`, from
    the accounts of `rows` (see `--volume`).

    The generator writes Parquet; the JSONL copy is the same rows re-encoded by Polars
    (streamed), so both formats are measured over identical requests.
    """
    DATA.mkdir(parents=True, exist_ok=True)
    parquet = DATA / f"synth_{rows}_{seed}{f'_v{volume}' if volume > 1 else ''}.parquet"
    if not parquet.exists():
        partial = parquet.with_suffix(".parquet.partial")
        subprocess.run(
            [sys.executable, "-m", "distillscan", "synth", str(partial), "--rows", str(rows),
             "--seed", str(seed), "--volume", str(volume),
             "--truth", str(parquet.with_suffix(".truth.csv")), "--format", "parquet"],
            check=True,
        )
        partial.rename(parquet)
    if fmt == "parquet":
        return parquet
    jsonl = parquet.with_suffix(".jsonl")
    if not jsonl.exists():
        partial = jsonl.with_suffix(".jsonl.partial")
        code = "import polars as pl, sys; pl.scan_parquet(sys.argv[1]).sink_ndjson(sys.argv[2])"
        subprocess.run([sys.executable, "-c", code, str(parquet), str(partial)], check=True)
        partial.rename(jsonl)
    return jsonl


def repeated_log(source: Path, copies: int) -> Path:
    """`source` (Parquet) repeated `copies` times, each copy later by the log's span."""
    target = source.with_name(f"{source.stem}_x{copies}.parquet")
    if not target.exists():
        code = (
            "import polars as pl, sys\n"
            "source, target, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
            "log = pl.scan_parquet(source)\n"
            "first, last = log.select(first=pl.col('timestamp').min(), last=pl.col('timestamp').max()).collect().row(0)\n"
            "span = pl.duration(days=(last - first).days + 1)\n"
            "pl.concat([log.with_columns(timestamp=pl.col('timestamp') + span * copy,\n"
            "                            request_id=pl.col('request_id') + f'-{copy}')\n"
            "           for copy in range(copies)]).sink_parquet(sys.argv[2] + '.partial')\n"
        )
        subprocess.run([sys.executable, "-c", code, str(source), str(target), str(copies)], check=True)
        Path(f"{target}.partial").rename(target)
    return target


def describe_size(rows: int, volume: int, repeat: int) -> str:
    """How a benchmark log was made, when it is not a plain generated log."""
    if volume > 1:
        return f" (accounts of {rows:,}, volume ×{volume})"
    if repeat > 1:
        return f" ({rows:,} ×{repeat})"
    return ""


def count_rows(path: Path, fmt: str) -> int:
    """Rows in the log: from Parquet metadata, in a child process (see RUNNER: this one
    stays small); for JSONL, its lines (the generated files end every record with a
    newline), read in blocks, as Polars' NDJSON scan holds about the file's size."""
    if fmt == "jsonl":
        lines = 0
        with path.open("rb") as log:
            while block := log.read(1 << 24):
                lines += block.count(b"\n")
        return lines
    code = "import polars as pl, sys; print(pl.scan_parquet(sys.argv[1]).select(pl.len()).collect().item())"
    return int(subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              check=True).stdout)


def machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    polars = subprocess.run([sys.executable, "-c", "import polars; print(polars.__version__)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {memory_gb:.0f} GB RAM, "
        f"Python {platform.python_version()}, Polars {polars}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", choices=["parquet", "jsonl"], default=["parquet"])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--volume", type=int, default=1,
                        help="each account of a size sends this many times its traffic, fresh text")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repeat each generated log this many times, shifted in time (Parquet only)")
    args = parser.parse_args()
    if args.repeat > 1 and args.formats != ["parquet"]:
        parser.error("--repeat works on Parquet logs only")
    if args.repeat > 1 and args.volume > 1:
        parser.error("--repeat and --volume are separate measurements: give one")
    lines = [
        f"\n## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}\n",
        "| rows | format | size MB | floor s | floor rows/s | floor peak MB | scan s | scan rows/s | scan peak MB | scan/floor |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for rows in args.sizes:
        for fmt in args.formats:
            path = ensure_log(rows, fmt, args.seed, args.volume)
            if args.repeat > 1:
                path = repeated_log(path, args.repeat)
            actual = count_rows(path, fmt)
            floor = run_measured([sys.executable, "-c", FLOOR_QUERY, str(path), fmt], may_fail=True)
            out = DATA / f"{path.stem}.report.json"
            scan = run_measured(
                [sys.executable, "-m", "distillscan", "scan", str(path), "--format", "json", "-o", str(out), "-q"]
            )
            floor_cells = (
                f"{floor.failure()} after {floor.wall_s:.1f} s | — | {floor.peak_rss_mb:,.0f}" if floor.failed
                else f"{floor.wall_s:.1f} | {actual / floor.wall_s:,.0f} | {floor.peak_rss_mb:,.0f}"
            )
            ratio = "—" if floor.failed else f"{scan.wall_s / floor.wall_s:.1f}×"
            line = (
                f"| {actual:,}{describe_size(rows, args.volume, args.repeat)} | {fmt} | "
                f"{path.stat().st_size / 2**20:,.0f} | {floor_cells} | {scan.wall_s:.1f} | "
                f"{actual / scan.wall_s:,.0f} | {scan.peak_rss_mb:,.0f} | {ratio} |"
            )
            print(line, flush=True)
            lines.append(line)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
