"""Walks: accounts whose items come in an order other accounts repeat."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from distillscan.link.walks import MIN_WALK_STEPS, walker_codes
from distillscan.model.groups import WALK_KIND
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from tests.helpers import at, requests_frame


def _items(sends: Mapping[int, Sequence[int | tuple[int, int]]]) -> pl.LazyFrame:
    """The numeric item table of accounts (codes) sending items in the order listed (a
    pair: one request's two anchors)."""
    rows = [
        (account, anchor, order)
        for account, items in sends.items()
        for order, request in enumerate(items)
        for anchor in (request if isinstance(request, tuple) else (request,))
    ]
    frame = pl.DataFrame(rows, schema={"account": pl.UInt32, "item": pl.UInt64, "order": pl.Int64}, orient="row")
    return (
        frame.with_columns(topic=pl.lit("math_reasoning"), first_ts=pl.col("order").cast(pl.Datetime("us", "UTC")))
        .group_by("account", "topic", "item")
        .agg(pl.col("first_ts").min(), n=pl.len().cast(pl.UInt32))
        .lazy()
    )


def _population(rng: random.Random) -> dict[int, list[int]]:
    """Two runs of one benchmark (items 0-59 in order), 40 campaign accounts drawing 30
    items each from a pool of 120 (items 1000+), and 200 people pasting popular items of
    the benchmark and the pool in any order."""
    benchmark = list(range(60))
    pool = list(range(1000, 1120))
    sends = {0: benchmark, 1: benchmark[:50]}
    for account in range(2, 42):
        sends[account] = rng.sample(pool, 30)
    for account in range(42, 242):
        sends[account] = rng.sample(benchmark[:20] + pool[:20], 5)
    return sends


def test_runs_of_one_benchmark_are_walkers_and_a_pool_is_not() -> None:
    walkers = walker_codes(_items(_population(random.Random(5))), max_holders=100, max_repeat=1.2)
    assert walkers.to_list() == [0, 1]


def test_a_walk_no_one_else_takes_is_not_one_others_repeat() -> None:
    sends = _population(random.Random(6))
    sends[1] = list(reversed(sends[1]))
    assert walker_codes(_items(sends), max_holders=100, max_repeat=1.2).is_empty()


def test_a_wrapper_between_items_does_not_break_the_walk() -> None:
    # Item 999 is sent again and again (a few-shot preamble's anchor): it is not walked,
    # so the steps go from one benchmark item to the next on either side of it.
    sends = _population(random.Random(7))
    preamble = [999] * 4
    sends[0] = [item for question in sends[0] for item in (question, *preamble)]
    sends[1] = [item for question in sends[1] for item in (*preamble, question)]
    assert walker_codes(_items(sends), max_holders=100, max_repeat=1.2).to_list() == [0, 1]


def test_too_few_shared_steps_make_no_walk() -> None:
    benchmark = list(range(MIN_WALK_STEPS))
    sends = {0: benchmark, 1: benchmark}
    assert walker_codes(_items(sends), max_holders=100, max_repeat=1.2).is_empty()


def test_the_two_anchors_of_one_prompt_are_not_a_step() -> None:
    # Forty people each paste ten of the same 30 popular prompts, in any order: every
    # prompt's two anchors come together, first sent at the same time.
    rng = random.Random(8)
    prompts = [(2 * index, 2 * index + 1) for index in range(30)]
    sends = {account: rng.sample(prompts, 10) for account in range(40)}
    assert walker_codes(_items(sends), max_holders=100, max_repeat=1.2).is_empty()


def test_a_scan_names_the_accounts_that_run_one_benchmark(tmp_path: Path) -> None:
    """Through the whole pipeline: the item table keeps when each item was first sent, and
    the two runs of one benchmark come out as walkers, with the note in their reasons,
    while an account sending the same questions in its own order does not."""
    rng = random.Random(9)
    questions = [
        f"A shop sells {index + 3} boxes of {7 * index + 2} pencils and {index % 5 + 1} crates on day {index}. "
        "How many pencils does it sell in all over the whole week?"
        for index in range(40)
    ]
    rows: list[dict[str, object]] = []
    for account, start in (("harness-a", 0.0), ("harness-b", 3.0)):
        rows += [
            {"account_id": account, "timestamp": at(days=start, minutes=index), "prompt": question,
             "ip": "203.0.113.9", "temperature": 0.0}
            for index, question in enumerate(questions)
        ]
    # The same questions in an order of its own: the same items, no shared walk.
    shuffled = rng.sample(questions, len(questions))
    rows += [
        {"account_id": "shuffler", "timestamp": at(days=5, minutes=index), "prompt": question, "ip": "192.0.2.7"}
        for index, question in enumerate(shuffled)
    ]
    for person in range(30):
        rows += [
            {"account_id": f"person-{person:02d}", "timestamp": at(days=1, hours=person % 10, minutes=index),
             "prompt": question, "ip": f"198.51.100.{person}"}
            for index, question in enumerate(rng.sample(questions, 4))
        ]
    path = tmp_path / "log.parquet"
    requests_frame(rows).write_parquet(path)
    result = scan([str(path)], ScanOptions())
    walking = result.linkage.tokens.filter(pl.col("kind") == WALK_KIND).get_column("account_id").sort()
    assert walking.to_list() == ["harness-a", "harness-b"]
    group = result.linkage.membership.filter(pl.col("account_id") == "harness-a").get_column("group_id").item()
    assert any("in an order other accounts repeat" in reason for reason in result.report.reasons[group])
