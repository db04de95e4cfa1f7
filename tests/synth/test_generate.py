"""Generation: schema, determinism across batch sizes and workers, volume, ids, timestamps."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from distillscan.synth import SYNTH_SCHEMA, SynthConfig, generate_batches, ground_truth

SMALL = SynthConfig(n_requests=10_000, seed=5)


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


def test_row_count_is_within_ten_percent(log: pl.DataFrame, config: SynthConfig) -> None:
    assert abs(log.height - config.n_requests) <= 0.1 * config.n_requests


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


def test_a_fixed_campaign_scale_keeps_the_campaigns_whatever_the_benign_traffic() -> None:
    """Issue 17: one set of campaign accounts inside logs of different sizes."""
    small = SynthConfig(n_requests=20_000, seed=3, campaign_scale=20_000)
    large = SynthConfig(n_requests=60_000, seed=3, campaign_scale=20_000)
    rows, truths, heights = [], [], []
    for config in (small, large):
        truth = ground_truth(config).filter(pl.col("label") == "campaign")
        log = pl.concat(list(generate_batches(config)))
        rows.append(log.join(truth, on="account_id", how="semi").sort("request_id"))
        truths.append(truth)
        heights.append(log.height)
    assert truths[0].equals(truths[1]) and rows[0].equals(rows[1])
    assert rows[0]["account_id"].n_unique() == truths[0].height
    assert 2.7 * heights[0] <= heights[1] <= 3.3 * heights[0]
    plain = pl.concat(list(generate_batches(SynthConfig(n_requests=20_000, seed=3))))
    assert plain.equals(pl.concat(list(generate_batches(small))))


def test_timestamps_lie_in_the_window_after_account_creation(log: pl.DataFrame, config: SynthConfig) -> None:
    end = config.start + timedelta(days=config.days)
    assert log["timestamp"].min() >= config.start and log["timestamp"].max() < end
    assert log.select((pl.col("account_created_at") < pl.col("timestamp")).all()).item()


def test_request_ids_are_unique_except_exact_retry_duplicates(log: pl.DataFrame) -> None:
    duplicated = log.filter(pl.col("request_id").is_duplicated())
    assert duplicated.height == 2 * duplicated["request_id"].n_unique()
    assert duplicated.unique().height == duplicated["request_id"].n_unique()
    assert 0.0005 <= duplicated.height / 2 / log.height <= 0.005
    assert log["request_id"].str.contains(r"^req_[0-9a-f]{16}$").all()


def test_first_turns_are_billed_characters_over_four(log: pl.DataFrame) -> None:
    chars = pl.col("system").str.len_chars().fill_null(0) + pl.col("prompt").str.len_chars()
    first = log.filter(pl.col("turn") == 1)
    assert first.select(((pl.col("input_tokens") - chars / 4).abs() <= 4).all()).item()
    capped = log.filter(pl.col("max_tokens").is_not_null())
    assert capped.select((pl.col("output_tokens") <= pl.col("max_tokens")).all()).item()
    assert log["output_tokens"].min() >= 1


def test_conversations_are_numbered_from_one(log: pl.DataFrame, config: SynthConfig) -> None:
    """Except where the window start cuts a conversation in two."""
    first = log.unique("request_id").group_by("conversation_id").agg(
        pl.col("turn").min().alias("first"), pl.col("turn").max().alias("last"), pl.len(),
        pl.col("timestamp").min().alias("opened"))
    first = first.filter(pl.col("opened") >= config.start + timedelta(hours=12))
    assert (first["first"] == 1).all()
    assert (first["last"] == first["len"]).all()


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        next(generate_batches(SMALL, batch_rows=0))


def test_later_turns_are_billed_for_the_conversation_so_far(log: pl.DataFrame) -> None:
    """An API bills every turn for the whole context: turn k's input tokens hold the user
    text and answers of turns 1..k-1 on top of its own."""
    turns = log.unique(subset=["conversation_id", "turn"], keep="first").sort("conversation_id", "turn")
    own = (pl.col("system").str.len_chars().fill_null(0) + pl.col("prompt").str.len_chars()) // 4 + 3
    exchange = pl.col("prompt").str.len_chars() // 4 + 3 + pl.col("output_tokens")
    checked = turns.select(
        "turn",
        billed=pl.col("input_tokens"),
        expected=own + (exchange.cum_sum() - exchange).over("conversation_id"),
    )
    assert checked.filter(pl.col("turn") > 1).height > 1_000
    assert checked.filter(pl.col("billed") != pl.col("expected")).height == 0
