"""Accounts that link to nobody, attached to an account they share a payment method with.

One payer is one operator, but a shared card is not scored as a link of its own (its
weight, 0.5, is below LINK_THRESHOLD). Scored as one (0.6, as an org) it linked a
hydra's small accounts, which share a card with a member and nothing else above noise
(at 1M requests 139 of the 152 hydra accounts left out; hydra recall 0.94 in 907 groups
at 10M), but it also chained groups together: on a 60k-request log two ordinary users
already in the hydra's group shared family cards with users inside a benign group of
50, and the two merged (account precision 0.55).

So a card only *attaches*: an account in no linked pair joins one account it shares a
specific card with (held by at most SPECIFIC_MAX_HOLDERS accounts), a linked one if it
can (ties: the smaller code). Each attached account brings one link, from itself, so no
two groups can merge through cards: a group only gains accounts that were alone.

Memory: the specific card rows (one per account at most per card) and their holder
pairs (at most SPECIFIC_MAX_HOLDERS per row), and one partner per account.
"""

from __future__ import annotations

import polars as pl

from distillscan import _core
from distillscan.link.candidates import pair_key
from distillscan.link.worth import SPECIFIC_MAX_HOLDERS


def specific_cards(coded: pl.DataFrame) -> pl.DataFrame:
    """`code`, `token` of the payment methods at most SPECIFIC_MAX_HOLDERS accounts hold,
    from linking's numeric tokens (see `evidence.coded_evidence_tokens`)."""
    return coded.filter((pl.col("kind") == "payment") & (pl.col("n_accounts") <= SPECIFIC_MAX_HOLDERS)).select(
        "code", "token"
    )


def card_attachments(cards: pl.DataFrame, linked: pl.DataFrame, accounts: int) -> pl.Series:
    """Sorted pair keys `pair`: each account of `cards` in none of the `linked` pairs
    (keys `pair`, with their `similarity`) with the partner it attaches to (see the
    module's note); `accounts` is how many account codes there are."""
    partners = pl.DataFrame(
        _core.strongest_partners(
            linked.get_column("pair"), linked.get_column("similarity").cast(pl.Float64), accounts
        )
    ).get_column("partner")
    is_linked = pl.DataFrame({"code": pl.int_range(accounts, eager=True, dtype=pl.UInt32)}).with_columns(
        linked=partners.is_not_null()
    )
    holders = cards.join(cards.rename({"code": "partner"}), on="token").filter(pl.col("code") != pl.col("partner"))
    lone = holders.join(is_linked, on="code").filter(~pl.col("linked")).drop("linked")
    chosen = (
        lone.join(is_linked.rename({"code": "partner"}), on="partner")
        .sort("code", "linked", "partner", descending=[False, True, False])
        .unique("code", keep="first")
    )
    return chosen.select(pair=pair_key(pl.col("code"), pl.col("partner"))).unique().sort("pair").get_column("pair")
