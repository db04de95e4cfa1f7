"""Lone accounts that send a group's own prompt frames join it; crews and single
coincidences do not."""

from __future__ import annotations

import re

import polars as pl

from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.frames import frame_attachments, relayed_frame_rows
from distillscan.model.aggregates import Aggregates
from distillscan.pipeline import analyse_frame
from tests.helpers import CAMPAIGN_WRAPPERS, aggregate, campaign_rows, customer_rows, requests_frame

# Linked by pairs (a card or /24 held by 50 accounts or fewer is specific), and each
# frame stays the campaign's own with two strangers sending it (40 ≥ 0.95 × 42).
CAMPAIGN_ACCOUNTS = 40


def test_a_lone_account_sending_two_own_frames_joins_the_group() -> None:
    rows = campaign_rows(CAMPAIGN_ACCOUNTS)
    rows += customer_rows("lone-two", 0, (0, 1), "81.1.0.1", "visa-1")
    rows += customer_rows("lone-one", 1, (2,), "82.2.0.1", "visa-2")
    # Two accounts on one card form a crew of their own: it is never attached.
    rows += customer_rows("crew-0", 2, (1, 2), "83.3.0.1", "visa-3") + customer_rows("crew-1", 3, (), "83.3.0.2", "visa-3")
    report, linkage = analyse_frame(requests_frame(rows))
    group_of = dict(linkage.membership.iter_rows())
    campaign = group_of["op00"]
    assert group_of["lone-two"] == campaign
    assert group_of["lone-one"] != campaign
    assert group_of["crew-0"] == group_of["crew-1"] != campaign
    sizes = dict(report.groups.select("group_id", "n_accounts").iter_rows())
    assert sizes[campaign] == CAMPAIGN_ACCOUNTS + 1
    # The attached account's link is named by the evidence it rests on.
    edge = linkage.edges.filter((pl.col("a") == "lone-two") | (pl.col("b") == "lone-two")).row(0, named=True)
    assert "template" in edge["kinds"]


def test_own_frames_leave_out_those_strangers_send_too() -> None:
    members = [f"m{i:02d}" for i in range(MIN_GROUP_SIZE)]
    membership = pl.DataFrame({
        "account_id": [*members, "x", "y", "z"], "group_id": [0] * len(members) + [1, 2, 3],
    })
    schema = {"account_id": pl.String, "frame_fp": pl.UInt64, "n": pl.UInt32}
    frames = pl.DataFrame(
        [(account, 7, 1) for account in members] + [("x", 7, 2), ("z", 8, 1)], schema=schema, orient="row"
    )
    # Frame 7: the 10 members are all who send it outside x's group; frame 8 is nobody's.
    rows = relayed_frame_rows(frames, membership, pl.Series([0]))
    assert rows.select("group_id", "frame_fp", "owner", "requests").rows() == [(1, 7, 0, 2)]
    # With y sending it too, the members are 10 of 11 outside x (and y): under 95%.
    with_y = pl.concat([frames, pl.DataFrame([("y", 7, 1)], schema=schema, orient="row")])
    assert relayed_frame_rows(with_y, membership, pl.Series([0])).is_empty()
    # Only the owners given own frames.
    assert relayed_frame_rows(frames, membership, pl.Series([3])).is_empty()


def test_a_lone_account_sending_two_own_closers_joins_the_group() -> None:
    # Each of its requests puts its own task before the campaign's closing sentence, so
    # every frame it sends is its own: only the closers are the campaign's.
    closers = [re.split(r"(?<=[.?]) ", wrapper)[-1] for wrapper in CAMPAIGN_WRAPPERS]
    tasks = ("Name three rivers of Peru.", "Why is the sky blue?", "List the moons of Mars.")
    rows = campaign_rows(CAMPAIGN_ACCOUNTS)
    rows += customer_rows("lone-two", 0, (), "81.1.0.1", "visa-1")
    rows += customer_rows("lone-one", 1, (), "82.2.0.1", "visa-2")
    for row, task, closer in zip(rows[-60:-30], tasks[:2], closers[:2], strict=False):
        row["prompt"] = f"{task} {closer}"
    rows[-30]["prompt"] = f"{tasks[2]} {closers[2]}"
    _, linkage = analyse_frame(requests_frame(rows))
    group_of = dict(linkage.membership.iter_rows())
    campaign = group_of["op00"]
    assert group_of["lone-two"] == campaign
    assert group_of["lone-one"] != campaign
    edge = linkage.edges.filter((pl.col("a") == "lone-two") | (pl.col("b") == "lone-two")).row(0, named=True)
    assert "template" in edge["kinds"]


def test_a_lone_account_ending_most_of_its_requests_with_one_own_closer_joins_the_group() -> None:
    # One closer, not two: the campaign's ask after most of what it sends. A third of
    # its requests is not most.
    closer = re.split(r"(?<=[.?]) ", CAMPAIGN_WRAPPERS[0])[-1]
    rows = campaign_rows(CAMPAIGN_ACCOUNTS)
    rows += customer_rows("mostly", 0, (), "81.1.0.1", "visa-1")
    rows += customer_rows("third", 1, (), "82.2.0.1", "visa-2")
    for index, row in enumerate(rows[-60:-30]):
        if index % 2 == 0:
            row["prompt"] = f"Task {index} of the quiet account, in its own words. {closer}"
    for index, row in enumerate(rows[-30:]):
        if index % 3 == 0:  # its own words, unlike the first's: no template between them
            row["prompt"] = f"{row['prompt']}? {closer}"
    _, linkage = analyse_frame(requests_frame(rows))
    group_of = dict(linkage.membership.iter_rows())
    assert group_of["mostly"] == group_of["op00"]
    assert group_of["third"] != group_of["op00"]


def test_a_dataset_items_own_last_sentence_is_no_wrapper() -> None:
    # Every member sends two dataset items once each, and so does a lone account (a
    # pipeline running the dataset): the items' last sentences are held by the group
    # alone, but sent once a member, as an item is, not again and again as a wrapper is.
    items = ("Sam has four apples. How many apples are left after lunch?",
             "The river floods each spring. Which crops suffer the most damage?")
    rows = campaign_rows(CAMPAIGN_ACCOUNTS)
    extra = []
    for index in range(CAMPAIGN_ACCOUNTS):
        for number, item in enumerate(items):
            extra.append({**rows[index * 60], "prompt": f"Read this, case {index}-{number}. {item}"})
    rows += extra + customer_rows("pipeline", 0, (), "81.1.0.1", "visa-1")
    for row, item in zip(rows[-30:-28], items, strict=True):
        row["prompt"] = f"Dataset row for the pipeline. {item}"
    _, linkage = analyse_frame(requests_frame(rows))
    group_of = dict(linkage.membership.iter_rows())
    assert group_of["pipeline"] != group_of["op00"]


def test_two_groups_sending_one_frame_own_it_against_each_other_only() -> None:
    # Groups 0 and 1 send frame 7 with 10 members each: against each other, each holds
    # all the other senders; once x sends it too, neither holds 95% of them.
    group_a = [f"a{i:02d}" for i in range(MIN_GROUP_SIZE)]
    group_b = [f"b{i:02d}" for i in range(MIN_GROUP_SIZE)]
    membership = pl.DataFrame({
        "account_id": [*group_a, *group_b, "x"], "group_id": [0] * len(group_a) + [1] * len(group_b) + [2],
    })
    schema = {"account_id": pl.String, "frame_fp": pl.UInt64, "n": pl.UInt32}
    frames = pl.DataFrame([(account, 7, 3) for account in [*group_a, *group_b]], schema=schema, orient="row")
    rows = relayed_frame_rows(frames, membership, pl.Series([0, 1])).sort("group_id")
    assert rows.select("group_id", "frame_fp", "owner").rows() == [(0, 7, 1), (1, 7, 0)]
    with_x = pl.concat([frames, pl.DataFrame([("x", 7, 1)], schema=schema, orient="row")])
    assert relayed_frame_rows(with_x, membership, pl.Series([0, 1])).is_empty()


def _split_campaign(rows: list[dict], first: int) -> tuple[Aggregates, pl.DataFrame, pl.DataFrame]:
    """The aggregates of `rows`, their account codes, and the campaign's op accounts as two
    groups (components): op00 … op{first-1}, and the rest."""
    aggregates = aggregate(requests_frame(rows))
    codes = aggregates.accounts.select("account_id").sort("account_id").with_row_index("code")
    ops = codes.filter(pl.col("account_id").str.starts_with("op")).sort("account_id")
    roots = ops.get_column("code").gather([0] * first + [first] * (ops.height - first))
    components = pl.DataFrame({"node": ops.get_column("code"), "root": roots}).cast(pl.UInt32)
    return aggregates, codes, components


def test_frames_two_groups_send_together_are_owned_by_the_pair() -> None:
    # One playbook run by two groups the links keep apart (24 and 16 accounts): neither
    # holds 95% of the frames' senders, both together do. The lone account sending two of
    # them joins the group sending them most.
    rows = campaign_rows(CAMPAIGN_ACCOUNTS) + customer_rows("lone", 0, (0, 1), "81.1.0.1", "visa-1")
    aggregates, codes, components = _split_campaign(rows, 24)
    attached = frame_attachments(aggregates, components, codes)
    code_of = dict(codes.select("account_id", "code").iter_rows())
    assert attached.rows() == [(code_of["lone"], code_of["op00"])]


def test_frames_two_groups_send_among_strangers_are_nobodys() -> None:
    # Four strangers send each frame (one frame each): with the lone account counted in
    # (it sends both, see the next test), the two groups' 41 are under 95% of 44 senders.
    rows = campaign_rows(CAMPAIGN_ACCOUNTS) + customer_rows("lone", 0, (0, 1), "81.1.0.1", "visa-1")
    for index in range(8):
        rows += customer_rows(f"stranger{index}", index % 6, (index % 2,), f"82.{index}.0.1", f"visa-s{index}")
    aggregates, codes, components = _split_campaign(rows, 24)
    assert frame_attachments(aggregates, components, codes).is_empty()


def test_lone_accounts_sending_two_frames_a_group_leads_count_as_its_own() -> None:
    # Six lone accounts send two of the campaign's frames and one request of their own:
    # the campaign's 40 are 87% of each frame's 46 senders, under 95%, but with the lone
    # ones counted as the accounts it lost (two frames it leads, on half their requests
    # or more) the frames are its own and all six join.
    rows = campaign_rows(CAMPAIGN_ACCOUNTS)
    for index in range(6):
        rows += customer_rows(f"lost{index}", index, (0, 1), f"82.{index}.0.1", f"visa-l{index}")[:3]
    rows += customer_rows("stranger", 0, (0,), "83.0.0.1", "visa-s")
    aggregates, codes, components = _split_campaign(rows, CAMPAIGN_ACCOUNTS)
    attached = frame_attachments(aggregates, components, codes)
    code_of = dict(codes.select("account_id", "code").iter_rows())
    assert attached.get_column("account").to_list() == sorted(code_of[f"lost{index}"] for index in range(6))
    assert set(attached.get_column("partner")) == {code_of["op00"]}


def test_busy_accounts_sending_two_frames_a_group_leads_count_against_it() -> None:
    # The same six send the two frames among 28 requests of their own (a pipeline running
    # the dataset a campaign draws from sends its item frames so): not the accounts the
    # campaign lost, they keep the frames from being its own.
    rows = campaign_rows(CAMPAIGN_ACCOUNTS)
    for index in range(6):
        rows += customer_rows(f"busy{index}", index, (0, 1), f"82.{index}.0.1", f"visa-b{index}")
    aggregates, codes, components = _split_campaign(rows, CAMPAIGN_ACCOUNTS)
    assert frame_attachments(aggregates, components, codes).is_empty()
