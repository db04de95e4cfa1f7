"""End-to-end A/B: `distillscan scan` of one log by this checkout and by an earlier revision, alternately.

On a small shared machine the same scan moves by 20–30% from one hour to the next, so a
change is judged against its base in one sitting, their runs interleaved: round after
round, the base's scan, then this checkout's. The base is checked out into a temporary
git worktree; its compiled core is this checkout's when `rust/` is the same at both,
else built there with cargo (its dependencies kept under rust/target/ab-base). Each run
is a fresh process (`bench.run_measured`: wall time, CPU seconds, peak RSS) with
`--profile`, and the report says whether the two sides' outputs are byte-identical.

    python benchmarks/ab.py LOG.parquet --base 4f9c91c --rounds 2

Options after `--` go to both scans (`-- --threads 1`).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from bench import Run, run_measured

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORE_GLOB = "_core*.so"


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def installed_core() -> Path:
    """This checkout's compiled core (built by `pip install -e .`)."""
    found = sorted((REPO / "src" / "distillscan").glob(CORE_GLOB))
    if not found:
        raise SystemExit("no compiled core under src/distillscan: run `pip install -e .` first")
    return found[0]


def prepare_base(revision: str, folder: Path) -> Path:
    """A worktree of `revision` under `folder` with a compiled core; its `src` folder."""
    git("worktree", "add", "--detach", str(folder), revision)
    core = installed_core()
    target = folder / "src" / "distillscan" / core.name
    same_core = subprocess.run(["git", "diff", "--quiet", revision, "--", "rust"], cwd=REPO).returncode == 0
    if same_core:
        shutil.copy2(core, target)
    else:
        build_dir = REPO / "rust" / "target" / "ab-base"
        subprocess.run(
            ["cargo", "build", "--release", "--manifest-path", str(folder / "rust" / "Cargo.toml"),
             "--target-dir", str(build_dir)],
            check=True,
        )
        shutil.copy2(build_dir / "release" / "lib_core.so", target)
    return folder / "src"


def scan_run(src: Path, log: Path, out: Path, profile: Path, extra: Sequence[str]) -> Run:
    command = [
        "env", f"PYTHONPATH={src}", sys.executable, "-m", "distillscan", "scan", str(log),
        "--format", "json", "-o", str(out), "-q", "--profile", str(profile), *extra,
    ]
    return run_measured(command)


def stage_seconds(profile: Path) -> dict[str, float]:
    return {stage["stage"]: stage["seconds"] for stage in json.loads(profile.read_text(encoding="utf-8"))["stages"]}


def report(
    log: Path, revision: str, runs: dict[str, list[Run]], stages: dict[str, list[dict[str, float]]], identical: bool
) -> str:
    changed = git("status", "--porcelain", "--untracked-files=no")
    head = git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")
    lines = [
        f"\n## A/B {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {log.name}: {revision} against {head}\n",
        "| side | round | wall s | CPU s | peak MB |",
        "|---|---|---|---|---|",
    ]
    for side, measured in runs.items():
        lines += [
            f"| {side} | {index} | {run.wall_s:.1f} | {run.cpu_s:.1f} | {run.peak_rss_mb:,.0f} |"
            for index, run in enumerate(measured, 1)
        ]
    walls = {side: statistics.median(run.wall_s for run in measured) for side, measured in runs.items()}
    lines.append(
        f"\nMedian wall: base {walls['base']:.1f} s, head {walls['head']:.1f} s "
        f"({walls['head'] / walls['base'] - 1:+.1%}). Outputs {'byte-identical' if identical else 'DIFFER'}.\n"
    )
    names = list(dict.fromkeys([*stages["base"][0], *stages["head"][0]]))
    lines += ["| stage | base (median s) | head (median s) |", "|---|---|---|"]
    for name in names:
        # A stage one side does not mark (it came in later, or went) reads as a dash.
        medians = [
            f"{statistics.median(profile[name] for profile in stages[side]):.1f}" if name in stages[side][0] else "—"
            for side in ("base", "head")
        ]
        lines.append(f"| {name} | {medians[0]} | {medians[1]} |")
    return "\n".join(lines) + "\n"


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The harness's own options, and in `scan_args` what follows `--`: options for both
    scans (argparse alone reads `-- --threads 1` after the options as unknown)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--base", required=True, help="the git revision to compare this checkout against")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--results", type=Path, default=None, help="also append the tables to this file")
    argv = list(argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.scan_args = argv[cut + 1:]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="distillscan-ab-") as scratch:
        work = Path(scratch)
        base_src = prepare_base(args.base, work / "base")
        try:
            sources = {"base": base_src, "head": REPO / "src"}
            runs: dict[str, list[Run]] = {"base": [], "head": []}
            stages: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
            for round_index in range(args.rounds):
                for side, src in sources.items():
                    profile = work / f"{side}-{round_index}.profile.json"
                    runs[side].append(scan_run(src, args.log, work / f"{side}.json", profile, args.scan_args))
                    stages[side].append(stage_seconds(profile))
            identical = filecmp.cmp(work / "base.json", work / "head.json", shallow=False)
        finally:
            git("worktree", "remove", "--force", str(work / "base"))
    text = report(args.log, args.base, runs, stages, identical)
    print(text)
    if args.results is not None:
        with args.results.open("a", encoding="utf-8") as results:
            results.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
