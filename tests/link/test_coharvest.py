"""Co-harvesting: accounts drawing their tasks from one pool link, whatever surrounds
them; strangers drawing from the same popular catalogue do not, at any population size."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from distillscan.aggregate.tables import ITEMS_PER_ACCOUNT
from distillscan.graph import component_frame
from distillscan.link.candidates import pair_key
from distillscan.link.coharvest import ItemLinks, coharvest_links, coharvest_pairs, item_overlaps, link_threshold
from distillscan.link.poisson import tail_nats
from distillscan.model.aggregates import Aggregates

CATALOGUE = 20_000


def _popular(rng: random.Random, weights: list[float], k: int) -> list[int]:
    """k item numbers drawn by popularity (with repeats, as people send them)."""
    return rng.choices(range(len(weights)), weights=weights, k=k)


def _population(benign: int, campaign: int, seed: int = 5) -> pl.DataFrame:
    """(account_id, item, n): `benign` accounts each sending 10 to 80 items drawn by
    popularity from a catalogue; `campaign` accounts each sending 100 to 200, 80% of them
    from one pool of 600 items the operator drew from the same catalogue (pairs share
    about 20, as the generator's low-and-slow accounts share 13 at the median)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 10) ** 0.8 for rank in range(CATALOGUE)]
    pool = sorted(set(_popular(random.Random(99), weights, 600)))
    rows: list[tuple[str, int]] = []
    for index in range(campaign):
        own = random.Random(1000 + index)
        for _ in range(own.randint(100, 200)):
            item = own.choice(pool) if own.random() < 0.8 else _popular(own, weights, 1)[0]
            rows.append((f"camp-{index:04d}", item))
    for index in range(benign):
        rows += [(f"user-{index:06d}", item) for item in _popular(rng, weights, rng.randint(10, 80))]
    return item_table(rows)


def item_table(rows: list[tuple[str, int]]) -> pl.DataFrame:
    """(account_id, topic, item, n, first_ts) from (account, catalogue number) rows, one per
    send, in the order sent."""
    frame = pl.DataFrame(rows, schema={"account_id": pl.String, "item": pl.UInt64}, orient="row")
    # Items as an anchor's 64-bit hash would spread them.
    return (
        frame.with_columns(
            item=pl.col("item").hash(3), topic=pl.lit("general_chat"),
            sent=pl.int_range(pl.len()).cast(pl.Datetime("us", "UTC")),
        )
        .group_by("account_id", "topic", "item")
        .agg(n=pl.len().cast(pl.UInt32), first_ts=pl.col("sent").min())
    )


def _aggregates(items: pl.DataFrame) -> Aggregates:
    empty = pl.DataFrame()
    accounts = items.select("account_id").unique().sort("account_id")
    return Aggregates(
        accounts=accounts, account_frames=empty, account_topics=empty, frames=empty, systems=empty,
        account_buckets=empty, account_values=empty, account_params=empty, account_items=items,
        account_closers=empty,
    )


def _codes(items: pl.DataFrame) -> pl.DataFrame:
    return items.select("account_id").unique().sort("account_id").with_row_index("code")


_NO_CONTENT = pl.DataFrame(schema={"account_id": pl.String, "kind": pl.String, "value": pl.String})


def _linked_groups(items: pl.DataFrame, content: pl.DataFrame = _NO_CONTENT) -> list[set[str]]:
    codes = _codes(items)
    pairs = coharvest_pairs(_aggregates(items), codes, content)
    ids = codes.get_column("account_id")
    roots = component_frame(pairs.select("a", "b"))
    groups = roots.group_by("root").agg(pl.col("node")).get_column("node").to_list()
    return [{ids[node] for node in nodes} for nodes in groups]


@pytest.mark.parametrize("benign", [2_000, 10_000])
def test_a_pool_spread_over_accounts_links_them_and_no_stranger(benign: int) -> None:
    groups = _linked_groups(_population(benign, campaign=40))
    campaign = {f"camp-{index:04d}" for index in range(40)}
    # One group of the whole campaign, nothing else linked (the same at 5x the people).
    assert groups == [campaign]


def test_an_item_is_one_item_whatever_topic_a_wrapper_files_it_under() -> None:
    # Four campaign accounts word their reasoning ask "show the logic", which makes each
    # of their requests math: their pool items are still the campaign's.
    items = _population(2_000, campaign=40).with_columns(
        topic=pl.when(pl.col("account_id").str.starts_with("camp-") & (pl.col("account_id").str.slice(-1) == "4"))
        .then(pl.lit("math_reasoning"))
        .otherwise(pl.col("topic"))
    )
    assert _linked_groups(items) == [{f"camp-{index:04d}" for index in range(40)}]


def test_strangers_alone_link_nobody() -> None:
    assert _linked_groups(_population(5_000, campaign=0)) == []


def test_accounts_sharing_a_product_prompt_are_left_to_token_evidence() -> None:
    items = _population(2_000, campaign=40)
    content = pl.DataFrame(
        [(f"camp-{index:04d}", "system", "product-prompt") for index in range(0, 40, 2)],
        schema={"account_id": pl.String, "kind": pl.String, "value": pl.String}, orient="row",
    )
    codes = _codes(items)
    pairs = coharvest_pairs(_aggregates(items), codes, content)
    ids = codes.get_column("account_id")
    linked = {(ids[a], ids[b]) for a, b in pairs.iter_rows()}
    assert linked
    assert not any(int(a[-4:]) % 2 == 0 and int(b[-4:]) % 2 == 0 for a, b in linked)


def test_accounts_with_more_items_than_kept_are_not_paired() -> None:
    """The largest senders keep only the low end of the hash range, which they all hold:
    their overlap there says nothing."""
    catalogue = pl.Series("item", range(30_000), dtype=pl.UInt64).hash(1).sort()
    low_end = catalogue.head(ITEMS_PER_ACCOUNT)
    big = pl.concat([
        pl.DataFrame({
            "account_id": f"big-{index}", "topic": "general_chat", "item": low_end,
            "n": pl.Series([1] * low_end.len(), dtype=pl.UInt32),
        }).with_columns(first_ts=pl.int_range(low_end.len()).cast(pl.Datetime("us", "UTC")))
        for index in range(6)
    ])
    items = pl.concat([big, _population(1_000, campaign=0)])
    overlaps = item_overlaps(_aggregates(items), _codes(items))
    codes = _codes(items).filter(pl.col("account_id").str.starts_with("big"))["code"]
    ends = overlaps.select((pl.col("pair") // (1 << 32)).alias("a"), (pl.col("pair") % (1 << 32)).alias("b"))
    assert not ends.filter(pl.col("a").is_in(codes.implode()) | pl.col("b").is_in(codes.implode())).height


def _attached_links(member_content: dict[int, str]) -> set[tuple[int, int]]:
    """coharvest_links over a core of five linked accounts (codes 0-4) and account 9
    attached to their group, its members offered nearest first (0, 1, 2); account 9 and
    each member in `member_content` hold that system prompt."""
    codes = pl.DataFrame({"account_id": [f"acct-{code}" for code in range(10)], "code": range(10)},
                         schema={"account_id": pl.String, "code": pl.UInt32})
    core = pl.DataFrame([(a, b) for a in range(5) for b in range(a + 1, 5)], schema={"a": pl.UInt32, "b": pl.UInt32},
                        orient="row")
    candidates = pl.DataFrame(
        {"account": [9, 9, 9], "group": [0, 0, 0], "member": [0, 1, 2], "order": [0, 1, 2], "found": [False] * 3},
        schema={"account": pl.UInt32, "group": pl.UInt32, "member": pl.UInt32, "order": pl.UInt32,
                "found": pl.Boolean},
    )
    rows = [("acct-9", "system", value) for value in sorted(set(member_content.values()))]
    rows += [(f"acct-{code}", "system", value) for code, value in member_content.items()]
    content = pl.DataFrame(rows, schema=_NO_CONTENT.schema, orient="row").sort("kind", "value")
    items = ItemLinks(significant=core.select(pair=pair_key(pl.col("a"), pl.col("b"))).sort("pair"),
                      attached=candidates, walkers=pl.Series([], dtype=pl.UInt32))
    links = coharvest_links(items, content, codes)
    return {(a, b) for a, b in links.iter_rows() if 9 in (a, b)}


def test_an_attached_account_links_to_the_nearest_member_it_shares_no_content_with() -> None:
    # The nearest member shares a popular template with it: the next one is taken.
    assert _attached_links({}) == {(0, 9)}
    assert _attached_links({0: "popular-template"}) == {(1, 9)}
    assert _attached_links({0: "popular-template", 1: "popular-template"}) == {(2, 9)}
    # Every member it is offered shares content: it stays out.
    assert _attached_links({0: "t", 1: "t", 2: "t"}) == set()


def test_the_bar_rises_with_the_population() -> None:
    assert link_threshold(1_000) < link_threshold(100_000)
    assert link_threshold(2) >= 0


@pytest.mark.parametrize(("shared", "expected"), [(3, 0.5), (10, 1.0), (40, 4.0), (5, 4.9)])
def test_the_tail_bound_never_overstates_the_significance(shared: int, expected: float) -> None:
    terms = [k * math.log(expected) - expected - math.lgamma(k + 1) for k in range(shared, shared + 200)]
    exact = -math.log(sum(math.exp(term) for term in terms))
    bound = pl.select(tail_nats(pl.lit(float(shared)), pl.lit(expected))).item()
    assert exact - 1.5 < bound <= exact + 1e-9


def _kept(edges: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """coharvest_links over significant pairs `edges` alone: none attached, no content."""
    codes = pl.DataFrame({"account_id": [f"acct-{code:02d}" for code in range(40)], "code": range(40)},
                         schema={"account_id": pl.String, "code": pl.UInt32})
    pairs = pl.DataFrame(edges, schema={"a": pl.UInt32, "b": pl.UInt32}, orient="row")
    items = ItemLinks(
        significant=pairs.select(pair=pair_key(pl.col("a"), pl.col("b"))).sort("pair"),
        attached=pl.DataFrame(schema={"account": pl.UInt32, "group": pl.UInt32, "member": pl.UInt32,
                                      "order": pl.UInt32, "found": pl.Boolean}),
        walkers=pl.Series([], dtype=pl.UInt32),
    )
    return set(coharvest_links(items, _NO_CONTENT, codes).iter_rows())


def _ring(size: int) -> list[tuple[int, int]]:
    """`size` accounts (codes 0 …) in a ring, each linked to the next: (a, b), a < b."""
    return [(index, index + 1) for index in range(size - 1)] + [(0, size - 1)]


def test_a_sparse_web_of_item_links_holds_without_three_partners_each() -> None:
    # Twelve accounts, two links each (a campaign seen over a short span): a web.
    ring = _ring(12)
    assert _kept(ring) == set(ring)
    # An account hanging off it by one link is left to the group test (`attach`).
    assert _kept([*ring, (5, 30)]) == set(ring)
    # Six accounts are too few for a web, and none has three partners.
    assert _kept(_ring(6)) == set()


def test_a_hubs_star_is_no_web() -> None:
    # A hub linked to twelve accounts that are linked in pairs: two links each, but the
    # hub holds 12 of the 18.
    star = [(0, leaf) for leaf in range(1, 13)] + [(leaf, leaf + 1) for leaf in range(1, 13, 2)]
    assert _kept(star) == set()


def test_a_member_whose_pair_links_all_share_content_links_as_an_attached_account_would() -> None:
    # Accounts 0-4 link each pair; account 5 links to 0, 1 and 2, but shares a system
    # prompt with each of them: the nearest member it shares none with (3) is taken.
    codes = pl.DataFrame({"account_id": [f"acct-{code}" for code in range(6)], "code": range(6)},
                         schema={"account_id": pl.String, "code": pl.UInt32})
    edges = [(a, b) for a in range(5) for b in range(a + 1, 5)] + [(0, 5), (1, 5), (2, 5)]
    significant = pl.DataFrame(edges, schema={"a": pl.UInt32, "b": pl.UInt32}, orient="row").select(
        pair=pair_key(pl.col("a"), pl.col("b"))
    ).sort("pair")
    offered = pl.DataFrame(
        {"account": [5] * 4, "group": [0] * 4, "member": [3, 0, 1, 2], "order": [0, 1, 2, 3], "found": [True] * 4},
        schema={"account": pl.UInt32, "group": pl.UInt32, "member": pl.UInt32, "order": pl.UInt32,
                "found": pl.Boolean},
    )
    rows = [(f"acct-{code}", "system", f"prompt-{code}") for code in (0, 1, 2)]
    rows += [("acct-5", "system", f"prompt-{code}") for code in (0, 1, 2)]
    content = pl.DataFrame(rows, schema=_NO_CONTENT.schema, orient="row").sort("kind", "value")
    items = ItemLinks(significant=significant, attached=offered, walkers=pl.Series([], dtype=pl.UInt32))
    links = set(coharvest_links(items, content, codes).iter_rows())
    assert (3, 5) in links
    assert not {(0, 5), (1, 5), (2, 5)} & links
    # A member that keeps its own links takes none offered.
    assert (3, 5) not in set(coharvest_links(items, _NO_CONTENT, codes).iter_rows())
