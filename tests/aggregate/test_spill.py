"""Partial aggregates spilled to disk complete to exactly what memory gives; one-off
frames fold without changing any feature."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from distillscan.aggregate.complete import completion_queries, frame_count_query, repeated_frame_ids
from distillscan.aggregate.partial import batch_parts, combine_aggregates, empty_part
from distillscan.aggregate.profile import profile
from distillscan.aggregate.ranges import RANGE_KEYS, account_ranges, frame_ranges
from distillscan.aggregate.spill import PartialStore
from distillscan.aggregate.tables import MERGE_KEYS
from distillscan.fingerprint.cluster import cluster_templates
from distillscan.model.aggregates import TABLES, Aggregates
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.synth import SynthConfig, write_synthetic
from tests.helpers import assert_same_aggregates, at, requests_frame


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(120):
        rows.append({"request_id": f"c{i}", "account_id": f"bot-{i % 3}", "timestamp": at(hours=i % 40, minutes=i),
                     "prompt": f"Solve task {i} step by step. Show your reasoning before the final answer.",
                     "ip": f"10.0.{i % 2}.7"})
    for i in range(60):
        rows.append({"request_id": f"p{i}", "account_id": f"person-{i % 4}", "timestamp": at(days=i % 5, hours=9),
                     "prompt": f"{['why', 'how', 'when', 'what'][i % 4]} is the sky blue {'!' * (i % 7)} {i}?"})
    return rows


def _complete(store: PartialStore, frame: pl.DataFrame, batch_rows: int) -> Aggregates:
    for part in batch_parts(frame.lazy(), batch_rows):
        store.add(part)
    store.add(empty_part(frame.lazy()))
    return store.finish()


def test_spilled_chunks_complete_to_the_in_memory_result(tmp_path: Path) -> None:
    frame = requests_frame(_rows())
    in_memory = _complete(PartialStore(), frame, batch_rows=1_000)
    folder = tmp_path / "spill"
    folder.mkdir()
    with PartialStore(folder, merge_every=2) as store:
        spilled = _complete(store, frame, batch_rows=17)
        assert store.chunks_spilled >= 4
        assert any(folder.iterdir())
    assert not folder.exists()
    assert_same_aggregates(in_memory, spilled)


def test_each_batch_of_a_ranged_table_is_spilled_in_key_order_with_statistics(tmp_path: Path) -> None:
    """A range of keys reads only the row groups it overlaps if each batch's rows are in
    key order and the chunk carries min/max statistics."""
    folder = tmp_path / "spill"
    folder.mkdir()
    batch_rows = 60
    with PartialStore(folder, merge_every=2) as store:
        # Rows reversed: accounts first appear in descending id order.
        parts = list(batch_parts(requests_frame(_rows()[::-1]).lazy(), batch_rows))
        for part in parts:
            store.add(part)
        chunks = sorted(folder.iterdir())
        assert len(chunks) == 1
        for name, key in RANGE_KEYS.items():
            metadata = pq.ParquetFile(chunks[0] / f"{name}.parquet").metadata
            column = metadata.schema.names.index(key)
            for group in range(metadata.num_row_groups):
                assert metadata.row_group(group).column(column).statistics.has_min_max, name
            runs = [
                run.get_column(key).drop_nulls().to_list()
                for part in parts
                for run in (
                    getattr(part, name).partition_by("kind") if name == "account_values" else [getattr(part, name)]
                )
            ]
            assert max(len(set(values)) for values in runs) > 1, name
            for values in runs:
                assert values == sorted(values), name


def test_combined_parts_keep_their_keys_in_the_order_they_first_appear() -> None:
    """A Ray task's combined parts stay runs of key-ordered slices for the driver's spill."""
    parts = list(batch_parts(requests_frame(_rows()[::-1]).lazy(), 60))
    combined = combine_aggregates(parts)
    for name in RANGE_KEYS:
        keys = list(MERGE_KEYS[name])
        if name == "account_items":
            continue  # cut to each account's smallest items after summing
        stacked = pl.concat([getattr(part, name).select(keys) for part in parts])
        assert getattr(combined, name).select(keys).equals(stacked.unique(maintain_order=True)), name


@pytest.mark.parametrize("partition_rows", [1, 25, 10**9])
def test_completing_a_range_of_accounts_at_a_time_gives_the_same_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partition_rows: int
) -> None:
    frame = requests_frame(_rows())
    expected = _complete(PartialStore(), frame, batch_rows=1_000)
    monkeypatch.setattr("distillscan.aggregate.complete.PARTITION_ROWS", partition_rows)
    with PartialStore(tmp_path, merge_every=2) as store:
        assert_same_aggregates(_complete(store, frame, batch_rows=17), expected)


def test_account_ranges_cover_every_id_once_and_balance_requests() -> None:
    accounts = pl.DataFrame({"account_id": ["a", "b", "c", "d", "e"], "n": [50, 10, 10, 10, 20]})
    ranges = account_ranges(accounts, 2)
    ids = pl.DataFrame({"account_id": ["", "a", "aa", "b", "c", "cc", "d", "e", "z"]})
    membership = ids.select([r.alias(f"r{index}") for index, r in enumerate(ranges)])
    assert membership.select(pl.sum_horizontal(pl.all())).to_series().to_list() == [1] * ids.height
    # "a" alone holds half the requests: it ends the first range.
    assert ids.filter(ranges[0])["account_id"].to_list() == ["", "a", "aa"]
    assert len(account_ranges(accounts, 99)) == accounts.height
    assert len(account_ranges(accounts, 1)) == 1


def test_frame_ranges_cover_every_id_once_in_order() -> None:
    top = 2**64 - 1
    ids = pl.DataFrame({"frame_fp": [0, 1, top // 3 - 1, top // 3, 2**63, top - 1, top, None]},
                       schema={"frame_fp": pl.UInt64})
    ranges = frame_ranges(3)
    assert len(ranges) == 3
    membership = ids.select([r.fill_null(False).alias(f"r{index}") for index, r in enumerate(ranges)])
    assert membership.select(pl.sum_horizontal(pl.all())).to_series().to_list() == [1] * ids.height
    # Contiguous and in order, the null (sorted last) in the last range.
    assert [ids.filter(r)["frame_fp"].to_list() for r in ranges] == [
        [0, 1, top // 3 - 1], [top // 3, 2**63], [top - 1, top, None]
    ]
    assert len(frame_ranges(1)) == 1


def test_restore_forgets_what_came_after_the_checkpoint(tmp_path: Path) -> None:
    frame = requests_frame(_rows())
    expected = _complete(PartialStore(), frame, batch_rows=1_000)
    folder = tmp_path / "spill"
    folder.mkdir()
    with PartialStore(folder, merge_every=2) as store:
        for part in batch_parts(frame.head(50).lazy(), 10):
            store.add(part)
        mark = store.checkpoint()
        for part in batch_parts(frame.tail(130).lazy(), 9):
            store.add(part)
        store.restore(mark)
        assert len(list(folder.iterdir())) == mark[0]
        got = _complete(store, frame.tail(130), batch_rows=13)
    assert_same_aggregates(expected, got)


def test_temporary_store_is_removed_even_when_the_scan_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(RuntimeError), PartialStore.temporary(merge_every=1) as store:
        for part in batch_parts(requests_frame(_rows()).lazy(), 50):
            store.add(part)
        assert store.chunks_spilled and any(tmp_path.iterdir())
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def _graded(answer: int) -> str:
    return f"Grade this answer: {answer * 7919}. " + "It argues at length. " * 40 + "Reply with a score."


def test_one_off_frames_fold_into_one_row_without_changing_features() -> None:
    rows = [
        # a shared template, 5 times, and two prompts no one else sends
        *[{"account_id": "a", "timestamp": at(hours=h), "prompt": _graded(h)}
          for h in range(5)],
        {"account_id": "a", "timestamp": at(hours=6), "prompt": "what time is it in tokyo"},
        {"account_id": "a", "timestamp": at(hours=7), "prompt": "recommend a novel about whales"},
        *[{"account_id": "b", "timestamp": at(hours=h), "prompt": _graded(10 + h)}
          for h in range(3)],
    ]
    aggregates = _complete(PartialStore(), requests_frame(rows), batch_rows=1_000)
    one_offs = aggregates.account_frames.filter(pl.col("frame_fp").is_null())
    assert one_offs.select("account_id", "n", "n_frames").rows() == [("a", 2, 2)]
    assert aggregates.frames["n"].to_list() == [8]
    features = profile(aggregates, cluster_templates(aggregates.frames.rename({"n": "n_requests"})))
    a = features.filter(pl.col("account_id") == "a").row(0, named=True)
    assert a["n_templates"] == 3
    assert a["top_template_share"] == pytest.approx(5 / 7)
    assert a["top3_template_share"] == pytest.approx(1.0)
    assert a["templated_share"] == pytest.approx(5 / 7)


def _fallback_nodes(query: pl.LazyFrame) -> list[str]:
    """Nodes of the streaming physical plan that fall back to the in-memory engine."""
    dot = query.show_graph(engine="streaming", plan_stage="physical", raw_output=True)
    legend = re.search(r'COLOR="([^"]+)">⬤</FONT> in-memory engine fallback', dot)
    assert legend is not None, "the plan legend changed: update this check"
    return re.findall(rf'label="([^"\n]*)[^"]*",style=filled,fillcolor="{re.escape(legend.group(1))}"', dot)


def test_the_fallback_check_sees_a_fallback() -> None:
    assert _fallback_nodes(pl.LazyFrame({"a": [1]}).map_batches(lambda frame: frame))


def test_completing_spilled_tables_streams_without_in_memory_fallback(tmp_path: Path) -> None:
    frame = requests_frame(_rows())
    with PartialStore(tmp_path / "spill", merge_every=1) as store:
        (tmp_path / "spill").mkdir()
        for part in batch_parts(frame.lazy(), 60):
            store.add(part)
        sources = {name: [pl.scan_parquet(chunk / f"{name}.parquet") for chunk in sorted((tmp_path / "spill").iterdir())]
                   for name in TABLES}
        queries = {"frame counts": frame_count_query(sources),
                   **completion_queries(sources, repeated_frame_ids(frame_count_query(sources)))}
        assert {name: _fallback_nodes(query) for name, query in queries.items()} == {name: [] for name in queries}


def test_a_scan_that_spills_reports_what_an_in_memory_scan_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample log (39k requests) read in 2,000-row batches, two batches a chunk: the
    scan spills ~10 chunks to a temporary folder, removes it, and ranks the same groups."""
    import distillscan.engine.shard_stage as shard_stage
    import distillscan.pipeline as pipeline
    from distillscan.report.formats import render_json

    sample = str(Path(__file__).parents[2] / "sample_logs")
    whole = pipeline.scan([sample], pipeline.ScanOptions())
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setattr(shard_stage, "batch_parts", lambda piece, read_rows=None: batch_parts(piece, 2_000, read_rows))
    chunks: list[int] = []
    original = PartialStore.finish

    def finish(store: PartialStore) -> Aggregates:
        chunks.append(store.chunks_spilled)
        return original(store)

    monkeypatch.setattr(PartialStore, "finish", finish)
    monkeypatch.setattr(PartialStore, "temporary", classmethod(
        lambda cls, merge_every=2, parent=None: cls(Path(tempfile.mkdtemp(dir=spills)), 2)))
    spilled = pipeline.scan([sample], pipeline.ScanOptions())
    assert chunks and chunks[0] >= 8
    # The spill folder is gone; the completed large tables are read from disk until closed.
    assert [path.name.split("-")[:2] for path in spills.iterdir()] == [["distillscan", "tables"]]
    assert isinstance(spilled.aggregates.account_frames, pl.LazyFrame)
    assert render_json(spilled, spilled.report.groups, None) == render_json(whole, whole.report.groups, None)
    spilled.close()
    assert list(spills.iterdir()) == []


def test_a_full_spill_disk_is_a_usage_error_naming_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from distillscan.errors import UsageError

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", disk_full)
    folder = tmp_path / "spill"
    folder.mkdir()
    with pytest.raises(UsageError, match=r"spill folder .*spill: No space left on device; pass --temp-dir \(or set TMPDIR\)"), \
            PartialStore(folder, merge_every=1) as store:
        for part in batch_parts(requests_frame(_rows()).lazy(), 50):
            store.add(part)
    assert not folder.exists()


def test_profiling_and_linking_a_range_of_keys_at_a_time_give_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.parquet"
    write_synthetic(SynthConfig(n_requests=10_000, seed=5), path)
    whole = scan([str(path)], ScanOptions())
    monkeypatch.setattr("distillscan.aggregate.ranges.RANGE_REQUESTS", 1_500)
    ranged = scan([str(path)], ScanOptions())
    assert whole.report.groups.height > 50
    assert whole.report.groups["n_accounts"].max() > 1  # groups are profiled by range too
    assert_frame_equal(whole.report.groups, ranged.report.groups)
    assert_frame_equal(whole.report.accounts, ranged.report.accounts)
    assert_frame_equal(whole.linkage.tokens, ranged.linkage.tokens)
    assert_frame_equal(whole.linkage.edges, ranged.linkage.edges)
