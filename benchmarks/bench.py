"""Side-by-side benchmark: distillscan scan vs a plain Polars floor over the same file.

For each size and format it generates a labelled log with the project's own generator
(cached under benchmarks/data/, keyed by size, seed, text and volume), then runs, each
in its own process and one after the other:

1. the floor: a plain Polars streaming query that names the columns distillscan needs,
   groups by account and counts distinct hashes of the prompt's first 64 characters
   (Polars prunes it to the two columns it uses: the floor the targets were set on);
2. the floor over all columns: the same, with a cheap aggregate of every column
   distillscan reads, so that each is decoded (reported beside it, never instead);
3. `distillscan scan FILE --format json -o OUT -q --profile STAGES.json`, end to end;
4. with `--threads-compare`, the same scan with `--threads 1`.

It reports wall time, rows/s and peak RSS (the child's ru_maxrss) for each, the ratio
scan/floor, the load average when each measurement started, and the CPU seconds of
each with their ratio (a noisy neighbour slows wall time far more than it adds CPU
time, so the CPU ratio is the steadier one to compare across sessions, though the
targets are wall-time ones); then, from the profile,
a table per log of each stage's calls, seconds (inclusive of the stages nested in it),
share of the scan's wall time and peak resident MB. It prints the tables and appends
them, with the machine and the command line, to benchmarks/results.md.

    python benchmarks/bench.py --sizes 1000000 10000000 --formats parquet jsonl --text corpora

`--text builtin` (the default) writes prompts from the generator's own grammar, so the
benchmark runs anywhere; `--text corpora` draws them from real public prompt corpora,
`../shared/corpora` beside the repository or `--corpora DIR`. `--max-load L` waits,
before each measurement, until the 1-minute load average is at most L (on a shared
machine, a measurement started under load is not worth keeping).

`--volume K` measures a larger log of the same population: the accounts of each size,
each sending K times its traffic with fresh text (`distillscan synth --volume`), so rows
grow K-fold while accounts stay fixed: what memory follows.

    python benchmarks/bench.py --sizes 10000000 --volume 3

`--repeat K` is a harsher variant: the generated log repeated K times, each copy
shifted in time by the log's span (request ids made unique). Every prompt is then sent
K times, so no prompt stays a one-off: a worst case for the memory that follows
repeated frames, not a plausible log.

`--adversarial` measures, instead of each size's log, the same log in which the 1,000
accounts with the most requests each hold 2,500 distinct IPs (`--adversarial-accounts`,
`--adversarial-ips`): an account with fewer requests than that has its rows cycled
(copy k of a row: request and conversation ids suffixed `-ak`, k minutes later) up to
2,500, and the chosen accounts' requests take their IPs from a shared pool in
100.64.0.0/10 (a power of two, at least accounts × IPs / 10, so each address is held by
about ten of the accounts), each account walking it with its own odd stride from its
own start, so its IPs are distinct and any two accounts share a few. It is a worst case
for the (account, infrastructure value) table, which stays in memory, and for the
linker, whose candidate pairs come from shared IPs.

    python benchmarks/bench.py --sizes 1000000 --adversarial

`--row-group-rows N` measures each Parquet log rewritten with row groups of N rows (the
generator writes 200k; pyarrow's default is 1,048,576, Spark's about 128 MB): a slice
inside a row group decodes the whole group, so this is what readers of other writers'
files pay.

    python benchmarks/bench.py --sizes 10000000 --text corpora --row-group-rows 1048576
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final, TypeVar

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results.md"
CORPORA = HERE.parent.parent / "shared" / "corpora"
# Each address of the adversarial pool is held by about this many of the chosen accounts.
IP_HOLDERS: Final = 10
LOAD_POLL_SECONDS: Final = 15.0

# What both floors start with: the log scanned lazily, Parquet or NDJSON.
_FLOOR_SCAN = """
import sys, polars as pl
path, fmt = sys.argv[1], sys.argv[2]
scan = pl.scan_parquet(path) if fmt == "parquet" else pl.scan_ndjson(path, infer_schema_length=10000)
"""

FLOOR_QUERY = _FLOOR_SCAN + """needed = ["account_id", "timestamp", "prompt", "system", "model", "ip", "user_agent",
          "payment_fingerprint", "org_id", "account_created_at", "temperature", "max_tokens", "turn"]
out = (
    scan.select(needed)
    .group_by("account_id")
    .agg(pl.col("prompt").str.slice(0, 64).hash().n_unique().alias("frames"), pl.len())
    .collect(engine="streaming")
)
print(out.height)
"""

# The floor above names the columns distillscan reads, but Polars prunes the unused ones
# from the scan (its plan reads 2 of them). This one makes each of the 17 count,
# with one cheap per-account aggregate apiece: what merely decoding them all costs.
FLOOR_ALL_COLUMNS_QUERY = _FLOOR_SCAN + """out = (
    scan.group_by("account_id")
    .agg(
        pl.col("prompt").str.slice(0, 64).hash().n_unique().alias("frames"), pl.len(),
        pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"),
        pl.col("system").hash().n_unique(), pl.col("model").n_unique(), pl.col("ip").n_unique(),
        pl.col("user_agent").n_unique(), pl.col("payment_fingerprint").n_unique(),
        pl.col("org_id").n_unique(), pl.col("account_created_at").min(),
        pl.col("temperature").mean(), pl.col("max_tokens").n_unique(), pl.col("turn").max(),
        pl.col("request_id").hash().max(), pl.col("conversation_id").n_unique(),
        pl.col("input_tokens").sum(), pl.col("output_tokens").sum(),
    )
    .collect(engine="streaming")
)
print(out.height)
"""

Result = TypeVar("Result")


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_rss_mb: float
    exit_code: int = 0
    load: float = 0.0
    """The 1-minute load average when the command started."""
    cpu_s: float = 0.0
    """User plus system CPU seconds of the command (its children included): less moved
    than wall time by other work on a shared machine, though not unmoved (caches, clock)."""

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
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)
"""


def quiet_load(max_load: float | None) -> float:
    """The 1-minute load average, once it is at most `max_load` (polled; no wait if None)."""
    load = os.getloadavg()[0]
    waited = 0.0
    while max_load is not None and load > max_load:
        if waited % 60 == 0:
            print(f"load {load:.2f} > {max_load}: waiting", file=sys.stderr, flush=True)
        time.sleep(LOAD_POLL_SECONDS)
        waited += LOAD_POLL_SECONDS
        load = os.getloadavg()[0]
    return load


def run_measured(command: list[str], *, may_fail: bool = False, max_load: float | None = None) -> Run:
    """Run a command once the machine is quiet (see `quiet_load`), returning its wall
    time, the peak RSS of the child process and the load average it started under.

    A failure stops the benchmark, unless `may_fail` (the floor: Polars' NDJSON scan
    holds about the file's size, so on a JSONL log larger than memory it is killed,
    and the scan is still measured)."""
    load = quiet_load(max_load)
    result = subprocess.run([sys.executable, "-c", RUNNER, *command], capture_output=True, text=True, check=True)
    wall, peak_kb, code, cpu = result.stdout.split()
    run = Run(wall_s=float(wall), peak_rss_mb=int(peak_kb) / 1024, exit_code=int(code), load=load, cpu_s=float(cpu))
    if run.failed and not may_fail:
        raise SystemExit(f"benchmark command {run.failure()}: {' '.join(command)}")
    return run


def in_child(function: Callable[..., Result], *args: object) -> Result:
    """`function(*args)` in a fresh interpreter, so that this process never holds a
    log's frames (see RUNNER) and never imports Polars."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(function, *args).result()


def text_key(corpora: Path | None) -> str:
    """The cache key of a log's prompt text: the built-in grammar, or the corpus folder's
    files by name and size (another folder, another log)."""
    if corpora is None:
        return "builtin"
    listing = "".join(f"{path.name}:{path.stat().st_size};" for path in sorted(corpora.glob("*.jsonl.gz")))
    return f"corpora-{hashlib.sha1(listing.encode()).hexdigest()[:8]}"


def ensure_log(
    rows: int, fmt: str, seed: int, volume: int = 1, corpora: Path | None = None, data: Path = DATA
) -> Path:
    """Generate (once) a labelled log of about `rows` × `volume` requests in `fmt`, from
    the accounts of `rows` (see `--volume`), prompts from `corpora` or the built-in text.

    The generator writes Parquet; the JSONL copy is the same rows re-encoded (see
    `as_format`), so both formats are measured over identical requests.
    """
    data.mkdir(parents=True, exist_ok=True)
    parquet = data / f"synth_{rows}_s{seed}_{text_key(corpora)}{f'_v{volume}' if volume > 1 else ''}.parquet"
    if not parquet.exists():
        partial = parquet.with_suffix(".parquet.partial")
        text = ["--text-from", str(corpora)] if corpora is not None else []
        subprocess.run(
            [sys.executable, "-m", "distillscan", "synth", str(partial), "--rows", str(rows), "--seed", str(seed),
             "--volume", str(volume), *text, "--truth", str(parquet.with_suffix(".truth.csv")),
             "--format", "parquet"],
            check=True,
        )
        partial.rename(parquet)
    return as_format(parquet, fmt)


def as_format(parquet: Path, fmt: str) -> Path:
    """`parquet` itself, or (made once) its rows re-encoded as JSONL by Polars, streamed."""
    if fmt == "parquet":
        return parquet
    jsonl = parquet.with_suffix(".jsonl")
    if not jsonl.exists():
        partial = jsonl.with_suffix(".jsonl.partial")
        in_child(_sink_jsonl, str(parquet), str(partial))
        partial.rename(jsonl)
    return jsonl


def _sink_jsonl(source: str, target: str) -> None:
    import polars as pl

    pl.scan_parquet(source).sink_ndjson(target)


def derived_log(source: Path, suffix: str, make: Callable[..., None], *args: object) -> Path:
    """`source` (Parquet) with `suffix` added to its name, made once by
    `make(source, partial target, *args)` in a child process."""
    target = source.with_name(f"{source.stem}_{suffix}.parquet")
    if not target.exists():
        in_child(make, str(source), f"{target}.partial", *args)
        Path(f"{target}.partial").rename(target)
    return target


def repeated_log(source: Path, copies: int) -> Path:
    """`source` (Parquet) repeated `copies` times, each copy later by the log's span."""
    return derived_log(source, f"x{copies}", _repeat, copies)


def _repeat(source: str, target: str, copies: int) -> None:
    import polars as pl

    log = pl.scan_parquet(source)
    first, last = log.select(first=pl.col("timestamp").min(), last=pl.col("timestamp").max()).collect().row(0)
    span = pl.duration(days=(last - first).days + 1)
    pl.concat([
        log.with_columns(timestamp=pl.col("timestamp") + span * copy, request_id=pl.col("request_id") + f"-{copy}")
        for copy in range(copies)
    ]).sink_parquet(target)


def regrouped_log(source: Path, group_rows: int) -> Path:
    """`source` (Parquet) rewritten with row groups of `group_rows` rows (made once)."""
    return derived_log(source, f"rg{group_rows}", _regroup, group_rows)


def _regroup(source: str, target: str, group_rows: int) -> None:
    import polars as pl

    pl.scan_parquet(source).sink_parquet(target, row_group_size=group_rows)


def ip_pool(accounts: int, ips: int) -> int:
    """Addresses in the adversarial pool: a power of two (so any odd stride walks all of
    it), at least `ips` and `accounts` × `ips` / IP_HOLDERS."""
    return 1 << max(accounts * ips // IP_HOLDERS, ips, 1).bit_length()


def adversarial_log(source: Path, accounts: int, ips: int) -> Path:
    """`source` (Parquet) with its `accounts` busiest accounts holding `ips` distinct IPs
    each (made once; see the module's docstring)."""
    return derived_log(source, f"adv{accounts}x{ips}", _adversarial, accounts, ips)


def _adversarial(source: str, target: str, accounts: int, ips: int) -> None:
    import polars as pl

    pool = ip_pool(accounts, ips)
    log = pl.scan_parquet(source)
    columns = log.collect_schema().names()
    chosen = (
        log.group_by("account_id").agg(held=pl.len())
        .sort(["held", "account_id"], descending=[True, False])
        .head(accounts)
        .with_columns(
            start=(pl.col("account_id").hash(seed=1) % pool).cast(pl.Int64),
            stride=(pl.col("account_id").hash(seed=2) % (pool // 2) * 2 + 1).cast(pl.Int64),
        )
    )
    rows = (
        log.join(chosen.select("account_id"), on="account_id")
        .sort("account_id", "timestamp", "request_id")
        .with_columns(row=pl.int_range(pl.len()).over("account_id"))
    )
    # Position p of an account's extended traffic is its row p mod held, copy p // held,
    # and its address number p mod ips, walked from the account's start by its stride.
    positions = chosen.select(
        "account_id", "held", "start", "stride", position=pl.int_ranges(0, pl.max_horizontal("held", ips))
    ).explode("position")
    address = (pl.col("start") + pl.col("position") % ips * pl.col("stride")) % pool
    copy_number = pl.col("copy")
    extended = (
        positions.with_columns(row=pl.col("position") % pl.col("held"), copy=pl.col("position") // pl.col("held"))
        .join(rows, on=["account_id", "row"])
        .with_columns(
            request_id=pl.when(copy_number > 0)
            .then(pl.format("{}-a{}", "request_id", copy_number))
            .otherwise("request_id"),
            conversation_id=pl.when(copy_number > 0)
            .then(pl.format("{}-a{}", "conversation_id", copy_number))
            .otherwise("conversation_id"),
            timestamp=pl.col("timestamp") + pl.duration(minutes=copy_number),
            ip=pl.format("100.{}.{}.{}", 64 + address // 65536, address // 256 % 256, address % 256),
        )
        .select(columns)
    )
    others = log.join(chosen.select("account_id"), on="account_id", how="anti")
    pl.concat([others, extended]).sort("timestamp", maintain_order=True).sink_parquet(target)


def _parquet_rows(path: str) -> int:
    import polars as pl

    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


def count_rows(path: Path, fmt: str) -> int:
    """Rows in the log: from Parquet metadata, in a child process; for JSONL, its lines
    (the generated files end every record with a newline), read in blocks."""
    if fmt == "parquet":
        return in_child(_parquet_rows, str(path))
    lines = 0
    with path.open("rb") as log:
        while block := log.read(1 << 24):
            lines += block.count(b"\n")
    return lines


def _polars_version() -> str:
    import polars

    return str(polars.__version__)


def machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {memory_gb:.0f} GB RAM, "
        f"Python {platform.python_version()}, Polars {in_child(_polars_version)}"
    )


@dataclass(frozen=True)
class Measured:
    """One log's floor, scan (with its stage profile) and, if asked, single-thread scan."""

    label: str
    fmt: str
    rows: int
    size_mb: float
    floor: Run
    floor_all_columns: Run
    scan: Run
    stages: list[dict[str, Any]]
    one_thread: Run | None


def measure(path: Path, fmt: str, label: str, threads_compare: bool, max_load: float | None) -> Measured:
    """The floor and the scan of `path` (and the scan on one thread), each in its own process."""
    rows = count_rows(path, fmt)
    floor = run_measured([sys.executable, "-c", FLOOR_QUERY, str(path), fmt], may_fail=True, max_load=max_load)
    floor_all_columns = run_measured(
        [sys.executable, "-c", FLOOR_ALL_COLUMNS_QUERY, str(path), fmt], may_fail=True, max_load=max_load
    )
    report, profile = path.with_suffix(".report.json"), path.with_suffix(".profile.json")
    scan_command = [sys.executable, "-m", "distillscan", "scan", str(path), "--format", "json", "-o", str(report), "-q"]
    scan = run_measured([*scan_command, "--profile", str(profile)], max_load=max_load)
    stages: list[dict[str, Any]] = json.loads(profile.read_text(encoding="utf-8"))["stages"]
    one_thread = run_measured([*scan_command, "--threads", "1"], max_load=max_load) if threads_compare else None
    return Measured(label, fmt, rows, path.stat().st_size / 2**20, floor, floor_all_columns, scan, stages, one_thread)


MAIN_HEADER = (
    "| rows | format | size MB | load at floor | floor s | floor rows/s | floor peak MB "
    "| load at scan | scan s | scan rows/s | scan peak MB | scan/floor | floor CPU s | scan CPU s | CPU scan/floor "
    "| floor, all columns s | scan/floor, all columns |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)
THREADS_HEADER = (
    "| rows | format | load at 1 thread | scan --threads 1 s | peak MB | scan, all threads s | speedup |\n"
    "|---|---|---|---|---|---|---|"
)
STAGES_HEADER = "| stage | calls | seconds | share of wall | peak MB |\n|---|---|---|---|---|"


def main_row(run: Measured) -> str:
    floor, scan = run.floor, run.scan
    floor_cells = (
        f"{floor.failure()} after {floor.wall_s:.1f} s | — | {floor.peak_rss_mb:,.0f}" if floor.failed
        else f"{floor.wall_s:.1f} | {run.rows / floor.wall_s:,.0f} | {floor.peak_rss_mb:,.0f}"
    )
    ratio = "—" if floor.failed else f"{scan.wall_s / floor.wall_s:.1f}×"
    cpu_ratio = "—" if floor.failed or floor.cpu_s <= 0 else f"{scan.cpu_s / floor.cpu_s:.1f}×"
    every = run.floor_all_columns
    every_cells = (
        f"{every.failure()} after {every.wall_s:.1f} s | —" if every.failed
        else f"{every.wall_s:.1f} | {scan.wall_s / every.wall_s:.1f}×"
    )
    return (
        f"| {run.label} | {run.fmt} | {run.size_mb:,.0f} | {floor.load:.2f} | {floor_cells} | {scan.load:.2f} | "
        f"{scan.wall_s:.1f} | {run.rows / scan.wall_s:,.0f} | {scan.peak_rss_mb:,.0f} | {ratio} | "
        f"{floor.cpu_s:.1f} | {scan.cpu_s:.1f} | {cpu_ratio} | {every_cells} |"
    )


def threads_row(run: Measured, one_thread: Run) -> str:
    return (
        f"| {run.label} | {run.fmt} | {one_thread.load:.2f} | {one_thread.wall_s:.1f} | "
        f"{one_thread.peak_rss_mb:,.0f} | {run.scan.wall_s:.1f} | {one_thread.wall_s / run.scan.wall_s:.2f}× |"
    )


def stage_table(run: Measured) -> str:
    rows = [
        f"| {stage['stage']} | {stage['calls']} | {stage['seconds']:.1f} | "
        f"{stage['seconds'] / run.scan.wall_s:.0%} | {stage['peak_bytes'] / 2**20:,.0f} |"
        for stage in run.stages
    ]
    return "\n".join([
        f"Stages of the scan of {run.rows:,} rows, {run.fmt} ({run.scan.wall_s:.1f} s, peak "
        f"{run.scan.peak_rss_mb:,.0f} MB; a stage's seconds include the stages nested in it):\n",
        STAGES_HEADER,
        *rows,
    ])


def describe(rows: int, args: argparse.Namespace) -> str:
    """How a benchmark log was made, when it is not a plain generated log."""
    made = []
    if args.volume > 1:
        made.append(f"accounts of {rows:,}, volume ×{args.volume}")
    if args.repeat > 1:
        made.append(f"{rows:,} ×{args.repeat}")
    if args.adversarial:
        pool = ip_pool(args.adversarial_accounts, args.adversarial_ips)
        made.append(
            f"adversarial: the {rows:,}-row log, {args.adversarial_accounts:,} accounts × "
            f"{args.adversarial_ips:,} IPs from a pool of {pool:,}"
        )
    if args.row_group_rows:
        made.append(f"row groups of {args.row_group_rows:,} rows")
    return f" ({'; '.join(made)})" if made else ""


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", choices=["parquet", "jsonl"], default=["parquet"])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--text", choices=["builtin", "corpora"], default="builtin",
                        help="prompt text: the generator's grammar, or real corpora (--corpora)")
    parser.add_argument("--corpora", type=Path, default=None,
                        help=f"with --text corpora: the corpus folder [default: {CORPORA}]")
    parser.add_argument("--volume", type=int, default=1,
                        help="each account of a size sends this many times its traffic, fresh text")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repeat each generated log this many times, shifted in time")
    parser.add_argument("--adversarial", action="store_true",
                        help="measure each log with its busiest accounts holding many distinct IPs each")
    parser.add_argument("--adversarial-accounts", type=int, default=1_000)
    parser.add_argument("--adversarial-ips", type=int, default=2_500)
    parser.add_argument("--row-group-rows", type=int, default=None,
                        help="measure each log rewritten with Parquet row groups of this many rows")
    parser.add_argument("--threads-compare", action="store_true", help="also scan with --threads 1")
    parser.add_argument("--max-load", type=float, default=None,
                        help="wait before each measurement until the 1-minute load average is at most this")
    parser.add_argument("--data", type=Path, default=DATA, help="where generated logs are cached")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the Markdown file the tables are appended to")
    args = parser.parse_args(argv)
    if sum([args.volume > 1, args.repeat > 1, args.adversarial]) > 1:
        parser.error("--volume, --repeat and --adversarial are separate measurements: give one")
    if args.row_group_rows is not None and args.row_group_rows < 1:
        parser.error("--row-group-rows must be at least 1")
    if args.corpora is not None and args.text != "corpora":
        parser.error("--corpora needs --text corpora")
    if args.text == "corpora":
        args.corpora = (args.corpora or CORPORA).resolve()
        if not args.corpora.is_dir():
            parser.error(f"no corpus folder at {args.corpora}: pass --corpora DIR")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    text = f"real prompt text from {args.corpora} ({text_key(args.corpora)})" if args.corpora else "built-in text"
    command = shlex.join(["python", "benchmarks/bench.py", *(sys.argv[1:] if argv is None else argv)])
    lines = [
        f"\n## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}\n",
        f"`{command}`: {text}, seed {args.seed}"
        + (f"; each measurement started at a load average ≤ {args.max_load}" if args.max_load else "")
        + ".\n",
        MAIN_HEADER,
    ]
    print("\n".join(lines), flush=True)
    measured: list[Measured] = []
    for rows in args.sizes:
        for fmt in args.formats:
            parquet = ensure_log(rows, "parquet", args.seed, args.volume, args.corpora, args.data)
            if args.repeat > 1:
                parquet = repeated_log(parquet, args.repeat)
            if args.adversarial:
                parquet = adversarial_log(parquet, args.adversarial_accounts, args.adversarial_ips)
            if args.row_group_rows:
                parquet = regrouped_log(parquet, args.row_group_rows)
            path = as_format(parquet, fmt)
            label = f"{count_rows(path, fmt):,}{describe(rows, args)}"
            run = measure(path, fmt, label, args.threads_compare, args.max_load)
            measured.append(run)
            print(main_row(run), flush=True)
            lines.append(main_row(run))
    tail = []
    if args.threads_compare:
        cpus = os.cpu_count()
        tail += [
            f"\nThe scan on one thread against all threads ({cpus} CPUs; `--threads 1` limits Polars and the "
            "core's worker pool, while the threads that read the next batch and shard still run beside them):\n",
            THREADS_HEADER,
        ]
        tail += [threads_row(run, run.one_thread) for run in measured if run.one_thread is not None]
    for run in measured:
        tail += ["", stage_table(run)]
    print("\n".join(tail), flush=True)
    with args.results.open("a", encoding="utf-8") as results:
        results.write("\n".join(lines + tail) + "\n")


if __name__ == "__main__":
    main()
