"""What one shared evidence token is worth.

Each kind of evidence has a weight (a shared payment method says more than a shared user
agent), and a token's weight decays as it becomes common (a system prompt used by
hundreds of unrelated people, or a campus NAT, is weak on its own). Kinds of one family
(template and system prompt; IP and subnet; payment and org) restate the same evidence,
so a pair counts only the strongest of each family. Which tokens each account holds is
`evidence`'s.
"""

from __future__ import annotations

from typing import Final

import polars as pl

EVIDENCE_WEIGHTS: Final[dict[str, float]] = {
    "template": 0.65,
    "wrapper": 0.65,
    "bespoke_system": 0.65,
    "paraphrased_system": 0.65,
    "org": 0.6,
    "payment": 0.5,
    "ip": 0.3,
    "system": 0.2,
    "subnet": 0.15,
    "created": 0.1,
    "user_agent": 0.05,
}
# Kinds that restate the same evidence: a pair counts only the strongest of a family.
EVIDENCE_FAMILIES: Final[dict[str, str]] = {
    "template": "content",
    "wrapper": "content",
    "bespoke_system": "content",
    "paraphrased_system": "content",
    "system": "content",
    "org": "billing",
    "payment": "billing",
    "ip": "network",
    "subnet": "network",
    "created": "lifecycle",
    "user_agent": "client",
}
CONTENT_KINDS: Final = tuple(sorted(kind for kind, family in EVIDENCE_FAMILIES.items() if family == "content"))
"""The kinds of what accounts send (templates and system prompts), as against who they are."""
LINK_THRESHOLD: Final = 0.6
# A token shared by more accounts than the pivot loses weight as (pivot / n) **
# RARITY_POWER. The pivot is a share of the log's accounts (RARITY_PIVOT_SHARE), never
# below RARITY_PIVOT: popularity is relative, so one campaign inside 10× more traffic
# keeps the weights it had. With a fixed pivot of 100 (the share at 13k accounts, where
# it was set), on the 10M-request real-text log with the optional columns dropped a
# rotating-proxy campaign's templates (8-13% of 135k accounts) fell from 0.33 to 0.19
# and the campaign broke into 5,827 groups.
RARITY_PIVOT: Final = 100
RARITY_PIVOT_SHARE: Final = 0.0075
RARITY_POWER: Final = 0.25
# A token held by more than COMMON_SHARE of a log's accounts (and COMMON_MIN_HOLDERS)
# is common: no evidence at all. On the 10M-request log, near-duplicate clustering
# chained ordinary users' generic frames into one template held by 22% of accounts
# (before templates were held to near duplicates of their representative);
# weighed by rarity alone (0.28) it joined any two users of one rotating proxy pool
# who met on an exit address by chance (0.3), and 481 of them into the campaign behind
# that pool. Below COMMON_MIN_HOLDERS holders a log says too little about its
# population (a list of suspects is mostly campaign).
COMMON_SHARE: Final = 0.2
COMMON_MIN_HOLDERS: Final = 1000
# A pair links only on specific evidence: at least one shared token held by at most
# SPECIFIC_MAX_HOLDERS accounts, of a kind at least SPECIFIC_MIN_WEIGHT strong (a
# subnet or stronger). A popular agent's template or system prompt is shared by its
# users and by any campaign that drives the agent; alone (with a common user agent) it
# chained 72 of 100 of the agent's users into a hydra campaign's group on the
# generator's log. Campaigns larger than this still link, on their payment methods,
# proxies and their own templates.
SPECIFIC_MAX_HOLDERS: Final = 50
SPECIFIC_MIN_WEIGHT: Final = 0.15


def token_number(keys: tuple[str, ...] = ("kind", "value")) -> pl.Expr:
    """Each row's token as a number, from 1, in a table sorted by `keys` (a token is one
    value of them)."""
    changed = [pl.col(key) != pl.col(key).shift() for key in keys]
    return pl.any_horizontal(changed).fill_null(True).cum_sum()


def numbered(tokens: pl.DataFrame) -> pl.DataFrame:
    """Tokens with their `token` number (see `token_number`), unless they have one."""
    return tokens if "token" in tokens.columns else tokens.with_columns(token=token_number())


def _kind_weight() -> pl.Expr:
    """The weight of each row's `kind` (EVIDENCE_WEIGHTS)."""
    return pl.col("kind").replace_strict(EVIDENCE_WEIGHTS, return_dtype=pl.Float64)


def specific_token() -> pl.Expr:
    """Whether a token is specific evidence (`kind` and `n_accounts` columns): held by
    at most SPECIFIC_MAX_HOLDERS accounts (or a bespoke family, at any size) and of a kind
    of weight SPECIFIC_MIN_WEIGHT or more."""
    held_by_few = (pl.col("n_accounts") <= SPECIFIC_MAX_HOLDERS) | (pl.col("kind") == "bespoke_system")
    return held_by_few & (_kind_weight() >= SPECIFIC_MIN_WEIGHT)


def rarity_pivot(population: int) -> float:
    """How many of `population` accounts may hold a token before it loses weight."""
    return max(float(RARITY_PIVOT), RARITY_PIVOT_SHARE * population)


def common_holders(population: int) -> float:
    """How many of `population` accounts may hold a token before it is common (no
    evidence); with no population given, none is."""
    return max(float(COMMON_MIN_HOLDERS), COMMON_SHARE * population) if population else float("inf")


def token_weight(population: int = 0) -> pl.Expr:
    """A token's weight: its kind's, discounted by rarity once more than the rarity
    pivot of `population` accounts hold it, and nothing once it is common (see
    `common_holders`); bespoke families excepted (`kind` and `n_accounts` columns)."""
    held_by = pl.col("n_accounts").cast(pl.Float64)
    rarity = (rarity_pivot(population) / held_by).pow(RARITY_POWER).clip(upper_bound=1.0)
    return _kind_weight() * (
        pl.when(pl.col("kind") == "bespoke_system").then(1.0)
        .when(held_by > common_holders(population)).then(0.0)
        .otherwise(rarity)
    )
