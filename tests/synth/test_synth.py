"""The synthetic generator: schema, determinism, ground truth, entity shapes, no label leaks."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from distillscan.synth import (
    BENIGN_KINDS,
    CAMPAIGN_KINDS,
    NEW_MODEL,
    OLD_MODEL,
    SYNTH_SCHEMA,
    SynthConfig,
    generate_batches,
    ground_truth,
    write_synthetic,
)

CONFIG = SynthConfig(n_requests=50_000, seed=11)
SMALL = SynthConfig(n_requests=10_000, seed=5)
RELEASE_HOUR = 17


@pytest.fixture(scope="module")
def log() -> pl.DataFrame:
    return pl.concat(list(generate_batches(CONFIG)))


@pytest.fixture(scope="module")
def truth() -> pl.DataFrame:
    return ground_truth(CONFIG)


@pytest.fixture(scope="module")
def labelled(log: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    return log.join(truth, on="account_id", how="left")


def release(config: SynthConfig) -> datetime:
    return config.start + timedelta(days=config.new_model_day, hours=RELEASE_HOUR)


def test_columns_and_dtypes_are_exactly_the_native_schema(log: pl.DataFrame) -> None:
    assert log.schema == pl.Schema(SYNTH_SCHEMA)
    assert list(log.columns) == [
        "request_id", "account_id", "org_id", "timestamp", "model", "system", "prompt", "conversation_id", "turn",
        "ip", "user_agent", "payment_fingerprint", "account_created_at", "input_tokens", "output_tokens",
        "temperature", "max_tokens",
    ]
    required = ["request_id", "account_id", "timestamp", "model", "prompt", "conversation_id", "turn", "ip",
                "user_agent", "payment_fingerprint", "account_created_at", "input_tokens", "output_tokens"]
    assert log.select(pl.col(required).null_count().sum()).row(0) == (0,) * len(required)


def test_row_count_is_within_ten_percent(log: pl.DataFrame) -> None:
    assert abs(log.height - CONFIG.n_requests) <= 0.1 * CONFIG.n_requests


def test_same_seed_gives_identical_rows_whatever_the_batch_size() -> None:
    first = list(generate_batches(SMALL, batch_rows=3_000))
    assert all(frame.height == 3_000 for frame in first[:-1]) and 0 < first[-1].height <= 3_000
    again = pl.concat(list(generate_batches(SMALL)))
    assert pl.concat(first).equals(again)


def test_a_different_seed_gives_different_rows() -> None:
    a = pl.concat(list(generate_batches(SMALL)))
    b = pl.concat(list(generate_batches(SynthConfig(n_requests=SMALL.n_requests, seed=SMALL.seed + 1))))
    assert set(a["account_id"]).isdisjoint(set(b["account_id"]))
    assert not a.select("prompt").head(1000).equals(b.select("prompt").head(1000))


def test_worker_processes_produce_the_same_rows() -> None:
    single = pl.concat(list(generate_batches(SMALL, workers=1)))
    parallel = pl.concat(list(generate_batches(SMALL, batch_rows=4_000, workers=2)))
    assert single.equals(parallel)


def test_volume_multiplies_each_accounts_traffic_with_fresh_text() -> None:
    once = pl.concat(list(generate_batches(SMALL)))
    config = SynthConfig(n_requests=SMALL.n_requests, seed=SMALL.seed, volume=3)
    thrice = pl.concat(list(generate_batches(config)))
    assert ground_truth(config).equals(ground_truth(SMALL))
    assert set(thrice["account_id"]) == set(once["account_id"])
    assert 2.7 * once.height <= thrice.height <= 3.3 * once.height
    per_account = (
        once.group_by("account_id").len()
        .join(thrice.group_by("account_id").len(), on="account_id", suffix="_thrice")
    )
    # Every account's volume grows: the rows are not piled onto a few of them.
    assert (per_account["len_thrice"] > per_account["len"]).mean() > 0.9
    # Fresh draws, not copies: distinct prompts grow with the rows.
    assert thrice["prompt"].n_unique() > 2.2 * once["prompt"].n_unique()
    assert thrice["request_id"].n_unique() > 0.99 * thrice.height
    assert pl.concat(list(generate_batches(config, batch_rows=7_000))).equals(thrice)


def test_ground_truth_covers_exactly_the_accounts_in_the_log(log: pl.DataFrame, truth: pl.DataFrame) -> None:
    assert truth.columns == ["account_id", "label", "kind", "entity_id"]
    assert truth["account_id"].is_unique().all()
    assert set(truth["account_id"]) == set(log["account_id"])
    assert set(truth["kind"]) == set(BENIGN_KINDS) | set(CAMPAIGN_KINDS)
    expected = pl.when(pl.col("kind").is_in(list(CAMPAIGN_KINDS))).then(pl.lit("campaign")).otherwise(pl.lit("benign"))
    assert truth.select((pl.col("label") == expected).all()).item()


def test_every_entity_exists_with_its_minimum_size(truth: pl.DataFrame) -> None:
    accounts = dict(truth.group_by("kind").len().iter_rows())
    minimum = {"hydra": 30, "cot_rubric": 8, "paraphrase": 12, "reseller_mixed": 2, "low_slow": 6,
               "popular_tool": 100, "nat": 60, "reseller": 3, "benchmark": 3, "enterprise": 4, "ordinary": 300}
    for kind, least in minimum.items():
        assert accounts[kind] >= least, kind
    assert accounts["hydra"] > max(n for kind, n in accounts.items() if kind != "ordinary" and kind != "hydra")
    assert accounts["cot_rubric"] <= 20 and accounts["paraphrase"] <= 60 and accounts["low_slow"] <= 20
    assert 2 <= accounts["reseller_mixed"] <= 4 and 3 <= accounts["reseller"] <= 5
    per_enterprise = truth.filter(pl.col("kind") == "enterprise").group_by("entity_id").len()
    assert 1 <= per_enterprise.height <= 2 and per_enterprise["len"].is_between(2, 4).all()


def test_campaign_share_of_rows(labelled: pl.DataFrame) -> None:
    share = labelled.select((pl.col("label") == "campaign").mean()).item()
    assert 0.2 <= share <= 0.3


def test_hydra_moves_about_half_its_traffic_within_a_day_of_release(labelled: pl.DataFrame) -> None:
    start = release(CONFIG)
    assert labelled.filter(pl.col("timestamp") < start)["model"].unique().to_list() == [OLD_MODEL]
    first_day = labelled.filter(pl.col("timestamp").is_between(start, start + timedelta(hours=24), closed="left"))
    share = first_day.group_by("kind").agg((pl.col("model") == NEW_MODEL).mean().alias("new"))
    new = dict(share.iter_rows())
    assert 0.4 <= new["hydra"] <= 0.55
    assert new["ordinary"] < 0.1 and new["nat"] < 0.15 and new["enterprise"] < 0.1
    later = labelled.filter(pl.col("timestamp") >= start + timedelta(days=5), pl.col("kind") == "ordinary")
    assert later.select((pl.col("model") == NEW_MODEL).mean()).item() > new["ordinary"]


def test_timestamps_lie_in_the_window_after_account_creation(log: pl.DataFrame) -> None:
    end = CONFIG.start + timedelta(days=CONFIG.days)
    assert log["timestamp"].min() >= CONFIG.start and log["timestamp"].max() < end
    assert log.select((pl.col("account_created_at") < pl.col("timestamp")).all()).item()


def test_request_ids_are_unique_except_exact_retry_duplicates(log: pl.DataFrame) -> None:
    duplicated = log.filter(pl.col("request_id").is_duplicated())
    assert duplicated.height == 2 * duplicated["request_id"].n_unique()
    assert duplicated.unique().height == duplicated["request_id"].n_unique()
    assert 0.0005 <= duplicated.height / 2 / log.height <= 0.005
    assert log["request_id"].str.contains(r"^req_[0-9a-f]{16}$").all()


def test_input_tokens_follow_characters_over_four(log: pl.DataFrame) -> None:
    chars = pl.col("system").str.len_chars().fill_null(0) + pl.col("prompt").str.len_chars()
    assert log.select(((pl.col("input_tokens") - chars / 4).abs() <= 4).all()).item()
    capped = log.filter(pl.col("max_tokens").is_not_null())
    assert capped.select((pl.col("output_tokens") <= pl.col("max_tokens")).all()).item()
    assert log["output_tokens"].min() >= 1


def test_conversations_are_numbered_from_one(log: pl.DataFrame) -> None:
    """Except where the window start cuts a conversation in two."""
    first = log.unique("request_id").group_by("conversation_id").agg(
        pl.col("turn").min().alias("first"), pl.col("turn").max().alias("last"), pl.len(),
        pl.col("timestamp").min().alias("opened"))
    first = first.filter(pl.col("opened") >= CONFIG.start + timedelta(hours=12))
    assert (first["first"] == 1).all()
    assert (first["last"] == first["len"]).all()


def test_ordinary_users_look_human(labelled: pl.DataFrame) -> None:
    ordinary = labelled.filter(pl.col("kind") == "ordinary")
    assert 0.3 <= ordinary.select((pl.col("turn") > 1).mean()).item() <= 0.5
    cot = ordinary.select(pl.col("prompt").str.contains("(?i)step by step|show your work|your reasoning").mean()).item()
    assert 0.03 <= cot <= 0.12
    assert ordinary.select(pl.col("temperature").is_null().mean()).item() > 0.3
    hours = ordinary.select(pl.col("timestamp").dt.hour().value_counts()).height
    assert hours == 24
    volume = ordinary.group_by("account_id").len()["len"]
    assert volume.max() > 8 * volume.median()


def test_hydra_is_load_balanced_over_shared_infrastructure(labelled: pl.DataFrame) -> None:
    hydra = labelled.filter(pl.col("kind") == "hydra")
    assert (hydra["turn"] == 1).all()
    assert 40 <= hydra["ip"].n_unique() <= 80
    subnets = hydra.select(pl.col("ip").str.replace(r"\.\d+$", "")).to_series().n_unique()
    assert 6 <= subnets <= 10
    assert 5 <= hydra["payment_fingerprint"].n_unique() <= 15
    assert 2 <= hydra["user_agent"].n_unique() <= 3
    assert hydra["temperature"].n_unique() == 1 and hydra["max_tokens"].n_unique() == 1
    cot = hydra.select(pl.col("prompt").str.contains("(?i)step by step|step-by-step|chain of reasoning").mean()).item()
    assert 0.55 <= cot <= 0.75
    by_hour = hydra.group_by(pl.col("timestamp").dt.hour()).len()["len"]
    assert by_hour.min() > 0.6 * by_hour.max()


def test_benign_look_alikes_have_their_hard_shapes(labelled: pl.DataFrame) -> None:
    enterprise = labelled.filter(pl.col("kind") == "enterprise")
    for _, rows in enterprise.group_by("entity_id"):
        assert rows["system"].n_unique() == 1 and rows["org_id"].n_unique() == 1
        assert rows["temperature"].n_unique() == 1 and rows["max_tokens"].n_unique() == 1
        assert rows["ip"].str.replace(r"\.\d+$", "").n_unique() == 1
    tool = labelled.filter(pl.col("kind") == "popular_tool")
    assert tool["system"].n_unique() == 1 and tool["account_id"].n_unique() >= 100
    assert tool["prompt"].str.starts_with("<user_request>").all()
    nat = labelled.filter(pl.col("kind") == "nat")
    assert nat["ip"].n_unique() <= 2 * nat["entity_id"].n_unique()
    assert nat["payment_fingerprint"].n_unique() == nat["account_id"].n_unique()
    bench = labelled.filter(pl.col("kind") == "benchmark")
    assert (bench["temperature"] == 0.0).all() and (bench["turn"] == 1).all()
    gap = pl.col("timestamp").diff().over("account_id") > timedelta(hours=1)
    runs = bench.sort("account_id", "timestamp").with_columns(run=gap.fill_null(False).cum_sum().over("account_id"))
    runs = runs.group_by("account_id", "run").agg(
        pl.len(), (pl.col("timestamp").max() - pl.col("timestamp").min()).alias("span"))
    assert 3 <= runs.height <= 4 and runs["len"].is_between(500, 3000).all()
    assert (runs["span"] <= timedelta(hours=3)).all()


def test_smaller_campaigns_have_their_shapes(labelled: pl.DataFrame) -> None:
    rubric = labelled.filter(pl.col("kind") == "cot_rubric")
    assert rubric["payment_fingerprint"].n_unique() <= 2 and rubric["ip"].n_unique() <= 3
    assert rubric["account_created_at"].dt.date().n_unique() <= 2
    para = labelled.filter(pl.col("kind") == "paraphrase")
    per_account = para.group_by("account_id").agg(pl.col("system").n_unique())
    assert (per_account["system"] == 1).all()
    assert para["system"].n_unique() == para["account_id"].n_unique()
    mixed = labelled.filter(pl.col("kind") == "reseller_mixed")
    templated = mixed.select(pl.col("prompt").str.starts_with("[screenshot]").mean()).item()
    assert 0.15 <= templated <= 0.5
    slow = labelled.filter(pl.col("kind") == "low_slow").group_by("account_id").len()
    assert (slow["len"] <= 30 * CONFIG.days).all()


def test_no_field_tells_campaign_from_benign_by_itself(labelled: pl.DataFrame) -> None:
    benign = labelled.filter(pl.col("label") == "benign")
    campaign = labelled.filter(pl.col("label") == "campaign")
    id_format = r"^acct_[0-9a-f]{12}$"
    assert labelled["account_id"].str.contains(id_format).all()
    assert set(campaign["user_agent"]) <= set(benign["user_agent"])
    assert set(campaign["model"]) == set(benign["model"]) == {OLD_MODEL, NEW_MODEL}
    assert set(campaign["temperature"].drop_nulls()) <= set(benign["temperature"].drop_nulls())
    assert set(campaign["max_tokens"].drop_nulls()) <= set(benign["max_tokens"].drop_nulls())
    for column, pattern in (("payment_fingerprint", r"^pf_[0-9a-f]{16}$"), ("ip", r"^\d+\.\d+\.\d+\.\d+$"),
                            ("conversation_id", r"^conv_[0-9a-f]{16}$")):
        assert labelled[column].str.contains(pattern).all(), column
    first_octets = labelled.select(pl.col("ip").str.extract(r"^(\d+)").cast(pl.Int32))
    assert first_octets.filter(pl.col("ip").is_in([0, 10, 127]) | (pl.col("ip") >= 224)).height == 0
    org_null = labelled.unique("account_id").group_by("label").agg(pl.col("org_id").is_null().mean())
    assert org_null["org_id"].is_between(0.15, 0.5).all()


def test_text_covers_every_topic_for_both_labels(labelled: pl.DataFrame) -> None:
    topics = {
        "coding": r"```|def |function ", "agentic": r"(?i)\btool|agent", "math": r"(?i)solve|probability|integral",
        "data": r"(?i)dataset|csv|regression|median", "vision": r"(?i)\[image|screenshot|photo",
        "grading": r"(?i)rubric|grade|score", "sensitive": r"(?i)neutral|politically|censorship|sides",
        "chat": r"(?i)recipe|email|trip|gift",
    }
    for label in ("benign", "campaign"):
        prompts = labelled.filter(pl.col("label") == label)["prompt"]
        for topic, pattern in topics.items():
            if label == "campaign" and topic == "chat":
                continue
            assert prompts.str.contains(pattern).any(), (label, topic)
    ordinary = labelled.filter(pl.col("kind") == "ordinary", pl.col("turn") == 1)
    assert ordinary["prompt"].n_unique() > 0.7 * ordinary.height


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


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        SynthConfig(n_requests=10)
    with pytest.raises(ValueError):
        SynthConfig(new_model_day=30)
    with pytest.raises(ValueError):
        SynthConfig(volume=0)
    with pytest.raises(ValueError):
        next(generate_batches(SMALL, batch_rows=0))
    with pytest.raises(ValueError):
        write_synthetic(SMALL, Path("unused.csv"), "csv")  # type: ignore[arg-type]
