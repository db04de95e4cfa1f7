"""Linking: accounts whose shared evidence reaches LINK_THRESHOLD are linked, and
the groups are the connected components of those links."""

from __future__ import annotations

import hashlib

import polars as pl

from distillscan.graph import component_frame
from distillscan.link.candidates import candidate_pairs
from distillscan.link.evidence import LINK_THRESHOLD, evidence_tokens
from distillscan.link.scoring import score_pairs
from distillscan.model.aggregates import Aggregates
from distillscan.model.groups import Linkage


def group_id_for(root_account: str) -> str:
    """A group's id: derived from its smallest account id, so it is stable across runs."""
    return "G-" + hashlib.blake2b(root_account.encode("utf-8"), digest_size=5).hexdigest()


def link_accounts(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame
) -> Linkage:
    """Link accounts by shared evidence and return the groups (components).

    Pairs are formed and scored over integer account codes (their rank in id order), so
    the joins compare numbers rather than strings; ids come back for the edges.
    """
    tokens = evidence_tokens(aggregates, templates, system_families)
    accounts = aggregates.accounts.select("account_id").sort("account_id")
    codes = accounts.with_row_index("code")
    coded = tokens.join(codes, on="account_id", maintain_order="left")
    pairs = candidate_pairs(coded, account="code")
    scored = score_pairs(pairs, coded, account="code", min_similarity=LINK_THRESHOLD)
    ids = codes.rename({"account_id": "id"})
    edges = (
        scored.filter(pl.col("similarity") >= LINK_THRESHOLD)
        .join(ids.rename({"code": "a"}), on="a", maintain_order="left")
        .join(ids.rename({"code": "b", "id": "id_b"}), on="b", maintain_order="left")
        .select(a="id", b="id_b", similarity="similarity", kinds="kinds")
    )
    roots = component_frame(edges).rename({"node": "account_id"})
    membership = accounts.join(roots, on="account_id", how="left", maintain_order="left").with_columns(
        root=pl.col("root").fill_null(pl.col("account_id"))
    )
    group_ids = membership.select("root").unique().with_columns(
        group_id=pl.col("root").map_elements(group_id_for, return_dtype=pl.String)
    )
    membership = membership.join(group_ids, on="root", maintain_order="left").select("account_id", "group_id")
    return Linkage(membership=membership, edges=edges, tokens=tokens)
