"""The benchmark harness runs end to end on a tiny log and writes its tables (no timings checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


def test_the_harness_measures_an_adversarial_jsonl_log_and_appends_every_table(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    results.write_text("# earlier results\n", encoding="utf-8")
    command = [
        sys.executable, str(BENCH), "--sizes", "10000", "--formats", "jsonl", "--adversarial",
        "--adversarial-accounts", "5", "--adversarial-ips", "500", "--threads-compare",
        "--data", str(tmp_path / "data"), "--results", str(results),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)

    text = results.read_text(encoding="utf-8")
    assert text.startswith("# earlier results\n")  # appended, not overwritten
    assert "built-in text, seed 3" in text
    assert "| rows | format | size MB | load at floor | floor s |" in text
    assert "| floor CPU s | scan CPU s | CPU scan/floor |" in text
    assert "adversarial: the 10,000-row log, 5 accounts × 500 IPs from a pool of 512)" in text
    assert "| rows | format | load at 1 thread | scan --threads 1 s |" in text
    assert "| stage | calls | seconds | share of wall | peak MB |" in text
    for stage in ("read and reduce", "annotate", "link accounts", "score groups"):
        assert f"| {stage} | " in text
    # The log measured: the five busiest accounts hold 500 distinct IPs each, every request
    # id stays unique among the copies, and the JSONL holds the Parquet log's rows.
    [parquet] = (tmp_path / "data").glob("*_adv5x500.parquet")
    log = pl.read_parquet(parquet)
    held = log.group_by("account_id").agg(n=pl.len(), ips=pl.col("ip").n_unique()).sort("n", "ips", descending=True)
    assert held["ips"].head(5).to_list() == [500] * 5
    assert log.filter(pl.col("request_id").str.contains("-a")).height > 0
    assert pl.read_ndjson(parquet.with_suffix(".jsonl")).height == log.height


def test_corpora_folder_needs_the_corpora_text(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--corpora", str(tmp_path), "--results", str(tmp_path / "r.md")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2 and "--corpora needs --text corpora" in result.stderr


def test_the_harness_measures_a_log_rewritten_with_other_row_groups(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    command = [
        sys.executable, str(BENCH), "--sizes", "10000", "--row-group-rows", "3000",
        "--data", str(tmp_path / "data"), "--results", str(results),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert "(row groups of 3,000 rows)" in results.read_text(encoding="utf-8")
    [regrouped] = (tmp_path / "data").glob("*_rg3000.parquet")
    [generated] = (tmp_path / "data").glob("*_builtin.parquet")
    with pq.ParquetFile(regrouped) as written:
        sizes = [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)]
    assert set(sizes[:-1]) == {3000} and sizes[-1] <= 3000
    assert pl.read_parquet(regrouped).equals(pl.read_parquet(generated))


AB = BENCH.with_name("ab.py")


def test_the_ab_harness_scans_a_log_by_a_revision_and_by_this_checkout(tmp_path: Path) -> None:
    log = tmp_path / "log.parquet"
    subprocess.run(
        [sys.executable, "-m", "distillscan", "synth", str(log), "--rows", "10000", "--seed", "5"],
        check=True, capture_output=True, timeout=120,
    )
    results = tmp_path / "ab.md"
    worktrees_before = _ab_worktrees()
    done = subprocess.run(
        [sys.executable, str(AB), str(log), "--base", "HEAD", "--rounds", "2", "--results", str(results)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    text = results.read_text(encoding="utf-8")
    assert text in done.stdout
    assert "| side | round | wall s | CPU s | peak MB |" in text
    assert sum(line.startswith(("| base | ", "| head | ")) for line in text.splitlines()) == 4
    # HEAD's scan is this checkout's unless the working tree changed what it reads.
    assert "Outputs byte-identical." in text or "+changes" in text
    assert "| link accounts | " in text
    assert _ab_worktrees() == worktrees_before  # its base's worktree is removed


def _ab_worktrees() -> int:
    listing = subprocess.run(
        ["git", "worktree", "list"], cwd=AB.parents[1], check=True, capture_output=True, text=True
    ).stdout
    return listing.count("distillscan-ab-")


def test_the_ab_report_marks_a_stage_only_one_side_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(AB.parent))
    import ab
    from bench import Run

    runs = {side: [Run(wall_s=1.0, peak_rss_mb=10.0)] for side in ("base", "head")}
    stages = {"base": [{"annotate": 2.0}], "head": [{"annotate": 1.0, "link: item pairs": 0.5}]}
    text = ab.report(Path("log.parquet"), "HEAD", runs, stages, identical=True)
    assert "| annotate | 2.0 | 1.0 |" in text
    assert "| link: item pairs | — | 0.5 |" in text


def test_the_ab_harness_passes_what_follows_a_double_dash_to_both_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(AB.parent))
    import ab

    args = ab.arguments(["log.parquet", "--base", "HEAD", "--rounds", "1", "--", "--engine", "ray", "--threads", "1"])
    assert (args.log, args.base, args.rounds) == (Path("log.parquet"), "HEAD", 1)
    assert args.scan_args == ["--engine", "ray", "--threads", "1"]
    assert ab.arguments(["log.parquet", "--base", "HEAD"]).scan_args == []
