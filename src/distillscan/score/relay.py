"""Groups that send a flagged group's own frames: a reseller relaying a campaign.

Proxy resellers run a campaign's requests through their accounts among unrelated
customers' traffic. Such a group is no campaign by its own shape: a few accounts,
conversing customers around a thin reasoning-eliciting stream, and in a log without
timing no behaviour to measure (on the generator's 1M-request log squeezed into one
minute, the reseller relaying a hydra and a rubric campaign scored 0.31, info). What
gives it away is the campaign's own wording. A frame (system prompt and wrapper words,
`fingerprint`) is a group's *own* when 10 or more of its members send it and they are
95% of the accounts sending it outside the group tested (`link.frames`). A group that
sends frames some *flagged* group owns (scored high or above, of 10 accounts or more)
relays it; how many distinct ones is its relay evidence (`components.RELAY_SATURATION`).

Frames, not templates: near-duplicate clustering chains short generic frames ("so can
you make it shorter?") into one template that a hydra's cover traffic dominates, and on
the 10M-request log 62 benign groups sent one frame of it. Exact frames are specific,
but one can still be a coincidence: a frame counts from the second (see `components`).

Groups are scored once, their relays counted against the groups that first scoring
flags, and scored again (one round: a group the relay lifts to high owns no frames in
the same scan). A flagged group may relay another.

Measured on the generator's logs (real prompt text; full columns, dropped columns, one
minute): no benign group sends more than one frame a flagged group owns (at 10M
requests 74 groups send one); the reseller sends 10 (1M) and 948 (10M) of the hydra's
and the rubric campaign's, and a hydra's lone accounts with a few requests 1 to 5.

The relay is evidence about the members that send those frames. Where it alone lifts a
group to high or critical, members sending none of them (`bystanders`) are reported
apart by scoring, each a group of its own: on the generator's 1M grammar-text log of
seed 11 a benign reseller shared a computer-use product's prompt with three resellers
carrying the campaign, and was high with them on relays that were all theirs.

Memory: as `link.frames.relayed_frame_rows`; `bystanders` streams the (account, frame)
table and holds the rows of the lifted groups' members only.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.link.frames import relayed_frame_rows
from distillscan.model.aggregates import Table

# Groups at these severities own frames that others relay.
OWNER_SEVERITIES: Final = ("critical", "high")

RELAY_SCHEMA: Final = pl.Schema(
    {"group_id": pl.String, "relayed_frames": pl.UInt32, "relayed_requests": pl.UInt64, "relayed_from": pl.String}
)


def relayed_frames(account_frames: Table, membership: pl.DataFrame, owners: pl.DataFrame) -> pl.DataFrame:
    """(group_id, relayed_frames, relayed_requests, relayed_from) for each group that
    sends frames one of `owners` (group_id) owns (`link.frames`): how many distinct ones,
    the requests on them, and the owner it relays most (ties: the smaller id). Groups
    relaying none are left out. `account_frames` is the aggregate table."""
    return relay_counts(relayed_frame_rows(account_frames, membership, owners.get_column("group_id").unique()))


def relay_counts(relays: pl.DataFrame) -> pl.DataFrame:
    """`relayed_frames` from the relayed rows (group_id, frame_fp, owner, requests) of
    `link.frames.relayed_frame_rows`."""
    if relays.is_empty():
        return pl.DataFrame(schema=RELAY_SCHEMA)
    most_relayed = (
        relays.group_by("group_id", "owner")
        .agg(n=pl.len())
        .sort(["group_id", "n", "owner"], descending=[False, True, False])
        .unique("group_id", keep="first", maintain_order=True)
        .select("group_id", relayed_from="owner")
    )
    return (
        relays.group_by("group_id")
        .agg(relayed_frames=pl.len(), relayed_requests=pl.col("requests").sum())
        .join(most_relayed, on="group_id")
        .sort("group_id")
        .cast(RELAY_SCHEMA)
        .select(RELAY_SCHEMA.names())
    )


def bystanders(
    account_frames: Table, membership: pl.DataFrame, relays: pl.DataFrame, lifted: pl.Series
) -> pl.DataFrame:
    """(account_id, group_id): the members of the `lifted` groups that send none of the
    frames their group relays (`relays`: rows as `link.frames.relayed_frame_rows` gives
    them). A relaying group's link to such a member is other evidence (a product prompt
    two resellers both carry), and the relay says nothing of it."""
    relayed = relays.filter(pl.col("group_id").is_in(lifted.implode())).select("group_id", "frame_fp").unique()
    members = membership.filter(pl.col("group_id").is_in(lifted.implode()))
    relaying = (
        account_frames.lazy()
        .select("account_id", "frame_fp")
        .join(members.lazy(), on="account_id")
        .join(relayed.lazy(), on=["group_id", "frame_fp"], how="semi")
        .select("account_id")
        .unique()
        .collect(engine="streaming")
    )
    return members.join(relaying, on="account_id", how="anti").sort("account_id")
