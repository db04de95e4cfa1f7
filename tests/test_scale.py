"""Scale-shaped inputs through the library: a 20 MB prompt, 100,000 one-request
accounts, one account with 5,000,000 requests.

The last two take tens of seconds on a 2-core machine and are marked `slow`: `.ci/run`
runs them, `pytest -m "not slow"` leaves them out while developing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.schema import CANONICAL_SCHEMA
from tests.helpers import START

HUGE_CHARS = 20_000_000


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame`'s columns cast to the canonical schema, the others null."""
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in CANONICAL_SCHEMA.items()
    )


# Runs in a child process, so that its peak memory is its own.
_HUGE_PROMPT_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    import polars as pl
    from distillscan.pipeline import ScanOptions, scan

    folder, chars = sys.argv[1], int(sys.argv[2])
    middle = "lorem ipsum 12345 dolor sit amet " * (chars // 33 + 1)
    head, tail = "Explain step by step how to audit this log. ", " Then answer in exactly one short paragraph, please."
    rows = pl.DataFrame({
        "request_id": ["r1", "r2"],
        "account_id": ["big-a", "big-b"],
        "timestamp": ["2026-05-01T00:00:00Z", "2026-05-01T00:01:00Z"],
        # different middles between the same edges: one frame (its skeleton stays short)
        "prompt": [head + middle[:chars] + tail, head + middle[7:chars + 7] + tail],
    })
    rows.write_parquet(f"{folder}/huge.parquet")
    rows.write_ndjson(f"{folder}/huge.jsonl")
    out = {}
    for name in ("huge.parquet", "huge.jsonl"):
        began = time.perf_counter()
        result = scan([f"{folder}/{name}"], ScanOptions())
        out[name] = {
            "seconds": time.perf_counter() - began,
            "rows_read": result.summary.rows_read,
            "accounts": result.summary.accounts,
            "frames": result.aggregates.frames.lazy().select(pl.len()).collect().item(),
            "skeleton_chars": result.aggregates.frames.lazy().select(pl.col("skeleton").str.len_chars().max()).collect().item(),
            "cot": int(result.aggregates.accounts["n_cot"].sum()),
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_mb"] = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
    print(json.dumps(out))
    """
)


def test_a_20mb_prompt_is_annotated_from_its_edges(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", _HUGE_PROMPT_CHILD, str(tmp_path), str(HUGE_CHARS)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert child.returncode == 0, child.stderr
    out = json.loads(child.stdout)
    for name in ("huge.parquet", "huge.jsonl"):
        run = out[name]
        assert run["rows_read"] == 2 and run["accounts"] == 2, name
        assert run["frames"] == 1 and run["skeleton_chars"] < 400, name  # edges only
        assert run["cot"] == 2, name
        assert run["seconds"] < 30, name  # about 0.5 s on a 2-core machine
    # Both 20 MB rows are held a few times over (file, read, slices); a per-character
    # blow-up would take gigabytes. Measured: about 0.5 GB, most of it Polars itself.
    assert out["peak_mb"] < 1500


@pytest.mark.slow
def test_100k_accounts_with_one_request_each(tmp_path: Path) -> None:
    n = 100_000
    rows = _canonical(
        pl.DataFrame({"i": pl.int_range(n, eager=True)}).select(
            account_id=pl.format("acct-{}", pl.col("i")),
            request_id=pl.format("req-{}", pl.col("i")),
            timestamp=pl.lit(START) + pl.duration(seconds=pl.col("i") * 17),
            # one template across every account: common evidence that must not link them
            prompt=pl.format("What is {} plus {}? Explain step by step.", pl.col("i"), pl.col("i") * 7),
        )
    )
    path = tmp_path / "accounts.parquet"
    rows.write_parquet(path)
    result = scan([str(path)], ScanOptions())
    summary, groups = result.summary, result.report.groups
    assert (summary.rows_in, summary.rows_read, summary.accounts) == (n, n, n)
    assert groups.height == n
    assert groups["n_accounts"].max() == 1 and groups["n_requests"].sum() == n
    assert groups["group_id"].n_unique() == n
    assert groups["rank"].to_list() == list(range(1, n + 1))


@pytest.mark.slow
def test_one_account_with_5m_requests(tmp_path: Path) -> None:
    n, retried = 5_000_000, 1_000
    rows = _canonical(
        pl.DataFrame({"i": pl.int_range(n, eager=True)}).select(
            account_id=pl.lit("whale"),
            request_id=pl.format("req-{}", pl.col("i")),
            timestamp=pl.lit(START) + pl.duration(seconds=pl.col("i") % (21 * 86_400)),
            prompt=pl.format("Solve problem {} step by step.", pl.col("i") % 1_000),
        )
    )
    path = tmp_path / "whale.parquet"
    pl.concat([rows, rows.tail(retried)]).write_parquet(path)
    del rows
    result = scan([str(path)], ScanOptions())
    summary, groups = result.summary, result.report.groups
    assert (summary.rows_in, summary.rows_read, summary.rows_duplicate) == (n + retried, n, retried)
    assert summary.accounts == 1 and groups.height == 1
    group = groups.row(0, named=True)
    assert (group["n_accounts"], group["n_requests"]) == (1, n)
    assert group["cot_share"] == 1.0
    assert result.aggregates.accounts["n"].to_list() == [n]
