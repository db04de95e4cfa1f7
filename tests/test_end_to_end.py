"""Detection quality on generated logs with ground truth (the acceptance bar of issue 2)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from distillscan.evaluate import evaluate
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.read import NATIVE
from distillscan.synth import SynthConfig, ground_truth
from distillscan.variants import Variant, parse_columns, write_variant
from tests.conftest import SynthLog

UNREQUIRED_RECALL = {"low_slow"}


@pytest.fixture(scope="module", params=[11, 23], ids=lambda seed: f"seed{seed}")
def scanned(request: pytest.FixtureRequest, synth_log: SynthLog):
    config = SynthConfig(n_requests=60_000, seed=request.param)
    path = synth_log(config.n_requests, config.seed)
    result = scan([str(path)], ScanOptions())
    truth = ground_truth(config)
    return result, truth, evaluate(result.report.groups, result.linkage.membership, truth)


@pytest.mark.xfail(strict=True, reason=(
    "harder generator (issue 17): flag rate paraphrase 0.167 (seed 11) / 0.375 (seed 23) and reseller_mixed 0.0 "
    "(seeds 11 and 23: 2 relays, whose share of the campaign's template sits near the 10% bar) are below 0.95: each "
    "paraphraser words its system prompt its own way; families chain wordings at word-set Jaccard 0.33 and take in "
    "wordings made of a large family's words, which holds all 400-2,000 paraphrasers of the real-text 1M/10M logs "
    "in one group, but 24 wordings are too sparse to chain into a family, and alone each scores medium at most; "
    "hydra 1.0 / 1.0, cot_rubric 1.0"
))
def test_every_campaign_is_recalled(scanned) -> None:
    _, _, evaluation = scanned
    campaigns = evaluation.per_kind.filter(pl.col("label") == "campaign")
    assert campaigns.height >= 5
    for row in campaigns.iter_rows(named=True):
        if row["kind"] not in UNREQUIRED_RECALL:
            assert row["flag_rate"] >= 0.95, row


def test_benign_accounts_are_rarely_flagged(scanned) -> None:
    _, _, evaluation = scanned
    assert evaluation.account_precision >= 0.95


@pytest.mark.xfail(strict=True, reason=(
    "harder generator (issue 17): the top benign groups (a cron scheduler's, a pipeline's; severity low) rank 11th / "
    "9th, above the paraphrasers' unlinked accounts; pairwise ranking accuracy 0.920 / 0.882 < 0.95"
))
def test_campaign_groups_rank_above_benign_groups(scanned) -> None:
    result, truth, evaluation = scanned
    flagged_campaign_kinds = set(
        truth.join(result.linkage.membership, on="account_id")
        .join(result.report.groups.select("group_id", "rank"), on="group_id")
        .filter(pl.col("label") == "campaign")
        .filter(pl.col("kind").is_in(UNREQUIRED_RECALL).not_())["group_id"]
    )
    benign_top = evaluation.top_benign_rank
    ranks = dict(result.report.groups.select("group_id", "rank").iter_rows())
    assert benign_top is not None
    assert all(ranks[group] < benign_top for group in flagged_campaign_kinds)
    # Pairs with the low-and-slow campaign's groups are included here, and those groups do
    # rank below some benign ones (see the README's quality table); this guards regressions.
    assert evaluation.pairwise_ranking_accuracy >= 0.95


def test_results_are_deterministic(scanned, tmp_path: Path) -> None:
    result, _, _ = scanned
    again = scan(list(result.summary.files), ScanOptions())
    assert again.report.groups.select("group_id", "rank", "score").equals(
        result.report.groups.select("group_id", "rank", "score")
    )


def test_same_rows_split_shuffled_or_as_jsonl_give_identical_groups(scanned, tmp_path: Path) -> None:
    result, _, _ = scanned
    rows = pl.read_parquet(result.summary.files[0])
    late = pl.col("timestamp").dt.day() >= 30
    rows.filter(late).sample(fraction=1.0, shuffle=True, seed=3).write_parquet(tmp_path / "a.parquet")
    rows.filter(~late).write_parquet(tmp_path / "b.parquet")
    stamp = "%Y-%m-%dT%H:%M:%S%.fZ"
    rows.with_columns(pl.col("timestamp", "account_created_at").dt.to_string(stamp)).write_ndjson(tmp_path / "all.jsonl")
    expected = result.report.groups.select("group_id", "rank", "score", "n_accounts", "n_requests")
    for paths in ([tmp_path / "b.parquet", tmp_path / "a.parquet"], [tmp_path / "all.jsonl"]):
        again = scan([str(path) for path in paths], ScanOptions())
        assert again.report.groups.select(expected.columns).equals(expected), paths


def test_no_benign_account_reaches_high_on_a_larger_grammar_text_log(synth_log: SynthLog) -> None:
    """On the grammar's text at 200k requests (seed 5) an ordinary user reached critical
    inside the hydra's group through a phrase 1,266 people type now and then (counted as
    popular as its 3 holders), and another high beside a low-and-slow account through a
    template chained from their shared system prompt (`cluster_templates`)."""
    config = SynthConfig(n_requests=200_000, seed=5)
    result = scan([str(synth_log(config.n_requests, config.seed))], ScanOptions())
    evaluation = evaluate(result.report.groups, result.linkage.membership, ground_truth(config))
    at_high = evaluation.benign_by_severity.select(pl.sum_horizontal("high", "critical")).to_series()
    assert at_high.sum() == 0, evaluation.benign_by_severity


def test_a_replay_without_payment_or_timing_still_flags_the_proxy_campaign(synth_log: SynthLog, tmp_path: Path) -> None:
    """A gateway log without payment, account or conversation columns, every timestamp
    squeezed into 0.1 s: the hydra's group was found but scored 0 (timing unknown, and
    accounts rotating through a proxy pool hold more /24s than there are accounts)
    until the addresses its accounts share counted as shared infrastructure."""
    config = SynthConfig(n_requests=60_000, seed=11)
    dropped = parse_columns("payment_fingerprint,account_created_at,org_id,conversation_id,turn,n_turns")
    write_variant([str(synth_log(config.n_requests, config.seed))], ScanOptions(),
                  Variant(dropped, timedelta(seconds=0.1)), tmp_path)
    result = scan([str(tmp_path)], ScanOptions(preset=NATIVE))
    evaluation = evaluate(result.report.groups, result.linkage.membership, ground_truth(config))
    hydra = evaluation.per_kind.filter(pl.col("kind") == "hydra").row(0, named=True)
    assert hydra["flag_rate"] >= 0.95, hydra
    assert evaluation.account_precision >= 0.95
    at_high = evaluation.benign_by_severity.select(pl.sum_horizontal("high", "critical")).to_series()
    assert at_high.sum() == 0, evaluation.benign_by_severity
