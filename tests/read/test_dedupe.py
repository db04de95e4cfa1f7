"""Repeated requests count once: in a batch, across batches, shards and files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from distillscan import _core
from distillscan.cli.main import main
from distillscan.engine.shard_stage import aggregate_shards
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import analyse_frame, scan
from distillscan.read import discover_sources, iter_shards
from distillscan.read.dedupe import SeenRequests, request_keys, unique_batches
from tests.helpers import assert_same_aggregates, at, requests_frame


def _row(
    request_id: str | None, account: str = "a", prompt: str = "solve 1", hours: float = 0, **extra: Any
) -> dict[str, Any]:
    return {"request_id": request_id, "account_id": account, "prompt": prompt, "timestamp": at(hours=hours), **extra}


def _kept(frame: pl.DataFrame, batch_rows: int = 2) -> pl.DataFrame:
    return pl.concat(list(unique_batches(frame.lazy(), SeenRequests(), batch_rows)))


def test_repeats_are_dropped_within_and_across_batches_first_kept() -> None:
    frame = requests_frame([
        _row("r1", hours=0, ip="10.0.0.1"),
        _row("r2"),
        _row("r1", hours=5, ip="10.0.0.9"),  # a retry logged later: same request
        _row("r3"),
        _row("r2"),
    ])
    seen = SeenRequests()
    kept = pl.concat(list(unique_batches(frame.lazy(), seen, 2)))
    assert kept["request_id"].to_list() == ["r1", "r2", "r3"]
    assert kept.row(0, named=True)["ip"] == "10.0.0.1"  # the first in input order wins
    assert seen.dropped == 2 and len(seen) == 3


def test_rows_without_a_request_id_are_never_dropped() -> None:
    frame = requests_frame([_row(None), _row(None), _row(""), _row("  "), _row("")])
    assert _kept(frame).height == 5


def test_same_id_with_other_content_is_another_request() -> None:
    # Batch APIs reuse client-chosen ids (custom_id 'request-1' in every batch).
    frame = requests_frame([
        _row("request-1", account="a", prompt="p1"),
        _row("request-1", account="b", prompt="p1"),
        _row("request-1", account="a", prompt="p2"),
        _row("request-1", account="a", prompt="p1", model="other"),
        _row("request-1", account="a", prompt="p1", system="be brief"),
        _row("request-1", account="a", prompt="p1"),
    ])
    assert _kept(frame).height == 5


def test_values_swapped_between_columns_give_different_keys() -> None:
    frame = requests_frame([_row("x", account="y"), _row("y", account="x")])
    keys = request_keys(frame)
    assert keys.n_unique() == 2 and keys.null_count() == 0


IDS = st.sampled_from(["r1", "r2", "r3", "", None])
ROWS = st.lists(st.tuples(IDS, st.sampled_from(["a", "b"]), st.sampled_from(["p", "q"])), max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, batch_rows=st.integers(min_value=1, max_value=7))
def test_kept_rows_match_a_plain_python_reading(rows: list[tuple[str | None, str, str]], batch_rows: int) -> None:
    frame = requests_frame(
        [_row(rid, account=acct, prompt=prompt, turn=i) for i, (rid, acct, prompt) in enumerate(rows)]
    )
    seen_keys: set[tuple[str, str, str]] = set()
    expected: list[int] = []
    for index, (rid, acct, prompt) in enumerate(rows):
        if rid is None or not rid.strip():
            expected.append(index)
        elif (rid, acct, prompt) not in seen_keys:
            seen_keys.add((rid, acct, prompt))
            expected.append(index)
    seen = SeenRequests()
    kept = list(unique_batches(frame.lazy(), seen, batch_rows))
    order = [] if not kept else pl.concat(kept)["turn"].to_list()
    assert order == expected
    assert seen.dropped == len(rows) - len(expected)


def test_memory_is_eight_bytes_per_distinct_request_in_few_runs() -> None:
    n, batch = 100_000, 1_000
    frame = pl.DataFrame({"request_id": [f"req-{i}" for i in range(n)]}).with_columns(
        account_id=pl.lit("a"), model=pl.lit(None, pl.String), system=pl.lit(None, pl.String),
        prompt=pl.lit("p"),
    )
    seen = SeenRequests()
    for start in range(0, n, batch):
        seen.first_sightings(frame.slice(start, batch))
    again = seen.first_sightings(frame.slice(n // 2, batch))  # every one already seen
    assert again.height == 0 and seen.dropped == batch
    assert len(seen) == n
    assert seen.memory_bytes() <= 8 * n + 1024
    assert seen.runs <= math.log2(n / batch) + 2


# ---------------------------------------------------------------------------
# Through scan: every aggregate, any file order or split, reported in the summary
# ---------------------------------------------------------------------------


def _log_rows() -> list[dict[str, Any]]:
    return [
        {
            "request_id": f"req-{account}-{j}",
            "account_id": f"acct-{account}",
            "timestamp": at(hours=j, minutes=account),
            "prompt": f"Solve problem {j} step by step and show your work.",
            "system": "You are a careful solver.",
            "model": "m-1",
            "ip": f"10.0.{account}.1",
            "input_tokens": 10 + j,
            "output_tokens": 100,
        }
        for account in range(4)
        for j in range(30)
    ]


def test_duplicates_across_files_and_orders_give_identical_aggregates(tmp_path: Path) -> None:
    rows = _log_rows()
    unique = requests_frame(rows)
    unique.write_parquet(tmp_path / "unique.parquet")
    baseline = scan([str(tmp_path / "unique.parquet")], ScanOptions())
    assert baseline.summary.rows_duplicate == 0

    retried = requests_frame(rows[::3])  # a third of the requests logged again, in other files
    unique.write_parquet(tmp_path / "a.parquet")
    retried.write_parquet(tmp_path / "b.parquet")
    pl.concat([retried, unique.reverse()]).write_ndjson(tmp_path / "c.jsonl")
    for paths in (["a.parquet", "b.parquet"], ["b.parquet", "a.parquet"], ["c.jsonl"], ["b.parquet", "c.jsonl"]):
        result = scan([str(tmp_path / name) for name in paths], ScanOptions())
        summary = result.summary
        assert summary.rows_read == len(rows), paths
        assert summary.rows_in == summary.rows_read + summary.rows_skipped + summary.rows_duplicate, paths
        assert_same_aggregates(result.aggregates, baseline.aggregates)
        assert result.report.groups.equals(baseline.report.groups), paths


def test_duplicates_across_jsonl_shards_count_once(tmp_path: Path) -> None:
    rows = _log_rows()
    path = tmp_path / "log.jsonl"
    requests_frame(rows + rows).write_ndjson(path)
    seen = SeenRequests()
    shards = iter_shards(discover_sources([str(path)]), batch_bytes=2_000)
    aggregates, tally = aggregate_shards(shards, seen=seen)
    assert tally.rows_in == 2 * len(rows)
    assert seen.dropped == len(rows)
    assert len(seen) == 0  # its keys are no use once every shard is read
    assert aggregates.accounts["n"].sum() == len(rows)


def test_analyse_frame_counts_repeats_once() -> None:
    rows = _log_rows()
    report, _ = analyse_frame(requests_frame(rows + rows[:40]))
    assert report.groups["n_requests"].sum() == len(rows)


def test_summary_reports_dropped_duplicates(tmp_path: Path) -> None:
    rows = _log_rows()
    path = tmp_path / "log.parquet"
    requests_frame(rows + rows[:7]).write_parquet(path)
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "json", "--min-severity", "info"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["rows_in"], summary["rows_read"], summary["rows_skipped"], summary["rows_duplicate"]) == (
        len(rows) + 7, len(rows), 0, 7
    )
    table = CliRunner().invoke(main, ["scan", str(path), "--min-severity", "info"])
    assert "7 duplicate rows dropped" in table.stdout


def test_without_request_ids_nothing_is_dropped(tmp_path: Path) -> None:
    rows = [{key: value for key, value in row.items() if key != "request_id"} for row in _log_rows()]
    path = tmp_path / "log.parquet"
    requests_frame(rows + rows).write_parquet(path)
    summary = scan([str(path)], ScanOptions()).summary
    assert summary.rows_read == 2 * len(rows) and summary.rows_duplicate == 0


@pytest.mark.parametrize("split", [1, 7, 200])
def test_batch_size_does_not_change_what_is_kept(split: int) -> None:
    rows = _log_rows()
    frame = requests_frame(rows + rows[5:50] + rows[:3])
    assert_frame_equal(_kept(frame, split), requests_frame(rows))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=120),
    st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=4),
    st.integers(1, 3),
)
def test_the_core_keeps_each_unseen_key_in_its_first_row(
    keys: list[int | None], runs: list[list[int]], chunks: int
) -> None:
    seen = {key for run in runs for key in run}
    want_kept, want_fresh = [], set()
    for key in keys:
        new = key is None or (key not in seen and key not in want_fresh)
        want_kept.append(new)
        if key is not None and new:
            want_fresh.add(key)
    columns = []
    for run in runs:
        ordered = sorted(run)
        step = max(1, len(ordered) // chunks)
        pieces = [pl.Series("run", ordered[start:start + step], dtype=pl.UInt64) for start in range(0, len(ordered), step)]
        columns.append(pl.concat(pieces, rechunk=False) if pieces else pl.Series("run", [], dtype=pl.UInt64))
    kept, fresh = _core.first_sightings(pl.Series("keys", keys, dtype=pl.UInt64), columns)
    assert pl.DataFrame(kept).get_column("kept").to_list() == want_kept
    assert pl.DataFrame(fresh).get_column("fresh").to_list() == sorted(want_fresh)


def test_runs_merge_in_order_and_unsorted_ones_are_refused() -> None:
    merged = _core.merge_sorted(pl.Series([1, 5], dtype=pl.UInt64), pl.Series([2, 5, 9], dtype=pl.UInt64))
    assert pl.DataFrame(merged).get_column("key").to_list() == [1, 2, 5, 5, 9]
    with pytest.raises(ValueError, match="not sorted"):
        _core.merge_sorted(pl.Series([5, 3], dtype=pl.UInt64), pl.Series([1], dtype=pl.UInt64))
