"""Co-harvesting: accounts whose task items overlap far beyond what the items'
popularity predicts, linked even when every wrapper is paraphrased and the
infrastructure is clean.

A campaign that spreads one dataset over many accounts leaves the same items (public
questions, coding tasks) in account after account. Each request names its task by two
anchors (the core's `items.rs`); each account keeps its ITEMS_PER_ACCOUNT smallest
(`Aggregates.account_items`). An anchor an account sends again and again is its own
wrapper or template, not an item (ITEM_MAX_REPEAT); one sent by very many accounts says
little and is left out (`item_max_holders`).

The null model: accounts draw their items independently, each item as often as its
popularity among the requests of its topic says, so account b (s_bt items of topic t)
holds item i of topic t with probability s_bt·h_i/S_t (h_i holders, S_t the topic's
account-item rows). Given the items account a sends, b is expected to hold
E(a→b) = Σ_t s_bt·Σ_{i∈a,t} h_i/S_t of them: conditioning on a's own items, two people
who paste the most popular questions expect to share many; by topic, two people who
both ask about one narrow subject (a political controversy, say) expect to share its
common questions (over all topics, 183 such users at 10M requests chained into one
group). E is the larger of E(a→b) and E(b→a). A pair sharing k items
links when −ln of a bound on the Poisson tail P(X ≥ k) (`poisson.tail_nats`) passes
ln(N²/2) + ln(1/ALPHA) for N accounts with items: a Bonferroni bound over every pair the
log could hold, so the bar rises with the log and chance overlaps stay below it.

An account that sends more items than the table keeps (ITEMS_PER_ACCOUNT) holds only its
smallest, the low end of the hash range that every such account holds: two of them share
far more there than their sizes say (17 resellers, harnesses and tutoring apps linked so
at 1M requests), so the log's largest senders are not paired on items (their items
still count for popularity).

Users of one product send alike tasks because the product shapes them (a coding
agent's users ask for type hints and tests): a pair that shares a template or system
prompt is left to the token evidence (`scoring`), which discounts popular products.

Memory: the item table as numbers, on disk in a scan (25 bytes a row, at most
ITEMS_PER_ACCOUNT rows an account); one part of it (ITEM_CHUNK_ROWS rows) counted at a
time; the rows of items held by two or more accounts (16 bytes each; on disk in a scan
once counted, read by each query), then the (account, item) rows that can pair (8
bytes each) and the same twice more in the core (by account and by item, 4 bytes
each), one account's partner list per thread, the pairs sharing MIN_SHARED_ITEMS that
met in the window MIN_WINDOW_HITS times (12 bytes each, with their expected overlap),
one row per account and topic for that expectation and the linked pairs; then what
`attach` holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from distillscan import _core
from distillscan.aggregate.tables import ITEMS_PER_ACCOUNT
from distillscan.graph import component_frame
from distillscan.link.attach import attached_pairs
from distillscan.link.candidates import NEIGHBOUR_WINDOW, pair_ends, pair_key
from distillscan.link.poisson import tail_nats
from distillscan.link.walks import walker_codes
from distillscan.link.worth import token_number
from distillscan.model.aggregates import Aggregates
from distillscan.model.topics import TOPICS

# An anchor its holders send this many times each on average is a wrapper, not an item.
ITEM_MAX_REPEAT: Final = 1.2
# A linked pair shares at least this many items, and is within NEIGHBOUR_WINDOW places
# of each other among the holders of MIN_WINDOW_HITS of them: each account's partners
# are counted in the core, account by account, where windows over every item at once
# listed each pair once per item (8.8 GB at 10M requests). A campaign pair sharing 13
# items of ~100 holders each meets within the window about 6 times; a pair sharing a
# few by chance, once or twice (at 2, 8.0M pairs were checked at 10M requests).
MIN_SHARED_ITEMS: Final = 3
MIN_WINDOW_HITS: Final = 3
# Each linked account is linked so to at least this many others that are too: a campaign
# spread over accounts is a dense web of such links, while chance pairs, and people who
# each paste a few questions of the benchmark one harness runs whole, hang off it alone
# (12 such users and 2 NAT users joined 4 harness accounts at 10M requests without it).
MIN_PARTNERS: Final = 3
# ... or it lies in a web of such links: a component of MIN_WEB_ACCOUNTS or more
# accounts with WEB_PARTNERS links each, in which no account holds more than
# MAX_HUB_SHARE of the links. A campaign seen over a short span links sparsely, each
# account to one or two others, but its links join hundreds of accounts: in the first
# 14 days of the 10M-request log the low-and-slow campaign's 307 links joined 252 of its
# accounts in one component, none of them with three partners. At one chance link a
# log, chance joins no ten accounts, and a hub's star (a pipeline running a dataset
# that many paste from) is no web. An account with one link is left to the group test
# (`attach`): kept by its one link, an ordinary user who shared 9 items (0.5 expected)
# with a low-and-slow account (8 days, 1M requests) joined its group, scored high.
MIN_WEB_ACCOUNTS: Final = 10
WEB_PARTNERS: Final = 2
MAX_HUB_SHARE: Final = 0.5
# The expected number of pairs of independent accounts, over the whole log, that pass
# the bar: about one chance link per log, which the MIN_PARTNERS rule then drops (a
# chance link rarely has partners of its own). At 0.01 the 10M-request log's
# low-and-slow recall was 0.41 (0.64 at 1.0), with the same benign accounts flagged.
ALPHA: Final = 1.0
# Items held by more than this share of the accounts with items (and more than
# MIN_ITEM_MAX_HOLDERS) are left out.
ITEM_MAX_HOLDERS_SHARE: Final = 0.01
MIN_ITEM_MAX_HOLDERS: Final = 50
# Item rows counted per part: items are counted (holders, repeats) one share of the
# item values at a time (`item % parts`; the anchors' low bits are uniform), so the
# count's hash table holds a part's items, not the log's. Each part reads the table
# again: at 10M requests (9M rows) linking took 18.6 s in parts of 2M rows and 16.5 s
# in parts of 4M, at the same peak.
ITEM_CHUNK_ROWS: Final = 4_000_000

_EDGE_SCHEMA: Final = {"a": pl.UInt32, "b": pl.UInt32}
# Topics as numbers in name order: the core's item counting breaks ties by the lowest.
_TOPIC_ENUM: Final = pl.Enum(sorted(TOPICS))


def item_max_holders(accounts_with_items: int) -> int:
    """The most accounts an item may have to be kept: a share of the population."""
    return max(MIN_ITEM_MAX_HOLDERS, math.ceil(ITEM_MAX_HOLDERS_SHARE * accounts_with_items))


def link_threshold(accounts_with_items: int) -> float:
    """The significance (nats) a pair must pass: ln(N²/2) + ln(1/ALPHA)."""
    pairs = max(accounts_with_items * (accounts_with_items - 1) / 2, 1.0)
    return math.log(pairs) - math.log(ALPHA)


@dataclass(frozen=True)
class ItemLinks:
    """What the items say before the evidence tokens are held: the pair keys whose items
    overlap beyond chance (`significant`, sorted) and the accounts attached to the
    groups those pairs form, with their nearest members (`attached`: account, group,
    member, order; see `attach.attached_pairs`), and the codes of the accounts that walk
    their items in an order others repeat, left out of both (`walkers`, see `walks`)."""

    significant: pl.DataFrame
    attached: pl.DataFrame
    walkers: pl.Series


@dataclass(frozen=True)
class _CountedItems:
    """The item table counted (`_counted_items`): `size` (account, topic, size), the rows
    of items held by two or more accounts (`shared`: account, topic, holders, token),
    how many numbers the tokens take, the accounts holding ITEMS_PER_ACCOUNT (`cut`) and
    those that walk their items in an order others repeat (`walkers`, see `walks`)."""

    size: pl.DataFrame
    shared: pl.LazyFrame
    tokens: int
    cut: pl.Series
    walkers: pl.Series


def coharvest_pairs(aggregates: Aggregates, codes: pl.DataFrame, content: pl.DataFrame) -> pl.DataFrame:
    """(a, b): account codes (`codes`: account_id → code) of the pairs whose items overlap
    beyond chance (see the module's notes), or attached to a group of such pairs
    (`attach`), that share no content token (`content`: account_id, kind, value rows
    sorted by kind and value), a < b, sorted."""
    return coharvest_links(significant_item_pairs(aggregates, codes), content, codes)


def significant_item_pairs(aggregates: Aggregates, codes: pl.DataFrame) -> ItemLinks:
    """The pairs whose items overlap beyond chance, and the accounts attached to the
    groups they form: the first step of `coharvest_pairs`, which `link_accounts` takes
    before the evidence tokens are held, so that the two never sit in memory together.

    An account that walks its items in an order others repeat (`walks`: an evaluation
    run of a public benchmark) is left out of both: the dataset it walks explains what
    it shares. On the generator's logs at 1M requests two such harnesses were linked so
    to two tutoring apps, and through them to the low-and-slow campaign's group."""
    with _counted(aggregates, codes) as counted:
        candidates = _item_overlaps(counted, codes)
        walkers = counted.walkers
        a, b = pair_ends(pl.col("pair"))
        significant = (
            candidates.filter(pl.col("significance") >= pl.col("threshold"))
            .filter(~a.is_in(walkers.implode()), ~b.is_in(walkers.implode()))
            .select("pair")
            .collect()
        )
        groups = _kept_links(significant.select(a, b))
        attached = attached_pairs(groups, counted.shared, counted.size, walkers)
    return ItemLinks(significant=significant, attached=attached, walkers=walkers)


def coharvest_links(items: ItemLinks, content: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """(a, b), sorted: the significant pairs (`significant_item_pairs`) that share no
    content token, among accounts with MIN_PARTNERS or more such links or in a web of
    them (`_kept_links`); and each attached account linked to the nearest of its group's
    members still linked so that shares no content token with it.

    The group test has already found the account's items beyond chance; the content rule
    is about the pair. At 10M requests six low-and-slow accounts that passed it were
    left out because the member nearest each shared a popular template or a chain of
    paraphrased system prompts with it (11k to 33k holders)."""
    if items.significant.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    a, b = pair_ends(pl.col("pair"))
    pairs = _kept_links(_without_shared_content(items.significant, content, codes).select(a, b))
    linked = pl.concat([pairs.get_column("a"), pairs.get_column("b")]).unique()
    # A member of an item group whose own pair links all share content stands as an
    # attached account would: at 10M requests, once webs made it a member rather than an
    # account to attach, one low-and-slow account was left alone so in each run.
    member_linked = pl.col("member").is_in(linked.implode())
    account_linked = pl.col("account").is_in(linked.implode())
    candidates = items.attached.filter(
        pl.when(pl.col("found")).then(member_linked & ~account_linked).otherwise(member_linked | account_linked)
    ).with_columns(
        pair=pair_key(pl.col("account"), pl.col("member"))
    )
    attached = (
        _without_shared_content(candidates, content, codes)
        .sort("account", "group", "order")
        .group_by("account", "group", maintain_order=True)
        .first()
        .select(a, b)
    )
    return pl.concat([pairs, attached]).unique().sort("a", "b")


def _kept_links(pairs: pl.DataFrame) -> pl.DataFrame:
    """The links (a, b), sorted, among accounts with MIN_PARTNERS or more of them (the
    graph's core), and those of each web: a component of MIN_WEB_ACCOUNTS or more
    accounts with WEB_PARTNERS links or more each, in which no account holds more than
    MAX_HUB_SHARE of its links."""
    if pairs.is_empty():
        return pairs
    web = _core_links(pairs, WEB_PARTNERS)
    if web.is_empty():
        return _core_links(pairs, MIN_PARTNERS)
    components = component_frame(web)
    degrees = pl.concat([web.get_column("a"), web.get_column("b")]).value_counts(name="degree")
    webs = (
        components.join(degrees.rename({degrees.columns[0]: "node"}), on="node")
        .group_by("root")
        .agg(accounts=pl.len(), links=pl.col("degree").sum() // 2, hub=pl.col("degree").max())
        .filter(pl.col("accounts") >= MIN_WEB_ACCOUNTS, pl.col("hub") <= MAX_HUB_SHARE * pl.col("links"))
    )
    in_webs = components.join(webs.select("root"), on="root").get_column("node")
    web_links = web.filter(pl.col("a").is_in(in_webs.implode()))
    return pl.concat([_core_links(pairs, MIN_PARTNERS), web_links]).unique().sort("a", "b")


def _core_links(pairs: pl.DataFrame, degree: int) -> pl.DataFrame:
    """The links (a, b) among accounts that keep at least `degree` partners once those with
    fewer are taken out, again and again (the graph's `degree`-core)."""
    while pairs.height:
        ends = pl.concat([pairs.get_column("a"), pairs.get_column("b")])
        partners = ends.value_counts(name="partners").filter(pl.col("partners") >= degree).get_column(ends.name)
        kept = pairs.filter(pl.col("a").is_in(partners.implode()) & pl.col("b").is_in(partners.implode()))
        if kept.height == pairs.height:
            break
        pairs = kept
    return pairs


def item_overlaps(aggregates: Aggregates, codes: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs (`pair` keys of codes, sorted) sharing MIN_SHARED_ITEMS or more
    items: `shared`, `expected` under the null model, `significance` (nats) and the
    `threshold` it must pass."""
    with _counted(aggregates, codes) as counted:
        return _item_overlaps(counted, codes).collect()


def _item_overlaps(counted: _CountedItems, codes: pl.DataFrame) -> pl.LazyFrame:
    """`item_overlaps`, its pairs counted and its columns left to compute."""
    empty = pl.LazyFrame(schema={
        "pair": pl.UInt64, "shared": pl.UInt32, "expected": pl.Float64, "significance": pl.Float64,
        "threshold": pl.Float64,
    })
    size = counted.size
    accounts_with_items = size.get_column("account").n_unique()
    if accounts_with_items < 2:
        return empty
    # Per account and topic: its items, and its eligible items' summed holders (how
    # popular what it sends is); per topic, all rows. The eligible rows are filtered
    # inside each query rather than copied once for both (15.5M rows at 30M requests).
    eligible = counted.shared.filter(pl.col("holders") <= item_max_holders(accounts_with_items))
    profile = (
        size.join(
            eligible.group_by("account", "topic").agg(mass=pl.col("holders").sum().cast(pl.Float64)).collect(),
            on=["account", "topic"], how="left",
        )
        .with_columns(pl.col("mass").fill_null(0.0), rows=pl.col("size").sum().over("topic"))
    )
    numbered = eligible.filter(~pl.col("account").is_in(counted.cut.implode())).select("account", "token").collect()
    if numbered.is_empty():
        return empty
    pairs = pl.DataFrame(
        _core.window_pairs(
            numbered.get_column("account"), numbered.get_column("token"), codes.height,
            counted.tokens, NEIGHBOUR_WINDOW, MIN_WINDOW_HITS, MIN_SHARED_ITEMS,
        )
    )
    del numbered
    # The core gives the pairs sorted by key; the columns stay lazy, so that
    # `significant_item_pairs` never holds them for every candidate (15M at 30M requests).
    return (
        pairs.lazy()
        .with_columns(expected=_expected(pairs.get_column("pair"), profile, codes.height))
        .with_columns(significance=tail_nats(pl.col("shared").cast(pl.Float64), pl.col("expected")))
        .select("pair", "shared", "expected", "significance", threshold=pl.lit(link_threshold(accounts_with_items)))
    )


@contextmanager
def _counted(aggregates: Aggregates, codes: pl.DataFrame) -> Iterator[_CountedItems]:
    """The item table counted a part at a time (`_counted_items`). In a scan the shared
    rows are set aside in the scan's folder and read by each query that needs them, so
    they are not held beside the candidate pairs while those are found and tested."""
    with _numeric_items(aggregates, codes) as items:
        rows_per_account = items.group_by("account").agg(rows=pl.len()).collect(engine="streaming")
        parts = max(1, math.ceil(int(rows_per_account.get_column("rows").sum()) / ITEM_CHUNK_ROWS))
        # Walks first, while nothing else is held (after the count, beside the shared
        # rows, the 10M-request log's peak rose 430 MB).
        walkers = walker_codes(items, item_max_holders(rows_per_account.height), ITEM_MAX_REPEAT, parts)
        size, shared, tokens = _counted_items(items, parts)
    cut = rows_per_account.filter(pl.col("rows") >= ITEMS_PER_ACCOUNT).get_column("account")
    if aggregates.folder is None:
        yield _CountedItems(size=size, shared=shared.lazy(), tokens=tokens, cut=cut, walkers=walkers)
        return
    path = Path(aggregates.folder.name) / "items-shared.parquet"
    shared.write_parquet(path)
    del shared
    try:
        yield _CountedItems(size=size, shared=pl.scan_parquet(path), tokens=tokens, cut=cut, walkers=walkers)
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def _numeric_items(aggregates: Aggregates, codes: pl.DataFrame) -> Iterator[pl.LazyFrame]:
    """The item table as numbers (account code, topic, item, n, first_ts: 25 bytes a row), read
    once: written to the scan's folder when the table is on disk, so that each part of
    `item_overlaps` reads numbers rather than joining account ids again; collected
    where the aggregates have no folder (a small log's, kept in memory, or either side
    of an allowlist's split)."""
    numeric = (
        aggregates.account_items.lazy()
        .join(codes.lazy(), on="account_id")
        .select(
            account=pl.col("code").cast(pl.UInt32), topic=pl.col("topic").cast(_TOPIC_ENUM), item="item",
            n=pl.col("n").cast(pl.UInt32), first_ts="first_ts",
        )
    )
    if aggregates.folder is None:
        yield numeric.collect().lazy()
        return
    path = Path(aggregates.folder.name) / "items-numeric.parquet"
    numeric.sink_parquet(path, engine="streaming")
    try:
        yield pl.scan_parquet(path)
    finally:
        path.unlink(missing_ok=True)


def _counted_items(items: pl.LazyFrame, parts: int) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The items (no wrappers) counted a part of the item values at a time, in the core
    (`count_items`): each account's items per topic (`size`); the rows of items held by
    two or more accounts (account, topic, holders, `token`: the item as a number below
    the count returned), grouped by token. A part's items are its own, so its tokens are
    numbered after those of the parts before it.

    Within a part, an item is filed under the topic most of its holders send it under
    (ties: the first by name) and an account's rows of one item are summed. A request's
    topic is read off its whole text, system prompt and wrapper included, so one item
    sent by two accounts can be filed under two topics: the account whose system prompt
    says "senior Python developer", or whose reasoning ask says "show the logic", files
    the campaign's pool items under coding or math, the rest under general chat. Counted
    by (topic, item), such an account held none of its campaign's items; at 10M requests
    12 of the low-and-slow campaign's 600 accounts stayed unlinked so. An item its
    holders send more than ITEM_MAX_REPEAT times each on average is a wrapper, dropped.

    One sort of the part's rows in the core replaced seven Polars group-bys, joins and
    sorts over them (the 10M-request log's 8.4M rows: 2.4 s against 1.2 s)."""
    names = pl.Series("topic", _TOPIC_ENUM.categories, dtype=_TOPIC_ENUM)
    sizes, shared = [], []
    tokens = 0
    for part in range(parts):
        rows = items.filter(pl.col("item") % parts == part).collect(engine="streaming")
        size_part, shared_part, numbered = _core.count_items(
            rows.get_column("account"), rows.get_column("topic").to_physical().cast(pl.UInt32),
            rows.get_column("item"), rows.get_column("n"), len(TOPICS), ITEM_MAX_REPEAT, tokens,
        )
        del rows
        sizes.append(pl.DataFrame(size_part))
        shared.append(pl.DataFrame(shared_part))
        tokens += numbered
    size = (
        pl.concat(sizes).group_by("account", "topic").agg(pl.col("size").sum().cast(pl.Float64))
        .with_columns(topic=pl.lit(names).gather(pl.col("topic")))
    )
    shared_rows = pl.concat(shared, rechunk=False).with_columns(topic=pl.lit(names).gather(pl.col("topic")))
    return size, shared_rows, tokens


def _expected(pairs: pl.Series, profile: pl.DataFrame, accounts: int) -> pl.Series:
    """Per pair (keys), how many of one account's items the other holds by chance, the
    larger way round: Σ_t mass(a, t) · size(b, t) / rows(t), in the core (joining each
    pair to its topics held 4.3 GB at 10M requests' 8M pairs)."""
    topics = len(TOPICS)
    at = pl.col("account").cast(pl.UInt64) * topics + pl.col("topic").to_physical()
    grid = pl.DataFrame({"at": pl.int_range(accounts * topics, eager=True, dtype=pl.UInt64)}).join(
        profile.select(at.alias("at"), "mass", "size"), on="at", how="left", maintain_order="left"
    ).fill_null(0.0)
    per_topic = dict(profile.group_by(pl.col("topic").to_physical()).agg(pl.col("rows").first()).iter_rows())
    rows = [float(per_topic.get(index, 0.0)) for index in range(topics)]
    expected = _core.expected_shared(pairs, grid.get_column("mass"), grid.get_column("size"), rows)
    return pl.DataFrame(expected).get_column("expected")


def _without_shared_content(pairs: pl.DataFrame, content: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """The pairs (keys) whose accounts hold no content token in common."""
    if content.is_empty():
        return pairs
    rows = (
        content.select("account_id", "kind", "value")
        .join(codes, on="account_id")
        .sort("kind", "value", "code")
        .select(account=pl.col("code").cast(pl.UInt32), token=(token_number() - 1).cast(pl.UInt32))
    )
    tokens = int(rows.get_column("token").max() or 0) + 1  # type: ignore[arg-type]
    shared = pl.DataFrame(
        _core.count_shared(pairs.get_column("pair"), rows.get_column("account"), rows.get_column("token"),
                           codes.height, tokens)
    ).get_column("shared")
    return pairs.filter(shared == 0)
