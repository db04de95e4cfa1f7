"""Linking: accounts whose shared evidence reaches LINK_THRESHOLD are linked, and
the groups are the connected components of those links."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import polars as pl

from distillscan import _core
from distillscan.graph import component_frame
from distillscan.link.candidates import candidate_pair_keys, pair_ends, pair_key
from distillscan.link.cards import card_attachments, specific_cards
from distillscan.link.coharvest import coharvest_links, significant_item_pairs
from distillscan.link.evidence import coded_evidence_tokens
from distillscan.link.families import family_attachments
from distillscan.link.frames import closer_attachments, frame_attachments
from distillscan.link.scoring import ITEMS_BIT, KIND_NAMES, linked_pair_keys, named
from distillscan.link.standing import item_links_apart
from distillscan.link.worth import LINK_THRESHOLD
from distillscan.model.aggregates import Aggregates
from distillscan.model.groups import ITEMS_KIND, WALK_KIND, Linkage
from distillscan.stages import stage


def group_id_for(root_account: str) -> str:
    """A group's id: derived from its smallest account id, so it is stable across runs."""
    return "G-" + hashlib.blake2b(root_account.encode("utf-8"), digest_size=5).hexdigest()


def link_accounts(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame
) -> Linkage:
    """Link accounts by shared evidence and return the groups (components).

    Pairs are formed, scored and joined into components over integer account codes
    (their rank in id order), so the joins compare numbers rather than strings; ids come
    back for the members and for each member's strongest link (`Linkage.edges`).

    Memory is bounded by the tokens held by two or more accounts (held as numbers
    through linking, 13 bytes a row, and the content kinds as strings), the candidate
    pairs (8-byte keys), the core's sorted token lists for scoring them, the linked
    pairs and, for their components and strongest links, 4 and 16 bytes per account;
    the co-harvest stage runs first, bounded as `coharvest` and `attach` say. On the
    30M-request real-text log (135k accounts; 8.0M tokens, 21.4M candidate pairs, 12.96M
    linked pairs) linking peaked at 1.72 GB within a scan (2.72 GB while the address
    table and the frames' text stayed in memory; 4.0 GB with the tokens held as strings,
    the item table counted whole, candidate pairs de-duplicated by Polars and strongest
    links found by group-bys, when 6.9M pairs linked).
    """
    accounts = aggregates.accounts.select("account_id").sort("account_id")
    codes = accounts.with_row_index("code")
    # Accounts whose task items overlap beyond chance link too (`coharvest`): those
    # pairs are found first, before the tokens are held (at 30M requests each peaked
    # about 0.7 GB over what a scan holds by then).
    with stage("link: item pairs"):
        item_links = significant_item_pairs(aggregates, codes)
    # Pairs are drawn and scored from numbers alone (code, token number, kind, holders);
    # only the content tokens keep their strings, for scoring groups.
    with stage("link: evidence tokens"):
        coded, content = coded_evidence_tokens(aggregates, templates, system_families, codes)
    with stage("link: token pairs"):
        linked = linked_pair_keys(
            candidate_pair_keys(coded, account="code"), coded, account="code", min_similarity=LINK_THRESHOLD,
            population=codes.height,
        )
    cards = specific_cards(coded)
    del coded
    # Components are found over the integer codes: the root (smallest code) is the
    # smallest account id. Over ids, with each pair's kinds named beside it, the 6.9M
    # linked pairs of the 30M-request log peaked at 4.7 GB; over codes, with the kinds
    # named for each account's strongest link only, linking peaked at 3.2 GB (3.7 GB
    # when measured beside the rest of a scan); with the candidate pairs held as keys
    # alone and components found by the core's union-find, 3.3 GB. The linked pairs
    # stay keys, in no particular order: joined to the item links as (a, b) columns and
    # sorted, the 12.96M of the same log took linking from 2.77 GB to 3.53 GB.
    # A pair linked by items and by tokens keeps its token score. Each membership test
    # hashes the few item keys, never the linked pairs.
    item_keys = (
        coharvest_links(item_links, content, codes)
        .select(pair=pair_key(pl.col("a"), pl.col("b")))
        .get_column("pair")
    )
    keys = linked.get_column("pair")
    # The token links' components, found once: item links are checked against them, and
    # the groups are them joined by the links added below (each member to its root
    # stands in for the token links, one edge an account instead of one a pair).
    token_components = component_frame(linked.select(*pair_ends(pl.col("pair"))))
    # Item links grow groups but never merge two that stand on their own (`standing`).
    item_keys = item_links_apart(item_keys, token_components)
    linked_both_ways = keys.filter(keys.is_in(item_keys.implode()))
    item_only = item_keys.filter(~item_keys.is_in(linked_both_ways.implode()))
    linked = pl.concat([linked, _rule_links(item_only, ITEMS_BIT)])
    # Accounts still alone that share a card with someone are attached (`cards`).
    card_keys = card_attachments(cards, linked, codes.height)
    linked = pl.concat([linked, _rule_links(card_keys, 1 << KIND_NAMES.index("payment"))])
    added = pl.concat([item_only, card_keys]).to_frame("pair").select(*pair_ends(pl.col("pair")))
    components = component_frame(
        pl.concat([token_components.select(a=pl.col("node"), b=pl.col("root")), added], how="vertical_relaxed")
    )
    # Accounts still alone, and components too small to own a prompt, that use two of a
    # group's own system prompts, or one only it uses and one of its subnets, join it
    # (`families`).
    with stage("link: own families"):
        joined = family_attachments(aggregates, system_families, components, codes)
    if not joined.is_empty():
        system_bit, subnet_bit = (1 << KIND_NAMES.index(kind) for kind in ("system", "subnet"))
        family_links = joined.select(
            pair=pair_key(pl.col("account"), pl.col("partner")),
            similarity=pl.lit(LINK_THRESHOLD),
            kinds=pl.when("network").then(system_bit | subnet_bit).otherwise(system_bit).cast(pl.UInt16),
        )
        linked = pl.concat([linked, family_links])
        components = _with_leaves(components, joined.select("account", "partner"))
    # Accounts still alone that send two of a group's own prompt frames join it (`frames`).
    # Then those that send two of its own closing sentences.
    template_bit = 1 << KIND_NAMES.index("template")
    for name, attach in (("frames", frame_attachments), ("closers", closer_attachments)):
        with stage(f"link: own {name}"):
            relaying = attach(aggregates, components, codes)
        if not relaying.is_empty():
            linked = pl.concat([
                linked, _rule_links(relaying.select(pair=pair_key(pl.col("account"), pl.col("partner")))["pair"],
                                    template_bit),
            ])
            components = _with_leaves(components, relaying)
    roots = components.select(
        account_id=pl.col("node").map_batches(_ids_of(codes), return_dtype=pl.String),
        root=pl.col("root").map_batches(_ids_of(codes), return_dtype=pl.String),
    )
    membership = accounts.join(roots, on="account_id", how="left", maintain_order="left").with_columns(
        root=pl.col("root").fill_null(pl.col("account_id"))
    )
    group_ids = membership.select("root").unique().with_columns(
        group_id=pl.col("root").map_elements(group_id_for, return_dtype=pl.String)
    )
    membership = membership.join(group_ids, on="root", maintain_order="left").select("account_id", "group_id")
    return Linkage(
        membership=membership,
        edges=_strongest_links(linked, codes),
        tokens=pl.concat([
            content,
            _item_tokens(item_keys, codes, content),
            _account_tokens(item_links.walkers, WALK_KIND, "items in another account's order", codes, content),
        ]),
    )


def _rule_links(keys: pl.Series, kind_bit: int) -> pl.DataFrame:
    """Links made by a rule rather than scored (co-harvested items, attachments), shaped
    like linked pairs: `pair` keys at LINK_THRESHOLD, with the kind bit that made them."""
    return pl.DataFrame({"pair": keys}).with_columns(
        similarity=pl.lit(LINK_THRESHOLD), kinds=pl.lit(kind_bit, dtype=pl.UInt16)
    )


def _with_leaves(components: pl.DataFrame, leaves: pl.DataFrame) -> pl.DataFrame:
    """`components` (node, root: its smallest node; sorted by node) with each leaf
    (account: an account in no component or a component's root; partner: a member of
    another component) and its component joined to its partner's, roots kept the
    smallest node: what `component_frame` would give with the leaves' links added,
    without joining every linked pair again. No partner is itself a leaf."""
    moves = leaves.join(components, left_on="partner", right_on="node").select(old="account", new="root")
    lone = moves.join(components, left_on="old", right_on="node", how="anti").select(node="old", root="new")
    moved = components.join(moves, left_on="root", right_on="old", how="left").select(
        "node", root=pl.col("new").fill_null(pl.col("root"))
    )
    grown = pl.concat([moved, lone])
    return grown.with_columns(root=pl.col("node").min().over("root")).sort("node")


def _item_tokens(item_keys: pl.Series, codes: pl.DataFrame, content: pl.DataFrame) -> pl.DataFrame:
    """A content token of kind ITEMS_KIND for each account linked by its items (`item_keys`:
    pair keys), with how many accounts are (shaped like `content`)."""
    ends = item_keys.to_frame("pair").select(*pair_ends(pl.col("pair")))
    linked = pl.concat([ends.get_column("a"), ends.get_column("b")]).unique().sort()
    return _account_tokens(linked, ITEMS_KIND, "shared items", codes, content)


def _account_tokens(
    accounts: pl.Series, kind: str, value: str, codes: pl.DataFrame, content: pl.DataFrame
) -> pl.DataFrame:
    """One token (`kind`, `value`) for each of `accounts` (codes), with how many accounts
    hold it, shaped like `content`: a note on accounts rather than evidence they share."""
    ids = _ids_of(codes)(accounts)
    return pl.DataFrame({"account_id": ids}).select(
        "account_id", kind=pl.lit(kind), value=pl.lit(value), n_accounts=pl.lit(ids.len())
    ).cast(content.schema)


def _ids_of(codes: pl.DataFrame) -> Callable[[pl.Series], pl.Series]:
    """Account codes → account ids (`codes` holds each id at the row of its code)."""
    ids = codes.get_column("account_id")
    return lambda column: ids.gather(column)


def _strongest_links(linked: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """Each linked account's strongest link (highest similarity; ties: the smaller
    partner), as (a, b, similarity, kinds) with account ids, one row per link, sorted;
    `linked` holds pair keys `pair`, `similarity` and `kinds` (bits, see `named`).

    Each account's best partner is found in the core (16 bytes an account): per-side
    group-bys with sorts over the 6.9M linked pairs of the 30M-request log peaked about
    0.7 GB over them."""
    keys = linked.get_column("pair")
    partners = pl.DataFrame(
        _core.strongest_partners(keys, linked.get_column("similarity").cast(pl.Float64), codes.height)
    ).get_column("partner")
    best = (
        pl.DataFrame({"node": pl.int_range(codes.height, eager=True, dtype=pl.UInt32), "partner": partners})
        .drop_nulls("partner")
        .select(pair=pair_key(pl.col("node"), pl.col("partner")))
        .unique()
        .get_column("pair")
    )
    strongest = linked.filter(keys.is_in(best.implode())).sort("pair").select(
        *pair_ends(pl.col("pair")), "similarity", "kinds"
    )
    to_ids = _ids_of(codes)
    return strongest.select(
        a=pl.col("a").map_batches(to_ids, return_dtype=pl.String),
        b=pl.col("b").map_batches(to_ids, return_dtype=pl.String),
        similarity="similarity",
        kinds=named(pl.col("kinds")),
    )
