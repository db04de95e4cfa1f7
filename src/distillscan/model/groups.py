"""Scored groups and the links behind them: what the report stage renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

SEVERITY_THRESHOLDS: Final[tuple[tuple[str, float], ...]] = (
    ("critical", 0.8),
    ("high", 0.65),
    ("medium", 0.5),
    ("low", 0.35),
    ("info", 0.0),
)
SEVERITIES: Final[tuple[str, ...]] = tuple(name for name, _ in SEVERITY_THRESHOLDS)


def severity_of(score: float) -> str:
    """The severity band a score falls into."""
    for name, threshold in SEVERITY_THRESHOLDS:
        if score >= threshold:
            return name
    return SEVERITY_THRESHOLDS[-1][0]


def severity_rank(name: str) -> int:
    """0 for critical … 4 for info; lower is more severe."""
    return SEVERITIES.index(name)


@dataclass(frozen=True)
class GroupReport:
    """Everything the report stage needs about the scored groups."""

    groups: pl.DataFrame
    """One row per group: ids, counts, features, components, score, severity, rank."""
    accounts: pl.DataFrame
    """One row per account: account features plus group_id."""
    templates: pl.DataFrame
    """Top templates per group: group_id, template, skeleton, n_requests, share, n_accounts."""
    reasons: Mapping[str, list[str]]
    """group_id → human-readable reasons, strongest first (written when first read)."""
    membership: pl.DataFrame
    """account_id → group_id, one row per account: the linked groups, less the members
    of relaying groups that relay nothing, each set apart as a group of its own."""


ITEMS_KIND: Final = "items"
"""Not a token two accounts share but a link: task items both send far beyond chance
(`link.coharvest`). Accounts so linked hold a content token of this kind in
`Linkage.tokens`, and their links name it among their kinds."""


WALK_KIND: Final = "walk"
"""Not a shared token but a note: the account walks its task items in an order other
accounts repeat, as runs of a public benchmark do (`link.walks`). Such accounts hold a
token of this kind in `Linkage.tokens`; it links no one."""


LINK_KIND_LABELS: Final[dict[str, str]] = {
    "template": "prompt template (or the group's own frames or closing sentences)",
    "wrapper": "system prompt with the same closing sentence",
    "bespoke_system": "one system prompt, worded its own way by each account",
    "paraphrased_system": "paraphrases of one system prompt",
    "system": "system prompt (or the group's own system prompts)",
    ITEMS_KIND: "task items sent far beyond their popularity",
    "org": "organisation",
    "payment": "payment method",
    "ip": "IP address",
    "subnet": "/24 subnet",
    "created": "created in the same hour",
    "user_agent": "user agent",
}
"""What each kind of link evidence (`Linkage.edges` kinds) is, for a person."""


@dataclass(frozen=True)
class Linkage:
    """The result of linking: who is in which group, and each member's strongest link."""

    membership: pl.DataFrame
    """account_id → group_id, one row per account."""
    edges: pl.DataFrame
    """a, b (account ids, a < b), similarity, kinds (shared evidence kinds, sorted): the
    strongest link of each linked account (at most one row per account, so it stays as
    small as the accounts; every pair that linked, 12.96M at 30M requests, is not kept)."""
    tokens: pl.DataFrame
    """account_id, kind, value, n_accounts: the content evidence (templates, system
    prompts and wrappers, `link.worth.CONTENT_KINDS`) each account holds, and a token of kind
    `items` for each account linked by co-harvested task items (`link.coharvest`) and one
    of kind `walk` for each account that walks its items in others' order. Its
    infrastructure tokens (millions of proxy IPs and /24s in a large log) are not kept."""
