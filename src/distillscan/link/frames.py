"""A group's own wrapper words (prompt frames, closing sentences), and lone accounts
attached to the group whose own wrapper words they send.

A frame (system prompt and wrapper words, `fingerprint`) is a group's *own* when
MIN_GROUP_SIZE or more of its members send it and they are OWN_SHARE of the accounts
sending it outside the group tested: strangers who write alike collide on a product's or
a dataset's frames, and those are sent by many accounts outside any one group.

Without payment columns a hydra loses accounts with a few requests that share no token
a pair test can weigh and use none of its system-prompt families (`families`), but send
its exact frames. An account in no linked pair that sends MIN_OWN_FRAMES or more of one
group's own frames is attached to it. One frame is a coincidence: on the 10M-request
log 74 benign groups sent one frame of a flagged group's, none two; with every group of
MIN_GROUP_SIZE accounts or more as an owner (benign teams included) no benign account
in no pair sent two of any group's own frames at 1M or 10M requests, full, with the
optional columns dropped or squeezed into one minute, while 28 of the hydra's lone
accounts did at 10M with the columns dropped (4 at 1M). Only lone accounts are attached:
a small component that relays a group's frames (a reseller carrying a campaign among its
customers' traffic) stays a group of its own, and scoring counts its relays
(`score.relay`).

A frame ends with the prompt's last words, and when the wrapper's closing sentence is
shorter than those ("…in September? Give the final result only.") every frame holds a
word of the task: the hydra's lone accounts sent frames no one else sent. Their closing
sentences (`closer_fp`, the core's closers.rs) are the campaign's: a lone account that
sends MIN_OWN_CLOSERS or more of one group's own closers is attached to it by the same
test. On the 10M-request log with the optional columns dropped (seed 3), the hydra's
two networks were left in 79 and 59 groups after every other rule, 43 and 29 with
this one; no benign account joined a group this way at 1M or 10M (seeds 3 and 7),
while 49 benign accounts alone sent one closer a group owns.

A group that lost many accounts owns none of its frames, the lost accounts being among
their senders: over the first 7 days of the 10M-request log with the optional columns
dropped, after prompt families had attached what they could (`families`), the hydra's
two networks still left 16% and 17% of their accounts unflagged, nearly all alone. As
for families, the lone accounts that send MIN_OWN_FRAMES (closers: MIN_OWN_CLOSERS) of
the values a group leads (its members LEAD_SHARE of their senders) count as its members
when its own are found, but only where those values carry LEAD_SHARE of their requests:
a frame holds words of the task, and two pipelines (12k and 23k requests) sent two of
the low-and-slow campaign's item frames each; counted in, they made the frames the
campaign's own and joined its group at high (1M requests, 21 days). On the 7-day log
recall went from 0.84 and 0.83 to 0.94 and 0.94, in 634 and 370 groups rather than 1,755
and 1,009, with the same benign accounts flagged; the 1M logs came out unchanged.
Strangers who send one of a group's frames, or two among much else, still count against
it; those who mostly send two count as its lost accounts.

Two groups can run one playbook: two networks of one operator, or one network the
links keep in two. Each then sends the other's frames, so neither holds OWN_SHARE of
their senders and a lone account has no owner to join. For lone accounts a value no
group owns is owned by its OWNER_COALITION largest sender groups together when they
hold that share (`attach.coalition_owns`), and the account joins the one sending its
values most. In the first 8 days of a 1M-request log (seed 3) the two hydra networks
formed a group each, and 17 of the first's lone accounts stayed alone (22 groups in
all); with the pair as owner, and prompt families owned so too (`families`), it is one
group, and group AP rose 0.56 to 0.75. The 21-day logs, where the networks form one
group, are unchanged.

Memory: the owners' (account, frame or closer) rows, counted in a streaming group-by,
and one row per (group, frame or closer) for those they own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from distillscan.link.attach import LEAD_SHARE, MIN_GROUP_SIZE, OWNER_COALITION, coalition_owns
from distillscan.link.coharvest import ITEM_MAX_REPEAT
from distillscan.model.aggregates import Aggregates, Table
from distillscan.model.templates import carries

# A frame is a group's own when its members are this share of the accounts sending it
# (those of the group tested left out).
OWN_SHARE: Final = 0.95
# A lone account is attached when it sends this many of one group's own frames, or of
# its own closing sentences.
MIN_OWN_FRAMES: Final = 2
MIN_OWN_CLOSERS: Final = 2
# ... or one own closing sentence that ends this share of its requests (and
# REPEATED_TEMPLATE_MIN_REQUESTS of them): the group's reasoning ask on most of what it
# sends. A campaign that puts one ask after every task has one closer; its lone
# accounts had two only when code-fence tails made two variants of it (on the 200k
# golden log one paraphraser fell out of its group when closing lines made them one).
MIN_OWN_CLOSER_SHARE: Final = 0.5

_EDGE_SCHEMA: Final = pl.Schema({"account": pl.UInt32, "partner": pl.UInt32})


def relayed_frame_rows(account_frames: Table, membership: pl.DataFrame, owners: pl.Series) -> pl.DataFrame:
    """(group_id, frame_fp, owner, requests): each group's requests on each frame one of
    `owners` (group ids) owns, other than its own. `membership` maps every account_id to
    its group_id (of any type); `account_frames` is the aggregate table."""
    return _relayed_rows(account_frames.lazy().drop_nulls("frame_fp"), "frame_fp", membership, owners).drop(
        "owner_members"
    )


def _relayed_rows(
    held: pl.LazyFrame, key: str, membership: pl.DataFrame, owners: pl.Series, min_repeat: float = 0.0,
    coalition: bool = False, share: float = OWN_SHARE, counted: pl.DataFrame | None = None,
    tested: pl.Series | None = None,
) -> pl.DataFrame:
    """(group_id, `key`, owner, requests, owner_members): each group's requests on each
    value of `key` one of `owners` owns, other than its own, given the (account_id,
    `key`, n) rows `held` (no null key), with the owner's members sending it. A value is
    owned only where its owner's members send it more than `min_repeat` times each on
    average. With `coalition`, for groups that own nothing (lone accounts), a value no
    owner holds OWN_SHARE of is owned by the OWNER_COALITION largest together when they
    do (`attach.coalition_owns`). `share` stands for OWN_SHARE; `counted` (account_id,
    group_id), where given, says who counts as an owner's member (default: `membership`);
    `tested`, where given, the only groups whose rows are returned."""
    held = held.select("account_id", key, "n")
    owners_members = membership if counted is None else counted
    owned = (
        held.join(owners_members.filter(pl.col("group_id").is_in(owners.implode())).lazy(), on="account_id")
        .group_by("group_id", key)
        .agg(members=pl.col("account_id").n_unique(), member_requests=pl.col("n").sum())
        .filter(
            (pl.col("members") >= MIN_GROUP_SIZE) & (pl.col("member_requests") > min_repeat * pl.col("members"))
        )
        .drop("member_requests")
        .rename({"group_id": "owner"})
        .collect(engine="streaming")
    )
    if coalition:
        owned = owned.sort(key, "members", "owner", descending=[False, True, False]).filter(
            pl.int_range(pl.len()).over(key) < OWNER_COALITION
        )
    per_group = (
        held.filter(pl.col(key).is_in(owned.get_column(key).unique().implode()))
        .join(membership.lazy(), on="account_id")
        .group_by("group_id", key)
        .agg(senders=pl.col("account_id").n_unique(), requests=pl.col("n").sum())
        .collect(engine="streaming")
    )
    senders = per_group.group_by(key).agg(all_senders=pl.col("senders").sum(), most=pl.col("senders").max())
    # The most members any owner can count on: alone, or with its coalition.
    reach = pl.col("members").sum().over(key) if coalition else pl.col("members")
    # No group tested sends a value more than its largest sender does, so an owner short
    # of OWN_SHARE even then owns it for no group: dropped before the join, since a
    # closer common to many groups (a JSON tail) joined each of its owners (members in
    # ten groups or more) to every group sending it: 2.9 GB at 10M requests.
    candidates = owned.join(senders, on=key).filter(reach >= share * (pl.col("all_senders") - pl.col("most")))
    # Only the groups tested are joined to the candidates (for attachment, the lone
    # accounts): at LEAD_SHARE far more values are candidates than at OWN_SHARE.
    rows = per_group if tested is None else per_group.filter(pl.col("group_id").is_in(tested.implode()))
    tested_rows = rows.join(candidates.drop("most"), on=key).filter(pl.col("owner") != pl.col("group_id"))
    needed = share * (pl.col("all_senders") - pl.col("senders"))
    if coalition:
        # `coalition_owns` reads each (group, value)'s owners largest first.
        tested_rows = tested_rows.sort("group_id", key, "members", "owner", descending=[False, False, True, False])
        owned_here = coalition_owns(["group_id", key], needed)
    else:
        owned_here = pl.col("members") >= needed
    return tested_rows.filter(owned_here).select("group_id", key, "owner", "requests", owner_members="members")


def frame_attachments(aggregates: Aggregates, components: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """(account, partner): each account in no component that sends MIN_OWN_FRAMES or more
    of one group's own frames, with the smallest-coded member of that group sending one
    of them; a group is a component of MIN_GROUP_SIZE or more (`components`: node, root
    codes). An account qualifying for several groups goes to the one whose frames it
    sends most (ties: the smaller root). Sorted by account. `codes` maps account_id →
    code."""
    held = aggregates.account_frames.lazy().drop_nulls("frame_fp")
    return _attachments(held, "frame_fp", MIN_OWN_FRAMES, 0.0, aggregates.accounts, components, codes)


def closer_attachments(aggregates: Aggregates, components: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """`frame_attachments` by closing sentences: each account in no component that sends
    MIN_OWN_CLOSERS or more of one group's own closers, those its members send more than
    ITEM_MAX_REPEAT times each (a wrapper's, not a dataset item's own last sentence)."""
    held = aggregates.account_closers.lazy()
    return _attachments(
        held, "closer_fp", MIN_OWN_CLOSERS, ITEM_MAX_REPEAT, aggregates.accounts, components, codes, dominant=True
    )


def _attachments(
    held: pl.LazyFrame, key: str, min_own: int, min_repeat: float, accounts: Table, components: pl.DataFrame,
    codes: pl.DataFrame, dominant: bool = False,
) -> pl.DataFrame:
    """(account, partner): each account in no component that sends `min_own` or more of
    one group's own values of `key` (`held`: account_id, `key`, n rows; `min_repeat`:
    see `_relayed_rows`; see `frame_attachments`) or, with `dominant`, one that carries
    MIN_OWN_CLOSER_SHARE of its requests (`accounts`: the aggregate table) with one."""
    sizes = components.group_by("root").agg(size=pl.len())
    owners = sizes.filter(pl.col("size") >= MIN_GROUP_SIZE).get_column("root")
    if owners.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    membership = (
        codes.join(components, left_on="code", right_on="node", how="left")
        .select("account_id", group_id=pl.col("root").fill_null(pl.col("code")).cast(pl.UInt32))
    )
    lone = codes.join(components, left_on="code", right_on="node", how="anti").get_column("code").cast(pl.UInt32)
    account_totals = codes.lazy().join(accounts.lazy(), on="account_id").select(
        group_id=pl.col("code").cast(pl.UInt32), total="n"
    ).collect()
    choice = _LoneChoice(held, key, min_own, min_repeat, membership, owners, lone, account_totals)
    # The lone accounts that send `min_own` of the values a group leads, on LEAD_SHARE of
    # their requests, count as its members when its own values are found (see the
    # module's note: the accounts it lost).
    leading = choice.chosen(LEAD_SHARE, membership, carried=True).select(group_id="account", owner="group").unique()
    counted = membership.join(leading, on="group_id", how="left").select(
        "account_id", group_id=pl.col("owner").fill_null(pl.col("group_id"))
    )
    chosen = choice.chosen(OWN_SHARE, counted, dominant=dominant)
    if chosen.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    # Each (value, group)'s smallest member, found while streaming: joined to every
    # member sending a common closer, the 4,658 (account, closer) rows chosen on the 7-day
    # 10M-request log took the scan's peak from 1.23 to 1.58 GB.
    first_members = (
        held.filter(pl.col(key).is_in(chosen.get_column(key).unique().implode()))
        .select("account_id", key)
        .join(codes.lazy(), on="account_id")
        .join(membership.lazy(), on="account_id")
        .group_by(key, group="group_id")
        .agg(member=pl.col("code").min().cast(pl.UInt32))
        .collect(engine="streaming")
    )
    return (
        chosen.join(first_members, on=[key, "group"])
        .group_by("account")
        .agg(partner=pl.col("member").min())
        .cast(_EDGE_SCHEMA)
        .sort("account")
    )


@dataclass(frozen=True)
class _LoneChoice:
    """What `_attachments` tests each lone account against: the (account_id, `key`, n)
    rows `held`, the groups (`owners`) and their `membership`, the `lone` codes and
    each one's requests (`account_totals`: group_id, total)."""

    held: pl.LazyFrame
    key: str
    min_own: int
    min_repeat: float
    membership: pl.DataFrame
    owners: pl.Series
    lone: pl.Series
    account_totals: pl.DataFrame

    def chosen(
        self, share: float, counted: pl.DataFrame, dominant: bool = False, carried: bool = False
    ) -> pl.DataFrame:
        """(account, group, `key`): each lone account that sends `min_own` or more of one
        group's values owned at `share` (members as `counted` says), with those values,
        for the group whose values it sends most (ties: more of its members, then the
        smaller root). With `dominant`, also one that carries MIN_OWN_CLOSER_SHARE of its
        requests with one such value; with `carried`, only those whose requests on the
        group's values are LEAD_SHARE of theirs."""
        key = self.key
        relays = _relayed_rows(
            self.held, key, self.membership, self.owners, self.min_repeat, coalition=True, share=share,
            counted=counted, tested=self.lone,
        ).join(self.account_totals, on="group_id", how="left")
        one_carries = pl.lit(False)
        if dominant:
            one_carries = carries(pl.col("requests"), pl.col("total"), MIN_OWN_CLOSER_SHARE).any()
        enough = (pl.col("values").list.len() >= self.min_own) | pl.col("dominant")
        if carried:
            enough = enough & (pl.col("requests") >= LEAD_SHARE * pl.col("total"))
        return (
            relays.group_by(account="group_id", group="owner")
            .agg(
                values=pl.col(key), dominant=one_carries, weight=pl.col("owner_members").sum(),
                requests=pl.col("requests").sum(), total=pl.col("total").first(),
            )
            .filter(enough)
            .sort(
                pl.col("account"), pl.col("values").list.len(), pl.col("weight"), pl.col("group"),
                descending=[False, True, True, False],
            )
            .unique("account", keep="first", maintain_order=True)
            .select("account", "group", "values")
            .explode("values")
            .rename({"values": key})
        )
