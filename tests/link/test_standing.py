"""Item links grow groups but never merge two that stand on their own."""

from __future__ import annotations

import polars as pl

from distillscan.graph import component_frame
from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.candidates import pair_key
from distillscan.link.standing import item_links_apart


def _keys(pairs: list[tuple[int, int]]) -> pl.Series:
    frame = pl.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    return frame.select(pair=pair_key(pl.col("a"), pl.col("b"))).get_column("pair")


def _components(pairs: list[tuple[int, int]]) -> pl.DataFrame:
    """The token links' components, as linking finds them."""
    return component_frame(pl.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
                                        schema={"a": pl.UInt32, "b": pl.UInt32}))


def _chain(start: int, size: int) -> list[tuple[int, int]]:
    """Links holding accounts start .. start + size - 1 in one component."""
    return [(code, code + 1) for code in range(start, start + size - 1)]


def _pairs(keys: pl.Series) -> set[tuple[int, int]]:
    return {(key >> 32, key & 0xFFFFFFFF) for key in keys.to_list()}


TEAM = 0  # a token group: accounts 0 .. MIN_GROUP_SIZE - 1
OTHER_TEAM = 100  # another token group
ITEMS = 200  # an item group: accounts no token link holds


def test_an_item_link_between_two_token_groups_is_dropped() -> None:
    tokens = _components(_chain(TEAM, MIN_GROUP_SIZE) + _chain(OTHER_TEAM, MIN_GROUP_SIZE))
    assert item_links_apart(_keys([(TEAM + 3, OTHER_TEAM + 5)]), tokens).is_empty()


def test_a_token_group_member_is_not_linked_into_an_item_group() -> None:
    tokens = _components(_chain(TEAM, MIN_GROUP_SIZE))
    items = [*_chain(ITEMS, MIN_GROUP_SIZE), (TEAM + 4, ITEMS + 2)]
    kept = _pairs(item_links_apart(_keys(items), tokens))
    assert kept == set(_chain(ITEMS, MIN_GROUP_SIZE))


def test_lone_accounts_and_small_crews_still_join_either_kind_of_group() -> None:
    tokens = _components(_chain(TEAM, MIN_GROUP_SIZE))
    crew = _chain(ITEMS, MIN_GROUP_SIZE - 1)  # too few to stand on their own
    items = [(TEAM + 1, 500), (TEAM + 2, 501), *crew, (TEAM + 7, ITEMS)]
    assert _pairs(item_links_apart(_keys(items), tokens)) == set(items)
    # An item group takes in a lone account too, and links inside one token group stay.
    standing = _chain(ITEMS, MIN_GROUP_SIZE)
    items = [*standing, (ITEMS + 3, 600), (TEAM, TEAM + 5)]
    assert _pairs(item_links_apart(_keys(items), tokens)) == set(items)


def test_without_token_groups_every_item_link_stays() -> None:
    items = _keys(_chain(ITEMS, 3 * MIN_GROUP_SIZE))
    assert item_links_apart(items, _components(_chain(TEAM, MIN_GROUP_SIZE - 1))).equals(items)
    assert item_links_apart(items, _components([])).equals(items)


def test_a_token_group_mostly_item_linked_into_another_group_is_part_of_it() -> None:
    # A crew of a campaign held by tokens of its own (a shared wrapper), half of whose
    # accounts send the campaign's items: one group. With one account fewer linked, two.
    tokens = _components(_chain(TEAM, MIN_GROUP_SIZE))
    half = MIN_GROUP_SIZE // 2
    standing = _chain(ITEMS, 3 * MIN_GROUP_SIZE)
    crossing = [(TEAM + index, ITEMS + 2 * index) for index in range(half)]
    assert _pairs(item_links_apart(_keys([*standing, *crossing]), tokens)) == set(standing + crossing)
    assert _pairs(item_links_apart(_keys([*standing, *crossing[1:]]), tokens)) == set(standing)
    # One account of a large group linked into many of another's is no such thing.
    large = _components(_chain(TEAM, 4 * MIN_GROUP_SIZE))
    fan = [(TEAM, ITEMS + index) for index in range(MIN_GROUP_SIZE)]
    assert _pairs(item_links_apart(_keys([*standing, *fan]), large)) == set(standing)
