"""Writing: Parquet and JSONL round trips, byte determinism, ground truth, the committed sample log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from distillscan.synth import (
    BENIGN_KINDS,
    CAMPAIGN_KINDS,
    SYNTH_SCHEMA,
    SynthConfig,
    generate_batches,
    ground_truth,
    write_synthetic,
)

SMALL = SynthConfig(n_requests=10_000, seed=5)
SAMPLE_LOGS = Path(__file__).parent.parent.parent / "sample_logs"


def test_ground_truth_covers_exactly_the_accounts_in_the_log(log: pl.DataFrame, truth: pl.DataFrame) -> None:
    assert truth.columns == ["account_id", "label", "kind", "entity_id"]
    assert truth["account_id"].is_unique().all()
    assert set(truth["account_id"]) == set(log["account_id"])
    assert set(truth["kind"]) == set(BENIGN_KINDS) | set(CAMPAIGN_KINDS)
    expected = pl.when(pl.col("kind").is_in(list(CAMPAIGN_KINDS))).then(pl.lit("campaign")).otherwise(pl.lit("benign"))
    assert truth.select((pl.col("label") == expected).all()).item()


def test_parquet_and_jsonl_round_trip_to_the_same_rows(tmp_path: Path) -> None:
    expected = pl.concat(list(generate_batches(SMALL)))
    parquet = write_synthetic(SMALL, tmp_path / "log.parquet", "parquet", truth_path=tmp_path / "truth.csv")
    jsonl = write_synthetic(SMALL, tmp_path / "log.jsonl", "jsonl")
    assert parquet == jsonl
    assert parquet.rows == expected.height
    assert sum(k.rows for k in parquet.kinds.values()) == expected.height
    assert parquet.accounts == expected["account_id"].n_unique()
    assert pl.read_parquet(tmp_path / "log.parquet").equals(expected)

    raw = (tmp_path / "log.jsonl").read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == expected.height
    first = json.loads(raw.split(b"\n", 1)[0])
    assert list(first) == list(SYNTH_SCHEMA)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first["timestamp"])
    parsed = pl.read_ndjson(tmp_path / "log.jsonl", schema={**SYNTH_SCHEMA, "timestamp": pl.String,
                                                            "account_created_at": pl.String})
    parsed = parsed.with_columns(
        pl.col("timestamp", "account_created_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us",
                                                                  time_zone="UTC"))
    assert parsed.equals(expected)

    truth = pl.read_csv(tmp_path / "truth.csv")
    assert truth.equals(ground_truth(SMALL))
    kinds = truth.group_by("kind").len()
    assert {kind: count.accounts for kind, count in parquet.kinds.items()} == dict(kinds.iter_rows())


def test_parquet_output_is_byte_deterministic(tmp_path: Path) -> None:
    write_synthetic(SMALL, tmp_path / "a.parquet")
    write_synthetic(SMALL, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_the_committed_sample_log_is_reproduced(tmp_path: Path) -> None:
    """sample_logs/ was written by `distillscan synth ... --rows 40000 --seed 2026 --truth ...`."""
    write_synthetic(SynthConfig(n_requests=40_000, seed=2026), tmp_path / "requests.parquet",
                    truth_path=tmp_path / "ground_truth.csv")
    assert (tmp_path / "ground_truth.csv").read_bytes() == (SAMPLE_LOGS / "ground_truth.csv").read_bytes()
    assert pl.read_parquet(tmp_path / "requests.parquet").equals(pl.read_parquet(SAMPLE_LOGS / "requests.parquet"))


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        write_synthetic(SMALL, Path("unused.csv"), "csv")  # type: ignore[arg-type]
