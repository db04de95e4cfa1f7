"""Attaching accounts to item groups: quiet accounts drawing from a campaign's pool join
the group its pairs form; a pipeline running a public dataset that holds part of the
pool does not, and no group means no attachment."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

import distillscan.link.attach as attach
from distillscan.graph import component_frame
from distillscan.link.attach import attach_threshold, attached_pairs
from distillscan.link.coharvest import coharvest_pairs, significant_item_pairs
from tests.link.test_coharvest import _NO_CONTENT, CATALOGUE, _aggregates, _codes, _popular, item_table

_NO_WALKERS = pl.Series([], dtype=pl.UInt32)


def _population(
    benign: int, linked: int = 40, quiet: int = 15, quiet_items: tuple[int, int] = (20, 30), pipelines: int = 3
) -> pl.DataFrame:
    """(account_id, topic, item, n): `linked` campaign accounts sending 100 to 200 items,
    80% from a pool of 600 drawn from a catalogue by popularity (their pairs link);
    `quiet` ones sending `quiet_items` the same way (too few for any pair to pass);
    `pipelines` each sending 900 items drawn evenly from a public dataset of 2,000 that
    holds half the pool; and `benign` people sending 10 to 80 items by popularity."""
    rng = random.Random(5)
    weights = [1 / (rank + 10) ** 0.8 for rank in range(CATALOGUE)]
    pool = sorted(set(_popular(random.Random(99), weights, 600)))
    dataset = sorted(set(random.Random(7).sample(range(CATALOGUE), 1700)) | set(pool[:300]))
    rows: list[tuple[str, int]] = []
    for index in range(linked + quiet):
        own = random.Random(1000 + index)
        name, count = (f"camp-{index:04d}", own.randint(100, 200)) if index < linked else (
            f"quiet-{index:04d}", own.randint(*quiet_items))
        for _ in range(count):
            rows.append((name, own.choice(pool) if own.random() < 0.8 else _popular(own, weights, 1)[0]))
    for index in range(pipelines):
        own = random.Random(5000 + index)
        rows += [(f"pipe-{index:02d}", own.choice(dataset)) for _ in range(900)]
    for index in range(benign):
        rows += [(f"user-{index:06d}", item) for item in _popular(rng, weights, rng.randint(10, 80))]
    return item_table(rows)


def _groups(items: pl.DataFrame) -> list[set[str]]:
    codes = _codes(items)
    pairs = coharvest_pairs(_aggregates(items), codes, _NO_CONTENT)
    ids = codes.get_column("account_id")
    roots = component_frame(pairs.select("a", "b"))
    return [{ids[node] for node in nodes} for nodes in roots.group_by("root").agg(pl.col("node")).get_column("node")]


@pytest.mark.parametrize("benign", [2_000, 10_000])
def test_quiet_pool_accounts_join_the_group_and_dataset_pipelines_do_not(benign: int) -> None:
    groups = _groups(_population(benign))
    campaign = {f"camp-{index:04d}" for index in range(40)} | {f"quiet-{index:04d}" for index in range(40, 55)}
    assert groups == [campaign]


def test_without_attachment_the_quiet_accounts_stay_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the test above relies on: no pair of a quiet account passes on its own."""
    monkeypatch.setattr(attach, "MIN_GROUP_SIZE", 10_000)
    (group,) = _groups(_population(2_000))
    assert len({account for account in group if account.startswith("quiet")}) <= 1


def test_the_excess_bound_keeps_a_dataset_pipeline_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipelines hold the pool's share of their dataset, significant under the Poisson
    model: only the excess bound keeps them out."""
    monkeypatch.setattr(attach, "MIN_EXCESS", 1.0)
    (group,) = _groups(_population(2_000))
    assert {account for account in group if account.startswith("pipe")} == {"pipe-00", "pipe-01", "pipe-02"}


def test_a_second_round_joins_accounts_the_first_could_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """12 linked accounts show their pool too thinly for all 60 quiet ones (15 to 25
    items each); those the first round attaches sharpen it for the second."""
    items = _population(2_000, linked=12, quiet=60, quiet_items=(15, 25), pipelines=0)
    quiet = []
    for rounds in (1, 2):
        monkeypatch.setattr(attach, "ATTACH_ROUNDS", rounds)
        (group,) = _groups(items)
        assert not {account for account in group if account.startswith("user")}
        quiet.append(len({account for account in group if account.startswith("quiet")}))
    assert quiet[1] > quiet[0] > 0


def test_no_group_attaches_nobody() -> None:
    shared = pl.LazyFrame(schema={"account": pl.UInt32, "topic": pl.String, "holders": pl.UInt32, "token": pl.UInt32})
    size = pl.DataFrame({"account": [0, 1], "topic": ["general_chat"] * 2, "size": [3.0, 3.0]},
                        schema_overrides={"account": pl.UInt32})
    links = pl.DataFrame({"a": [0], "b": [1]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    assert attached_pairs(links, shared, size, _NO_WALKERS).is_empty()
    assert attached_pairs(links.clear(), shared, size, _NO_WALKERS).is_empty()


def test_the_bar_rises_with_accounts_and_tests() -> None:
    assert attach_threshold(10_000, 1) == pytest.approx(math.log(10_000) + math.log(100))
    assert attach_threshold(100_000, 3) > attach_threshold(100_000, 1) > attach_threshold(10_000, 1)


def test_each_member_is_offered_its_nearest_other_members() -> None:
    # For `coharvest_links`: a member whose own pair links all share content is linked
    # as an attached account is, to the nearest member it shares none with.
    items = _population(2_000)
    codes = _codes(items)
    offered = significant_item_pairs(_aggregates(items), codes).attached
    ids = dict(codes.select("code", "account_id").iter_rows())
    found = offered.filter("found")
    assert {ids[code][:4] for code in found.get_column("account")} == {"camp"}
    assert not found.filter(pl.col("account") == pl.col("member")).height
    assert {ids[code][:4] for code in offered.filter(~pl.col("found")).get_column("account")} == {"quie"}
    assert found.group_by("account").agg(pl.col("order").min()).get_column("order").max() == 0
