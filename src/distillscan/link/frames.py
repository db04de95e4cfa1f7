"""A group's own prompt frames, and lone accounts attached to the group whose own frames
they send.

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

Memory: the owners' (account, frame) rows, counted in a streaming group-by, and one row
per (group, frame) for the frames they own.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.model.aggregates import Aggregates, Table

# A frame is a group's own when its members are this share of the accounts sending it
# (those of the group tested left out).
OWN_SHARE: Final = 0.95
# A lone account is attached when it sends this many of one group's own frames.
MIN_OWN_FRAMES: Final = 2

_EDGE_SCHEMA: Final = pl.Schema({"account": pl.UInt32, "partner": pl.UInt32})


def relayed_frame_rows(account_frames: Table, membership: pl.DataFrame, owners: pl.Series) -> pl.DataFrame:
    """(group_id, frame_fp, owner, requests): each group's requests on each frame one of
    `owners` (group ids) owns, other than its own. `membership` maps every account_id to
    its group_id (of any type); `account_frames` is the aggregate table."""
    held = account_frames.lazy().drop_nulls("frame_fp").select("account_id", "frame_fp", "n")
    owned = (
        held.join(membership.filter(pl.col("group_id").is_in(owners.implode())).lazy(), on="account_id")
        .group_by("group_id", "frame_fp")
        .agg(members=pl.col("account_id").n_unique())
        .filter(pl.col("members") >= MIN_GROUP_SIZE)
        .rename({"group_id": "owner"})
        .collect(engine="streaming")
    )
    per_group = (
        held.filter(pl.col("frame_fp").is_in(owned.get_column("frame_fp").unique().implode()))
        .join(membership.lazy(), on="account_id")
        .group_by("group_id", "frame_fp")
        .agg(senders=pl.col("account_id").n_unique(), requests=pl.col("n").sum())
        .collect(engine="streaming")
    )
    all_senders = per_group.group_by("frame_fp").agg(all_senders=pl.col("senders").sum())
    return (
        per_group.join(owned, on="frame_fp")
        .filter(pl.col("owner") != pl.col("group_id"))
        .join(all_senders, on="frame_fp")
        .filter(pl.col("members") >= OWN_SHARE * (pl.col("all_senders") - pl.col("senders")))
        .select("group_id", "frame_fp", "owner", "requests")
    )


def frame_attachments(aggregates: Aggregates, components: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """(account, partner): each account in no component that sends MIN_OWN_FRAMES or more
    of one group's own frames, with the smallest-coded member of that group sending one
    of them; a group is a component of MIN_GROUP_SIZE or more (`components`: node, root
    codes). An account qualifying for several groups goes to the one whose frames it
    sends most (ties: the smaller root). Sorted by account. `codes` maps account_id →
    code."""
    sizes = components.group_by("root").agg(size=pl.len())
    owners = sizes.filter(pl.col("size") >= MIN_GROUP_SIZE).get_column("root")
    if owners.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    membership = (
        codes.join(components, left_on="code", right_on="node", how="left")
        .select("account_id", group_id=pl.col("root").fill_null(pl.col("code")).cast(pl.UInt32))
    )
    lone = codes.join(components, left_on="code", right_on="node", how="anti").get_column("code").cast(pl.UInt32)
    relays = relayed_frame_rows(aggregates.account_frames, membership, owners).filter(
        pl.col("group_id").is_in(lone.implode())
    )
    chosen = (
        relays.group_by(account="group_id", group="owner")
        .agg(frames=pl.col("frame_fp"))
        .filter(pl.col("frames").list.len() >= MIN_OWN_FRAMES)
        .sort(pl.col("account"), pl.col("frames").list.len(), pl.col("group"), descending=[False, True, False])
        .unique("account", keep="first", maintain_order=True)
        .explode("frames")
        .rename({"frames": "frame_fp"})
    )
    if chosen.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    members = (
        aggregates.account_frames.lazy()
        .filter(pl.col("frame_fp").is_in(chosen.get_column("frame_fp").unique().implode()))
        .select("account_id", "frame_fp")
        .join(codes.lazy(), on="account_id")
        .join(membership.lazy(), on="account_id")
        .select("frame_fp", group="group_id", member=pl.col("code").cast(pl.UInt32))
        .collect(engine="streaming")
    )
    return (
        chosen.join(members, on=["frame_fp", "group"])
        .group_by("account")
        .agg(partner=pl.col("member").min())
        .cast(_EDGE_SCHEMA)
        .sort("account")
    )
