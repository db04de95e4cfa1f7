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


SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"
# Five small campaigns, each its own system prompt and reasoning ask (issue 17's external
# gateway log: 231 accounts, campaigns of six sharing system prompts and reasoning asks).
CREW_SYSTEMS = (
    "You are DataForge, a meticulous reasoning engine. For every problem, enumerate your assumptions, derive "
    "intermediate results explicitly, and verify the final answer before stating it.",
    "You are an expert tutor generating gold-standard worked solutions for a curriculum dataset. Always show "
    "complete derivations, justify each transformation, and end with a boxed final answer.",
    "Act as a senior software architect producing reference implementations. Explain the design trade-offs first, "
    "then provide fully annotated code with complexity analysis and edge-case tests.",
    "You are a grading assistant. Given a response and a rubric, score each criterion from 1 to 10 with a detailed "
    "rationale, then produce an overall weighted score and a summary of weaknesses.",
    "You are a careful analyst. Break every question into sub-questions, answer each with evidence, weigh "
    "alternatives, and conclude with a confidence level and the key uncertainties.",
)
CREW_ASKS = (
    "Think step by step and show all of your reasoning before the final answer.",
    "Let's reason through this carefully, step by step, explaining each intermediate step.",
    "Walk through your full chain of thought in detail, then give the answer.",
    "Explain your reasoning step-by-step in numbered steps.",
    "Before answering, think out loud about every step.",
)


def _replayed_gateway_log(path: Path) -> pl.DataFrame:
    """201 benign accounts of the sample log with five crews of six accounts beside them,
    each crew sending unique public tasks in its own system prompt and reasoning ask, from
    one address an account; no payment, creation or conversation columns, and every
    timestamp squeezed into 0.1 s in its order. Returns the ground truth."""
    sample = pl.read_parquet(SAMPLE / "requests.parquet")
    truth = pl.read_csv(SAMPLE / "ground_truth.csv")
    benign = truth.filter(pl.col("label") == "benign").sort("account_id").gather_every(2).head(201)
    columns = ["request_id", "account_id", "timestamp", "model", "system", "prompt", "ip", "user_agent",
               "temperature", "max_tokens"]
    tasks = iter(sample.get_column("prompt").unique().sort().sample(fraction=1.0, shuffle=True, seed=5).to_list())
    start = sample.get_column("timestamp").min()
    crews = [
        {"request_id": f"crew-{crew}-{member}-{index}", "account_id": f"acct_crew{crew}{member}",
         "timestamp": start + timedelta(hours=(member * 7 + index * 3) % 160), "model": "model-a",
         "system": CREW_SYSTEMS[crew], "prompt": f"{next(tasks)}\n\n{CREW_ASKS[crew]}",
         "ip": f"{100 + crew}.{member}.{index % 3}.9", "user_agent": "python-httpx/0.27", "temperature": 0.7,
         "max_tokens": 4096}
        for crew in range(5) for member in range(6) for index in range(20 + 7 * member)
    ]
    log = pl.concat([
        sample.join(benign.select("account_id"), on="account_id").select(columns),
        pl.DataFrame(crews, schema=sample.select(columns).schema),
    ]).sort("timestamp", "request_id")
    squeezed = log.with_columns(
        timestamp=start + pl.duration(microseconds=pl.int_range(pl.len(), dtype=pl.Int64) * 100_000 // pl.len())
    )
    squeezed.write_parquet(path)
    crew_truth = pl.DataFrame({
        "account_id": [f"acct_crew{crew}{member}" for crew in range(5) for member in range(6)],
        "label": "campaign", "kind": "crew", "entity_id": [f"crew-{crew}" for crew in range(5) for _ in range(6)],
    })
    return pl.concat([benign, crew_truth])


def test_small_crews_in_a_replayed_gateway_log_are_each_one_group_above_benign(tmp_path: Path) -> None:
    """Each crew is one group, at low or above (medium where its tasks are mostly
    high-value), every crew's group ranked above every benign group, no benign account
    at medium or above: one fell apart (three linked, three alone at 0.00) while a closer needed a
    mark before it and a shared system prompt with a shared closing sentence (a
    wrapper) was no evidence (`link.evidence`)."""
    truth = _replayed_gateway_log(tmp_path / "gateway.parquet")
    result = scan([str(tmp_path / "gateway.parquet")], ScanOptions())
    evaluation = evaluate(result.report.groups, result.linkage.membership, truth, flag_severity="low")
    per_crew = evaluation.per_campaign
    assert per_crew.height == 5 and (per_crew["groups"] == 1).all() and (per_crew["recall"] == 1.0).all(), per_crew
    assert evaluation.campaign_groups_above_all_benign == 5
    flagged = evaluation.benign_by_severity.select(pl.sum_horizontal("medium", "high", "critical")).to_series()
    assert flagged.sum() == 0, evaluation.benign_by_severity
