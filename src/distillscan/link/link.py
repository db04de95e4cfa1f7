"""Stage 4: link accounts that share evidence into groups.

Each account holds evidence tokens: the templates that carry a real share of its
traffic, its system prompt, IPs and /24 subnets, payment fingerprints, org, user
agents and the hour it was created. Two accounts are linked when the evidence they
share, summed over kinds, reaches LINK_THRESHOLD. Each kind has a weight (a shared
payment method says more than a shared user agent) and a token's weight decays as
it becomes common (a system prompt used by hundreds of unrelated people, or a campus
NAT, is weak on its own). Kinds of one family (template and system prompt; IP and
subnet; payment and org) restate the same evidence, so a pair counts only the strongest
of each family. No weak family can link two accounts alone; it takes a strong one, or
several together.

Candidate pairs come from a sorted-neighbourhood window inside each token of the kinds
a linked pair must share (see `anchor_kinds`) rather than all pairs, so a token shared by 20,000 accounts costs 20,000 × window pairs, not 2·10⁸;
linked accounts still connect transitively. Groups are the connected components.
"""

from __future__ import annotations

import hashlib
import operator
from functools import reduce
from typing import Final

import polars as pl

from distillscan.aggregate.ranges import request_ranges
from distillscan.graph import component_frame
from distillscan.model.aggregates import Aggregates
from distillscan.model.groups import Linkage
from distillscan.model.templates import REPEATED_TEMPLATE_MIN_REQUESTS

EVIDENCE_WEIGHTS: Final[dict[str, float]] = {
    "template": 0.65,
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
    "paraphrased_system": "content",
    "system": "content",
    "org": "billing",
    "payment": "billing",
    "ip": "network",
    "subnet": "network",
    "created": "lifecycle",
    "user_agent": "client",
}
LINK_THRESHOLD: Final = 0.6
# A token shared by more accounts than this loses weight as (pivot / n) ** RARITY_POWER.
RARITY_PIVOT: Final = 100
RARITY_POWER: Final = 0.25
# Each account is paired with this many neighbours inside every token it holds.
NEIGHBOUR_WINDOW: Final = 24
# A pair of account codes (a, b) as one number: a * PAIR_BASE + b.
PAIR_BASE: Final = 1 << 32
# Candidate pairs scored at a time (memory: about 100 bytes per pair and shared token).
PAIR_CHUNK: Final = 1_000_000
# A template or system prompt is evidence for an account once it carries this share
# of the account's requests.
MIN_TEMPLATE_SHARE: Final = 0.1
MIN_SYSTEM_SHARE: Final = 0.5
# A system-prompt family reworded this many ways is deliberate variation: strangers
# either share a tool's exact prompt or write unrelated ones.
PARAPHRASE_MIN_VARIANTS: Final = 3
# ... and each account holds one variant for nearly all of that family's traffic (a
# gateway relaying many customers' look-alike app prompts does not).
MIN_PARAPHRASE_SHARE: Final = 0.8


def evidence_tokens(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame
) -> pl.DataFrame:
    """Every (account, kind, value) evidence token, with how many accounts hold it.

    A system prompt is evidence by its family (its paraphrases); a family with many
    variants is the stronger kind `paraphrased_system`. An account's content tokens
    depend on its own rows only, so they are found a range of accounts at a time
    (`request_ranges`): the group-bys over the account × frame table hold a range's
    state, not the log's.
    """
    content_tokens = [
        _content_tokens(aggregates, templates, system_families, within).collect(engine="streaming")
        for within in request_ranges(aggregates.accounts)
    ]
    value_tokens = aggregates.account_values.lazy().select("account_id", "kind", "value")
    created_tokens = aggregates.accounts.lazy().drop_nulls("created_at").select(
        "account_id",
        kind=pl.lit("created"),
        value=pl.col("created_at").dt.truncate("1h").dt.to_string("%Y-%m-%dT%H"),
    )
    tokens = pl.concat([*(frame.lazy() for frame in content_tokens), value_tokens, created_tokens]).unique()
    return (
        tokens.with_columns(n_accounts=pl.len().over("kind", "value"))
        .filter(pl.col("n_accounts") >= 2)
        .sort("kind", "value", "account_id")
        .collect(engine="streaming")
    )


def _content_tokens(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame, within: pl.Expr
) -> pl.LazyFrame:
    """The template, system and paraphrased-system tokens of the accounts `within` selects."""
    # Only slotted first-turn requests make a template: "continue" typed by two strangers,
    # or two image-only prompts, share a frame but are no evidence of a common operator.
    # Values stay integers until the (few) tokens are chosen: the (account, frame) table
    # has millions of rows in a large log, and a string per row is what memory peaks on.
    # One lazy plan, collected once by the streaming engine (measured faster than the
    # same steps run eagerly).
    account_frames = aggregates.account_frames.lazy().filter(within)
    template_tokens = _share_tokens(
        account_frames.select("account_id", "frame_fp", "n", "n_slotted")
        .join(templates.lazy(), on="frame_fp", how="left")
        .select("account_id", "n", "n_slotted", value=pl.col("template_fp").fill_null(pl.col("frame_fp"))),
        kind="template",
        min_share=MIN_TEMPLATE_SHARE,
        count_column="n_slotted",
    )
    account_systems = (
        account_frames.drop_nulls("system_fp").group_by("account_id", "system_fp").agg(n=pl.col("n").sum())
    )
    with_family = account_systems.join(system_families.lazy(), on="system_fp", how="left").with_columns(
        value=pl.col("family_fp").fill_null(pl.col("system_fp")),
        paraphrased=pl.col("n_variants").fill_null(1) >= PARAPHRASE_MIN_VARIANTS,
    )
    system_tokens = _share_tokens(with_family, kind="system", min_share=MIN_SYSTEM_SHARE)
    # One stable variant per account: its top variant carries most of its family traffic.
    variant_use = with_family.filter("paraphrased").group_by("account_id", "value", "system_fp").agg(
        n=pl.col("n").sum()
    )
    stable_variant = variant_use.group_by("account_id", "value").agg(
        variant_share=pl.col("n").max() / pl.col("n").sum()
    ).filter(pl.col("variant_share") >= MIN_PARAPHRASE_SHARE)
    paraphrase_tokens = (
        system_tokens.join(
            stable_variant.select("account_id", value=pl.col("value").cast(pl.String)), on=["account_id", "value"]
        )
        .with_columns(kind=pl.lit("paraphrased_system"))
    )
    return pl.concat([template_tokens, system_tokens, paraphrase_tokens])


def _share_tokens(
    per_frame: pl.LazyFrame, kind: str, min_share: float, count_column: str = "n"
) -> pl.LazyFrame:
    """Tokens for values carrying at least `min_share` of an account's requests (and at
    least REPEATED_TEMPLATE_MIN_REQUESTS of them, counted in `count_column`)."""
    totals = per_frame.group_by("account_id").agg(total=pl.col("n").sum())
    return (
        per_frame.group_by("account_id", "value")
        .agg(n=pl.col(count_column).sum())
        .join(totals, on="account_id")
        .filter(
            (pl.col("n") >= REPEATED_TEMPLATE_MIN_REQUESTS)
            & (pl.col("n") / pl.col("total") >= min_share)
        )
        # One-off frames (null) count toward an account's total but are no shared value.
        .drop_nulls("value")
        .select("account_id", kind=pl.lit(kind), value=pl.col("value").cast(pl.String))
    )


def _token_weight() -> pl.Expr:
    weight = pl.col("kind").replace_strict(EVIDENCE_WEIGHTS, return_dtype=pl.Float64)
    rarity = (RARITY_PIVOT / pl.col("n_accounts").cast(pl.Float64)).pow(RARITY_POWER).clip(
        upper_bound=1.0
    )
    return weight * rarity


def anchor_kinds() -> frozenset[str]:
    """Kinds a linked pair must share at least one of.

    The weakest kinds are set aside while the best a pair could score from them alone
    (the strongest kind per family, summed) stays below LINK_THRESHOLD; a pair sharing
    none of the rest can never link, so candidates are drawn from the rest only. Rarity
    only lowers weights, so this is exact.
    """
    weak: set[str] = set()
    for kind in sorted(EVIDENCE_WEIGHTS, key=lambda name: (EVIDENCE_WEIGHTS[name], name)):
        trial = weak | {kind}
        best_by_family: dict[str, float] = {}
        for name in trial:
            family = EVIDENCE_FAMILIES[name]
            best_by_family[family] = max(best_by_family.get(family, 0.0), EVIDENCE_WEIGHTS[name])
        if sum(best_by_family.values()) >= LINK_THRESHOLD:
            break
        weak = trial
    return frozenset(EVIDENCE_WEIGHTS) - weak


def candidate_pairs(tokens: pl.DataFrame, account: str = "code") -> pl.DataFrame:
    """Pairs (a < b), sorted, of accounts within NEIGHBOUR_WINDOW of each other inside
    some anchor token (see `anchor_kinds`); `tokens` must be sorted by kind, value,
    account, and `account` must be an integer code below 2³² (see `link_accounts`).

    Each pair travels as one 64-bit number (a·2³² + b) from the shifted windows to
    its de-duplication, streamed: on the 30M-row log's 3.8M pairs that held 0.26 GB
    where pairs of two columns, de-duplicated in memory, held 1.04 GB.
    """
    ordered = tokens.lazy().filter(pl.col("kind").is_in(sorted(anchor_kinds()))).select(
        account,
        token=(
            (pl.col("kind") != pl.col("kind").shift()) | (pl.col("value") != pl.col("value").shift())
        ).fill_null(True).cum_sum(),
    )
    code = pl.col(account).cast(pl.UInt64)
    shifted = [
        ordered.select(
            pair=pl.min_horizontal(code, code.shift(-offset)) * PAIR_BASE
            + pl.max_horizontal(code, code.shift(-offset)),
            same=pl.col("token") == pl.col("token").shift(-offset),
        )
        .filter("same")
        .select("pair")
        for offset in range(1, NEIGHBOUR_WINDOW + 1)
    ]
    return (
        pl.concat(shifted).unique().sort("pair")
        .select(a=(pl.col("pair") // PAIR_BASE).cast(pl.UInt32), b=(pl.col("pair") % PAIR_BASE).cast(pl.UInt32))
        .collect(engine="streaming")
    )


def score_pairs(
    pairs: pl.DataFrame, tokens: pl.DataFrame, account: str = "account_id", min_similarity: float = 0.0
) -> pl.DataFrame:
    """Weighted shared evidence of each pair: per family the strongest shared token,
    summed; only pairs reaching `min_similarity`, with the kinds they share.

    Tokens are compared as integer ids, and kinds are listed only for the pairs kept:
    most candidate pairs fall short, and listing costs more than scoring. Pairs are
    scored PAIR_CHUNK at a time: each on its own, so chunks bound memory and change
    nothing.
    """
    ids = tokens.select("kind", "value").unique().sort("kind", "value").with_row_index("token")
    kind_names = sorted(EVIDENCE_WEIGHTS)
    families = sorted(set(EVIDENCE_FAMILIES.values()))
    # Kinds and families as small integers: the joins below carry a row per pair and
    # token of its first account, tens of millions of rows in a large log.
    weighted = tokens.join(ids, on=["kind", "value"]).select(
        account,
        "token",
        family=pl.col("kind").replace_strict(
            {kind: families.index(family) for kind, family in EVIDENCE_FAMILIES.items()}, return_dtype=pl.UInt8
        ),
        kind=pl.col("kind").replace_strict({kind: code for code, kind in enumerate(kind_names)}, return_dtype=pl.UInt8),
        weight=_token_weight(),
    )
    first = weighted.rename({account: "a"}).lazy()
    second = weighted.select(account, "token").rename({account: "b"}).lazy()
    # Per family the strongest shared token, as one column each, summed in family order:
    # a float sum inside a parallel group-by is not reproducible to the last bit.
    strongest = [
        pl.col("weight").filter(pl.col("family") == code).max().fill_null(0.0).alias(f"_family{code}")
        for code in range(len(families))
    ]
    total = reduce(operator.add, [pl.col(f"_family{code}") for code in range(len(families))])
    scored: list[pl.DataFrame] = []
    for offset in range(0, max(pairs.height, 1), PAIR_CHUNK):
        # Joined once per chunk: both the scores and the kinds of kept pairs read it.
        shared = (
            pairs.slice(offset, PAIR_CHUNK).lazy().join(first, on="a").join(second, on=["b", "token"])
            .collect(engine="streaming")
            .lazy()
        )
        similarity = (
            shared.group_by("a", "b")
            .agg(strongest)
            .select("a", "b", similarity=total)
            .filter(pl.col("similarity") >= min_similarity)
            .collect(engine="streaming")
        )
        kinds = (
            shared.join(similarity.lazy().select("a", "b"), on=["a", "b"], how="semi")
            .group_by("a", "b")
            .agg(kinds=pl.col("kind").unique().sort())
            .collect(engine="streaming")
        )
        scored.append(similarity.join(kinds, on=["a", "b"], how="left"))
    return pl.concat(scored).with_columns(
        kinds=pl.col("kinds").list.eval(pl.element().replace_strict(dict(enumerate(kind_names)), return_dtype=pl.String))
    ).sort("a", "b")


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
    scored = (
        score_pairs(pairs, coded, account="code", min_similarity=LINK_THRESHOLD)
        if pairs.height
        else pl.DataFrame(
            schema={"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64, "kinds": pl.List(pl.String)}
        )
    )
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
