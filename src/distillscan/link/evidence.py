"""The evidence tokens each account holds.

Each account holds evidence tokens: the templates that carry a real share of its
traffic, its system prompt, its wrapper (that prompt with the closing sentence it ends
its tasks with), IPs and /24 subnets, payment fingerprints, org, user agents and the
hour it was created. What one shared token is worth is `worth`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import polars as pl

from distillscan.aggregate.ranges import request_ranges
from distillscan.link.worth import CONTENT_KINDS, EVIDENCE_WEIGHTS, token_number
from distillscan.model.aggregates import Aggregates
from distillscan.model.templates import REPEATED_TEMPLATE_MIN_REQUESTS, carries, with_template_fp

# A template or system prompt is evidence for an account once it carries this share
# of the account's requests: for a template, of its slotted first turns, the only
# requests that can carry one. Counted over all requests, a relay whose apps hold long
# conversations diluted a campaign riding through it: on the 10M-request real-text log
# two of the four mixed resellers sent the computer-use campaign's template (9 holders)
# in 9.4-9.7% of their requests and linked to nobody (5 benign resellers relay the
# same product at 1.9-3.1%).
MIN_TEMPLATE_SHARE: Final = 0.1
MIN_SYSTEM_SHARE: Final = 0.5
# ... and REPEATED_TEMPLATE_MIN_REQUESTS of them, or in a small account FEW_REQUESTS_MIN
# making FEW_REQUESTS_MIN_SHARE of them. A hydra spreads thin: on the 1M-request
# real-text log 132 of its 1,191 accounts (7 requests at the median) fell outside its
# main group, most holding a shared payment method but no template used 3 times; with
# two uses making a quarter, 92 did (hydra recall 0.892 -> 0.926) and no benign account
# was flagged.
FEW_REQUESTS_MIN: Final = 2
FEW_REQUESTS_MIN_SHARE: Final = 0.25
# A wrapper is an account's system prompt (its family) with the closing sentence it ends
# its prompts with (`closer_fp`, the core's closers.rs), each carrying this share of its
# requests: a prompt template whose task slot varies, as a campaign's does. Its frames
# hold the task's first words, so each is a one-off and no template forms: on a replayed
# gateway log of 231 accounts, one of five campaigns of six accounts sharing a system
# prompt and a reasoning ask fell apart (three linked, three alone), because only 25 of
# its 180 requests fell on a repeated frame.
MIN_WRAPPER_CLOSER_SHARE: Final = 0.5
# A system-prompt family reworded this many ways is deliberate variation: strangers
# either share a tool's exact prompt or write unrelated ones.
PARAPHRASE_MIN_VARIANTS: Final = 3
# ... and each account holds one variant for nearly all of that family's traffic (a
# gateway relaying many customers' look-alike app prompts does not).
MIN_PARAPHRASE_SHARE: Final = 0.8
# A paraphrased family is `bespoke_system` when at least this share of its holders
# (and PARAPHRASE_MIN_VARIANTS or more) word it in a way no other account uses: one
# prompt rewritten for each account, as a campaign does to look unrelated. Strangers
# who write alike collide on the same wordings (on the 1M-request real-text log the
# family of generic "you are a <role> helping a <person>" prompts: 1,136 holders, 42%
# with a wording of their own; the paraphrasing campaign's: 247 holders, 100%). How
# many hold it is then the campaign's size, not popularity: such a token is neither
# discounted for rarity nor kept from being specific evidence.
BESPOKE_MIN_SHARE: Final = 0.8
# An account that rotates through addresses (at least ROTATING_MIN_ADDRESSES, one for
# every 1 / ROTATING_MIN_ADDRESSES_PER_REQUEST requests) draws exits from a proxy pool,
# and a residential pool's exits are people's homes: an address it shares with an
# account that keeps to a few (a home that is also an exit node) is chance, not a
# common operator. Addresses and subnets are matched among rotating accounts and among
# the others, never across: their values are prefixed with ROTATING_PREFIX. On the
# 10M-request real-text log 22,477 of a rotating-proxy campaign's 23,006 accounts and
# 3,527 of 4,167 ordinary proxy users rotate, 10 of 4,611 team members and no other
# account; two users of a coding agent the campaign drives had home addresses among its
# exits and were linked into it, critical.
NETWORK_KINDS: Final = ("ip", "subnet")
ROTATING_MIN_ADDRESSES: Final = 4
ROTATING_MIN_ADDRESSES_PER_REQUEST: Final = 0.5
ROTATING_PREFIX: Final = "rotating "
# A token row as one number while tokens are de-duplicated: value rank · _RANK_BASE + account rank.
_RANK_BASE: Final = 1 << 32


def evidence_tokens(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame
) -> pl.DataFrame:
    """Every (account, kind, value) evidence token held by two or more accounts, with
    how many accounts hold it (`n_accounts`; for a template or system prompt, how many
    send it, where more do: `_content_senders`), sorted by kind, value and account.

    A system prompt is evidence by its family (its paraphrases); a family with many
    variants is the stronger kind `paraphrased_system`. See `coded_evidence_tokens`,
    which linking uses, for how they are found and what they hold.
    """
    kinds = _tokens_by_kind(aggregates, templates, system_families)
    held_by_several = [
        _with_strings(*_held_by_several(kind_tokens, senders), kind) for kind, kind_tokens, senders in kinds
    ]
    if not held_by_several:
        return pl.DataFrame(schema=_TOKEN_SCHEMA)
    return pl.concat(held_by_several)


def coded_evidence_tokens(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame, codes: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The evidence tokens as numbers, and the content tokens as strings.

    The first table holds `code` (the account's, from `codes`: account_id → code),
    `kind`, `n_accounts` and `token` (each (kind, value) a number from 1, in kind and
    value order), sorted by token and code: what linking draws and scores pairs from.
    The second is `evidence_tokens`' rows of the CONTENT_KINDS (templates and system
    prompts), kept for scoring groups. Rows of accounts not in `codes` are left out.

    An account's content tokens depend on its own rows only, so they are found a range
    of accounts at a time (`request_ranges`): the group-bys over the account × frame
    table hold a range's state, not the log's. The tokens are then counted, and those
    held by one account dropped, a kind at a time, on numbers: memory is bounded by the
    rows of the largest kind (IPs or subnets) and the tokens held by two or more
    accounts as numbers (13 bytes a row: the kind is a one-byte `KIND_ENUM`). At 30M
    requests (8.0M tokens, 7.8M of them IPs and subnets) the tokens with their ids and
    values as strings held about 0.7 GB through linking; with the kind as a string and
    the kinds' tables copied into one at the end, this step peaked 0.79 GB over what the
    scan held (0.29 GB at 10M, 0.11 GB of it the final copy).
    """
    coded, content = [], []
    tokens = 0
    for kind, kind_tokens, senders in _tokens_by_kind(aggregates, templates, system_families):
        ranks, values, accounts = _held_by_several(kind_tokens, senders)
        del kind_tokens
        if kind in CONTENT_KINDS:
            content.append(_with_strings(ranks, values, accounts, kind))
        code = accounts.to_frame().join(codes, on="account_id", how="left", maintain_order="left").get_column("code")
        numbered_kind = ranks.select(
            code=pl.lit(code).gather(pl.col("account_rank")),
            kind=pl.lit(kind, dtype=KIND_ENUM),
            n_accounts="n_accounts",
            token=token_number(("value_rank",)) + tokens,
        )
        tokens += ranks.get_column("value_rank").n_unique()
        del ranks
        coded.append(numbered_kind.drop_nulls("code").cast(_CODED_SCHEMA))
    # The kinds' tables are kept as chunks of one table rather than copied into one.
    return (
        pl.concat(coded, rechunk=False) if coded else pl.DataFrame(schema=_CODED_SCHEMA),
        pl.concat(content) if content else pl.DataFrame(schema=_TOKEN_SCHEMA),
    )


KIND_ENUM: Final[pl.Enum] = pl.Enum(sorted(EVIDENCE_WEIGHTS))
"""The evidence kinds as a one-byte enum (`coded_evidence_tokens`' `kind`)."""
_CODED_SCHEMA: Final = pl.Schema(
    [("code", pl.UInt32()), ("kind", KIND_ENUM), ("n_accounts", pl.UInt32()), ("token", pl.UInt32())]
)
_TOKEN_SCHEMA: Final = {"account_id": pl.String, "kind": pl.String, "value": pl.String, "n_accounts": pl.UInt32}


def _tokens_by_kind(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame
) -> Iterator[tuple[str, pl.DataFrame, pl.DataFrame | None]]:
    """Each kind's (account_id, kind, value) token rows, kinds in sorted order, a kind
    collected at a time, with, for the content kinds, how many accounts send each value
    (`_content_senders`)."""
    ranges = request_ranges(aggregates.accounts)
    content_tokens = [
        _content_tokens(aggregates, templates, system_families, within).collect(engine="streaming")
        for within in ranges
    ]
    rotating = _rotating_accounts(aggregates)
    value_tokens = aggregates.account_values.lazy().select(
        "account_id",
        "kind",
        value=pl.when(pl.col("kind").is_in(NETWORK_KINDS) & pl.col("account_id").is_in(rotating.implode()))
        .then(pl.concat_str(pl.lit(ROTATING_PREFIX), "value"))
        .otherwise("value"),
    )
    created_tokens = aggregates.accounts.lazy().drop_nulls("created_at").select(
        "account_id",
        kind=pl.lit("created"),
        value=pl.col("created_at").dt.truncate("1h").dt.to_string("%Y-%m-%dT%H"),
    )
    content = _with_bespoke_families(pl.concat(content_tokens, how="diagonal"))
    senders = _content_senders(aggregates, templates, system_families, content, ranges)
    tokens = pl.concat([content.lazy(), value_tokens, created_tokens])
    # A kind at a time (kinds are never null): distinct rows, holders counted and
    # singly-held values dropped before the sort, on keys of one string column rather
    # than (kind, value) row-encoded.
    # On the 10M-request real-text log (3.35M rows, 2.95M kept; IPs and subnets 1.25M
    # each) all kinds at once peaked 0.82 GB over the rows in 7.1 s; a kind at a time,
    # 0.55 GB in 6.3 s.
    kinds = sorted(tokens.select(pl.col("kind").unique().drop_nulls()).collect().get_column("kind"))
    for kind in kinds:
        kind_senders = senders.get(_SENT_AS.get(kind, ""))
        yield kind, tokens.filter(pl.col("kind") == kind).collect(), kind_senders


# What a content kind's value counts the senders of: a template, or a system-prompt family.
_SENT_AS: Final = {
    "template": "template",
    "system": "system",
    "paraphrased_system": "system",
    "bespoke_system": "system",
    "wrapper": "wrapper",
}


def _content_senders(
    aggregates: Aggregates,
    templates: pl.DataFrame,
    system_families: pl.DataFrame,
    content: pl.DataFrame,
    ranges: list[pl.Expr],
) -> dict[str, pl.DataFrame]:
    """(value, senders) for each template and system-prompt family some account holds as
    a token: how many accounts send it at all (a template in a slotted first turn).

    A content token's popularity is its senders', not its holders': a template is held
    only where it carries a real share of an account's traffic (MIN_TEMPLATE_SHARE), so a
    phrase that thousands of people type now and then is held by the few who typed it
    three times. Counted by holders, the generator's "compare the <product> options
    under $<n> for someone who <situation>" (1,266 senders at 1M requests, 3 holders)
    was specific evidence at full weight, and two ordinary users who each asked it a few
    times joined a hydra account that did, and its group, critical. Counted a range of
    accounts at a time (ranges hold disjoint accounts, so counts add up), for the held
    values only: memory is those values and a range's (account, value) pairs."""
    account_frames = aggregates.account_frames.lazy()
    sources = ("template", "system", "wrapper")
    held = {
        source: content.lazy()
        .filter(pl.col("kind").is_in([kind for kind, sent_as in _SENT_AS.items() if sent_as == source]))
        .select("value")
        .unique()
        .collect()
        for source in sources
    }
    # Only the closers of held wrappers are paired with families: an account sends as
    # many closing sentences as it sends distinct last sentences.
    held_closers = held["wrapper"].select(
        closer_fp=pl.col("value").str.split(" ").list.last().cast(pl.UInt64)
    ).unique()
    per_range: dict[str, list[pl.DataFrame]] = {source: [] for source in sources}
    for within in ranges:
        in_range = account_frames.filter(within)
        families = _family_values(in_range.drop_nulls("system_fp"), system_families)
        closers = aggregates.account_closers.lazy().filter(within).join(held_closers.lazy(), on="closer_fp")
        sent = {
            "template": _template_values(in_range.filter(pl.col("n_slotted") > 0), templates),
            "system": families,
            "wrapper": _wrapper_values(families.select("account_id", "value").unique(),
                                       closers.select("account_id", "closer_fp").unique()),
        }
        for source, rows in sent.items():
            per_range[source].append(
                rows.drop_nulls("value")
                .select("account_id", value=pl.col("value").cast(pl.String))
                .join(held[source].lazy(), on="value", how="semi")
                .unique()
                .group_by("value")
                .agg(senders=pl.len())
                .collect(engine="streaming")
            )
    return {
        source: pl.concat(frames).group_by("value").agg(pl.col("senders").sum())
        for source, frames in per_range.items()
    }


def _rotating_accounts(aggregates: Aggregates) -> pl.Series:
    """The ids of the accounts that rotate through addresses: ROTATING_MIN_ADDRESSES or
    more, at least ROTATING_MIN_ADDRESSES_PER_REQUEST of them a request."""
    addresses = (
        aggregates.account_values.lazy().filter(pl.col("kind") == "ip").group_by("account_id").agg(addresses=pl.len())
    )
    return (
        aggregates.accounts.lazy()
        .select("account_id", "n")
        .join(addresses, on="account_id")
        .filter(
            (pl.col("addresses") >= ROTATING_MIN_ADDRESSES)
            & (pl.col("addresses") >= ROTATING_MIN_ADDRESSES_PER_REQUEST * pl.col("n"))
        )
        .select("account_id")
        .collect()
        .get_column("account_id")
    )


def _held_by_several(
    kind_tokens: pl.DataFrame, senders: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """The distinct rows of one kind's tokens whose value two or more accounts hold, as
    (value_rank, account_rank, n_accounts) sorted by value and account, with the sorted
    distinct values and accounts the ranks index. `n_accounts` counts the holders, or
    where `senders` (value, senders) counts more accounts sending the value, those.

    Values and accounts are ranked in sorted order and each row made one 64-bit number
    (value rank · 2³² + account rank), which is de-duplicated, counted and sorted in
    place of the strings. On the adversarial log (1,000 accounts × 2,500 IPs in the
    1M-request log: 2.58M IP rows of 3.63M) `evidence_tokens` peaked 665 MiB over its
    input, de-duplicating and sorting the rows on their strings, in 7.5 s; on ranks,
    405 MiB in 3.5 s.
    """
    values, accounts = (kind_tokens.get_column(column).unique().sort() for column in ("value", "account_id"))
    ranks = (
        kind_tokens.lazy()
        .select("value", "account_id")
        .join(values.to_frame().with_row_index("value_rank").lazy(), on="value", nulls_equal=True,
              maintain_order="left")
        .join(accounts.to_frame().with_row_index("account_rank").lazy(), on="account_id", nulls_equal=True,
              maintain_order="left")
        .select(key=pl.col("value_rank").cast(pl.UInt64) * _RANK_BASE + pl.col("account_rank"))
        .unique()
        .sort("key")
        .select(value_rank=pl.col("key") // _RANK_BASE, account_rank=pl.col("key") % _RANK_BASE)
        .with_columns(n_accounts=pl.len().over("value_rank"))
        .filter(pl.col("n_accounts") >= 2)
        .collect()
    )
    if senders is not None:
        by_rank = (
            values.to_frame()
            .join(senders, on="value", how="left", maintain_order="left")
            .get_column("senders")
            .fill_null(0)
            .cast(pl.UInt32)
        )
        ranks = ranks.with_columns(
            n_accounts=pl.max_horizontal("n_accounts", pl.lit(by_rank).gather("value_rank")).cast(pl.UInt32)
        )
    return ranks, values, accounts


def _with_strings(ranks: pl.DataFrame, values: pl.Series, accounts: pl.Series, kind: str) -> pl.DataFrame:
    """`_held_by_several`'s rows as (account_id, kind, value, n_accounts) strings."""
    return ranks.select(
        account_id=pl.lit(accounts).gather(pl.col("account_rank")),
        kind=pl.lit(kind, dtype=pl.String),
        value=pl.lit(values).gather(pl.col("value_rank")),
        n_accounts="n_accounts",
    )


def _content_tokens(
    aggregates: Aggregates, templates: pl.DataFrame, system_families: pl.DataFrame, within: pl.Expr
) -> pl.LazyFrame:
    """The template, system, paraphrased-system and wrapper tokens of the accounts
    `within` selects."""
    # Only slotted first-turn requests make a template: "continue" typed by two strangers,
    # or two image-only prompts, share a frame but are no evidence of a common operator.
    # Values stay integers until the (few) tokens are chosen: the (account, frame) table
    # has millions of rows in a large log, and a string per row is what memory peaks on.
    # One lazy plan, collected once by the streaming engine (measured faster than the
    # same steps run eagerly).
    account_frames = aggregates.account_frames.lazy().filter(within)
    template_tokens = _share_tokens(
        _template_values(account_frames.select("account_id", "frame_fp", "n", "n_slotted"), templates),
        kind="template",
        min_share=MIN_TEMPLATE_SHARE,
        count_column="n_slotted",
    )
    account_systems = (
        account_frames.drop_nulls("system_fp").group_by("account_id", "system_fp").agg(n=pl.col("n").sum())
    )
    with_family = _family_values(account_systems, system_families).with_columns(
        paraphrased=pl.col("n_variants").fill_null(1) >= PARAPHRASE_MIN_VARIANTS,
    )
    system_tokens = _share_tokens(with_family, kind="system", min_share=MIN_SYSTEM_SHARE)
    # One stable variant per account: its top variant carries most of its family traffic.
    variant_use = with_family.filter("paraphrased").group_by("account_id", "value", "system_fp").agg(
        n=pl.col("n").sum()
    )
    stable_variant = variant_use.group_by("account_id", "value").agg(
        variant_share=pl.col("n").max() / pl.col("n").sum(),
        variant=pl.col("system_fp").sort_by("n", "system_fp", descending=[True, False]).first(),
    ).filter(pl.col("variant_share") >= MIN_PARAPHRASE_SHARE)
    paraphrase_tokens = (
        system_tokens.join(
            stable_variant.select("account_id", "variant", value=pl.col("value").cast(pl.String)),
            on=["account_id", "value"],
        )
        .with_columns(kind=pl.lit("paraphrased_system"))
    )
    wrapper_tokens = _wrapper_tokens(aggregates, system_tokens, within)
    return pl.concat([template_tokens, system_tokens, paraphrase_tokens, wrapper_tokens], how="diagonal")


def _wrapper_tokens(aggregates: Aggregates, system_tokens: pl.LazyFrame, within: pl.Expr) -> pl.LazyFrame:
    """The wrapper tokens (see MIN_WRAPPER_CLOSER_SHARE) of the accounts `within` selects:
    their system-prompt token's family with the closer that ends MIN_WRAPPER_CLOSER_SHARE
    of their requests (and REPEATED_TEMPLATE_MIN_REQUESTS of them)."""
    totals = aggregates.accounts.lazy().filter(within).select("account_id", total="n")
    closers = (
        aggregates.account_closers.lazy()
        .filter(within)
        .join(totals, on="account_id")
        .filter(carries(pl.col("n"), pl.col("total"), MIN_WRAPPER_CLOSER_SHARE))
        .select("account_id", "closer_fp")
    )
    return _wrapper_values(system_tokens.select("account_id", "value"), closers).select(
        "account_id", kind=pl.lit("wrapper"), value="value"
    )


def _wrapper_values(families: pl.LazyFrame, closers: pl.LazyFrame) -> pl.LazyFrame:
    """(account_id, value): each account's system-prompt families (`families`: account_id,
    value) paired with its closers (`closers`: account_id, closer_fp), as one text."""
    return families.join(closers, on="account_id").select(
        "account_id", value=pl.concat_str(pl.col("value").cast(pl.String), pl.lit(" "), pl.col("closer_fp"))
    )


def _template_values(frames: pl.LazyFrame, templates: pl.DataFrame) -> pl.LazyFrame:
    """`frames` (with frame_fp) with `value`: the template each frame was merged into, or
    the frame itself; frame_fp and template_fp are dropped."""
    return (
        with_template_fp(frames, templates).rename({"template_fp": "value"}).drop("frame_fp")
    )


def _family_values(frames: pl.LazyFrame, system_families: pl.DataFrame) -> pl.LazyFrame:
    """`frames` (with system_fp) with `value`: the system prompt's family, or the prompt
    itself, and the family's columns."""
    return frames.join(system_families.lazy(), on="system_fp", how="left").with_columns(
        value=pl.col("family_fp").fill_null(pl.col("system_fp"))
    )


def _with_bespoke_families(content_tokens: pl.DataFrame) -> pl.DataFrame:
    """Content tokens with each paraphrased family that is bespoke (BESPOKE_MIN_SHARE of
    its holders word it their own way) relabelled `bespoke_system`; the `variant` column
    (each paraphrased token's stable wording) is dropped. Its memory is the paraphrased
    tokens: one per account at most."""
    paraphrased = content_tokens.filter(pl.col("kind") == "paraphrased_system").select(
        "value", own=pl.len().over("variant") == 1
    )
    bespoke = (
        paraphrased.group_by("value")
        .agg(holders=pl.len(), own_share=pl.col("own").mean())
        .filter((pl.col("holders") >= PARAPHRASE_MIN_VARIANTS) & (pl.col("own_share") >= BESPOKE_MIN_SHARE))
        .get_column("value")
    )
    return content_tokens.with_columns(
        kind=pl.when((pl.col("kind") == "paraphrased_system") & pl.col("value").is_in(bespoke.implode()))
        .then(pl.lit("bespoke_system"))
        .otherwise(pl.col("kind"))
    ).drop("variant")


def _share_tokens(
    per_frame: pl.LazyFrame, kind: str, min_share: float, count_column: str = "n"
) -> pl.LazyFrame:
    """Tokens for values carrying at least `min_share` of an account's requests counted
    in `count_column` (and at least REPEATED_TEMPLATE_MIN_REQUESTS of them, or
    FEW_REQUESTS_MIN making FEW_REQUESTS_MIN_SHARE of them)."""
    totals = per_frame.group_by("account_id").agg(total=pl.col(count_column).sum())
    return (
        per_frame.group_by("account_id", "value")
        .agg(n=pl.col(count_column).sum())
        .join(totals, on="account_id")
        .filter(
            (
                (pl.col("n") >= REPEATED_TEMPLATE_MIN_REQUESTS)
                | ((pl.col("n") >= FEW_REQUESTS_MIN) & (pl.col("n") / pl.col("total") >= FEW_REQUESTS_MIN_SHARE))
            )
            & (pl.col("n") / pl.col("total") >= min_share)
        )
        # One-off frames (null) count toward an account's total but are no shared value.
        .drop_nulls("value")
        .select("account_id", kind=pl.lit(kind), value=pl.col("value").cast(pl.String))
    )
