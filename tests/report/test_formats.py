"""The machine formats written in pieces: the same bytes as the whole document, whatever
the chunk of groups, and no group lost or repeated at a chunk's edge."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.pipeline import scan
from distillscan.report import documents, formats
from distillscan.report.documents import SCHEMA_VERSION, group_documents, json_text, summary_document
from distillscan.report.formats import csv_pieces, json_pieces, jsonl_pieces, write_parquet
from distillscan.triage.baseline import compare, parse_baseline

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs" / "requests.parquet")


@pytest.fixture(scope="module")
def sample() -> ScanResult:
    return scan([SAMPLE], ScanOptions())


def _whole_document(result: ScanResult, shown: pl.DataFrame) -> str:
    """The report as one `json.dumps`, the way it was written before it came in pieces."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, shown),
        "groups": group_documents(result, shown),
    }
    return json_text(document, indent=2) + "\n"


def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "GROUP_CHUNK", 3)
    monkeypatch.setattr(formats, "GROUP_CHUNK", 3)
    monkeypatch.setattr(formats, "_CSV_ROWS_PER_PIECE", 2)


def test_json_pieces_join_to_the_whole_document(sample: ScanResult, monkeypatch: pytest.MonkeyPatch) -> None:
    every_group = sample.report.groups
    assert every_group.height > 10  # several chunks below
    whole = _whole_document(sample, every_group)
    assert "".join(json_pieces(sample, every_group)) == whole
    _small_chunks(monkeypatch)
    pieces = list(json_pieces(sample, every_group))
    assert "".join(pieces) == whole and len(pieces) > every_group.height
    parsed = json.loads(whole)
    assert [group["group_id"] for group in parsed["groups"]] == every_group["group_id"].to_list()
    # No groups: an empty list, as json.dumps writes it.
    none = every_group.head(0)
    assert "".join(json_pieces(sample, none)) == _whole_document(sample, none)
    assert json.loads("".join(json_pieces(sample, none)))["groups"] == []


def test_jsonl_csv_and_parquet_do_not_depend_on_the_chunk(
    sample: ScanResult, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    every_group = sample.report.groups
    jsonl, table = "".join(jsonl_pieces(sample, every_group)), "".join(csv_pieces(sample, every_group))
    write_parquet(sample, every_group, tmp_path / "whole.parquet")
    _small_chunks(monkeypatch)
    assert "".join(jsonl_pieces(sample, every_group)) == jsonl
    assert "".join(csv_pieces(sample, every_group)) == table
    write_parquet(sample, every_group, tmp_path / "chunked.parquet")
    assert pl.read_parquet(tmp_path / "chunked.parquet").equals(pl.read_parquet(tmp_path / "whole.parquet"))
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [row["group_id"] for row in rows] == every_group["group_id"].to_list()
    assert len(jsonl.splitlines()) == every_group.height


def test_numbers_are_rounded_and_non_finite_values_are_null(sample: ScanResult) -> None:
    shown = sample.report.groups.head(2).with_columns(
        score=pl.Series([float("nan"), 0.123456789]), topic_focus=pl.Series([float("inf"), 2 / 3])
    )
    first, second = group_documents(sample, shown)
    assert first["score"] is None and first["features"]["topic_focus"] is None
    assert second["score"] == 0.1235 and second["features"]["topic_focus"] == 0.6667


def test_parquet_carries_each_groups_baseline_status(sample: ScanResult, tmp_path: Path) -> None:
    every_group = sample.report.groups
    report = json.loads("".join(json_pieces(sample, every_group)))
    baseline = parse_baseline(report, "b.json", SCHEMA_VERSION)
    compared = replace(sample, baseline=compare(sample.report, sample.linkage.membership, baseline))
    write_parquet(compared, every_group, tmp_path / "with.parquet")
    write_parquet(sample, every_group, tmp_path / "without.parquet")
    with_status, without = (pl.read_parquet(tmp_path / name) for name in ("with.parquet", "without.parquet"))
    assert "baseline_status" not in without.columns
    assert with_status.drop("baseline_status").equals(without)
    assert set(with_status["baseline_status"]) == {"unchanged"}
