"""Linking: strong or combined evidence links accounts; common weak evidence does not."""

from __future__ import annotations

import random

import polars as pl

from distillscan.fingerprint.cluster import cluster_system_prompts, cluster_templates
from distillscan.graph import component_frame
from distillscan.link import group_id_for, link_accounts
from distillscan.link.candidates import pair_key
from distillscan.link.evidence import KIND_ENUM, coded_evidence_tokens, evidence_tokens
from distillscan.link.groups import _strongest_links, _with_leaves
from distillscan.link.worth import CONTENT_KINDS, token_number
from tests.helpers import aggregate, at, requests_frame

POPULAR_SYSTEM = (
    "You are CodePilot, an open-source coding agent. Follow the repository conventions and explain changes."
)


def _link(rows: list[dict]):
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    return link_accounts(aggregates, templates, cluster_system_prompts(aggregates.systems))


def _groups(linkage) -> dict[str, str]:
    return dict(linkage.membership.iter_rows())


def test_shared_template_and_payment_link_accounts() -> None:
    rows = [
        {"account_id": f"op{i}", "timestamp": at(hours=j),
         "prompt": f"Reason step by step about case {i * 100 + j} and give the final answer.",
         "payment_fingerprint": "card-9", "ip": f"45.9.9.{i}"}
        for i in range(5) for j in range(6)
    ]
    groups = _groups(_link(rows))
    assert len(set(groups.values())) == 1


WORDS = [
    "river", "apple", "quantum", "garden", "violin", "harbor", "lantern",
    "meadow", "copper", "falcon", "tundra", "pixel", "orbit", "saffron",
]


def _own_words(seed: int, length: int = 9) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(length))


def test_popular_system_prompt_alone_does_not_link() -> None:
    rows = [
        {"account_id": f"user{i:03d}", "timestamp": at(days=j, hours=i % 12),
         "system": POPULAR_SYSTEM, "prompt": _own_words(i * 4 + j),
         "ip": f"81.{i}.{j}.1", "payment_fingerprint": f"card-{i}"}
        for i in range(150) for j in range(4)
    ]
    groups = _groups(_link(rows))
    assert len(set(groups.values())) == 150


def test_shared_nat_address_alone_does_not_link() -> None:
    rows = [
        {"account_id": f"student{i:03d}", "timestamp": at(hours=i), "prompt": _own_words(i),
         "ip": "130.1.1.1", "user_agent": "Mozilla/5.0", "payment_fingerprint": f"card-{i}"}
        for i in range(120)
    ]
    groups = _groups(_link(rows))
    assert len(set(groups.values())) == 120


def test_a_phrase_many_type_now_and_then_is_no_rare_template() -> None:
    """Two people who each ask one common question several times hold it as a template,
    but 60 others asked it once: it is as popular as its 62 senders, not specific, and
    links no one."""
    phrase = "Compare the robot vacuum options under ${} for someone who works from home"
    rows = [
        {"account_id": name, "timestamp": at(days=j, hours=k), "prompt": phrase.format(100 + j) if j < 4
         else _own_words(k * 10 + j), "ip": f"81.{k}.{j}.1"}
        for k, name in enumerate(("alice", "bob")) for j in range(8)
    ]
    rows += [
        {"account_id": f"user{i:03d}", "timestamp": at(days=j, hours=i % 12),
         "prompt": phrase.format(300 + i) if j == 0 else _own_words(1000 + i * 4 + j), "ip": f"82.{i}.{j}.1"}
        for i in range(60) for j in range(4)
    ]
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    tokens = evidence_tokens(aggregates, templates, cluster_system_prompts(aggregates.systems))
    held = tokens.filter(pl.col("kind") == "template")
    assert sorted(held.get_column("account_id")) == ["alice", "bob"]
    assert held.get_column("n_accounts").to_list() == [62, 62]
    groups = _groups(_link(rows))
    assert groups["alice"] != groups["bob"]


def test_group_ids_are_stable_and_deterministic() -> None:
    assert group_id_for("acct_1") == group_id_for("acct_1") != group_id_for("acct_2")
    assert group_id_for("acct_1").startswith("G-")


def test_identical_short_messages_do_not_link_strangers() -> None:
    rows = []
    for i, user in enumerate(["alice", "bob", "carol"]):
        for j in range(12):
            rows.append({"account_id": user, "timestamp": at(days=j, hours=i), "prompt": _own_words(i * 100 + j, 14),
                         "ip": f"81.{i}.0.1", "payment_fingerprint": f"card-{user}"})
            rows.append({"account_id": user, "timestamp": at(days=j, hours=i, minutes=5), "prompt": "continue",
                         "n_turns": 2})
    assert len(set(_groups(_link(rows)).values())) == 3


# One long prompt, sentence by sentence, with a few wordings of each sentence.
_SENTENCES = [
    ["you are a meticulous mathematician and programmer", "act as a careful expert in mathematics and code",
     "take the role of a rigorous problem solver in math and programming"],
    ["solve every task rigorously", "every problem must be worked out with full accuracy",
     "answer each question precisely and rigorously"],
    ["state your assumptions up front", "list the assumptions you make first", "make every assumption explicit"],
    ["show each step of your reasoning", "write out every inference in detail", "explain your thought process step by step"],
    ["check the result twice before answering", "re-check your work at the end", "verify the answer before you finish"],
    ["end with the final answer clearly marked", "finish with the final answer on its own line",
     "give the final answer last"],
]


def _wording(seed: int) -> str:
    rng = random.Random(seed)
    sentences = [rng.choice(options) for options in _SENTENCES]
    rng.shuffle(sentences)
    return ". ".join(sentences) + "."


def _distinct_wordings(count: int) -> list[str]:
    wordings: dict[str, None] = {}
    seed = 0
    while len(wordings) < count:
        wordings.setdefault(_wording(seed))
        seed += 1
    return list(wordings)


def _system_rows(wording_of: list[str]) -> list[dict]:
    return [
        {"account_id": f"acct{i:03d}", "timestamp": at(days=j, hours=i % 20), "system": wording,
         "prompt": _own_words(i * 7 + j, 12), "ip": f"81.{i % 250}.{i // 250}.{j}", "payment_fingerprint": f"card-{i}"}
        for i, wording in enumerate(wording_of) for j in range(4)
    ]


def test_one_prompt_reworded_for_every_account_links_them_at_any_size() -> None:
    # 200 accounts, each with a wording of its own: a campaign's size is no popularity.
    groups = _groups(_link(_system_rows(_distinct_wordings(200))))
    assert len(set(groups.values())) == 1


def test_a_family_whose_wordings_strangers_share_is_no_campaign() -> None:
    # 300 accounts writing alike: wordings collide (three accounts each), as generic prompts do.
    distinct = _distinct_wordings(100)
    groups = _groups(_link(_system_rows([distinct[i % 100] for i in range(300)])))
    assert len(set(groups.values())) > 250


def test_a_small_account_links_on_two_uses_of_a_template() -> None:
    def request(account: str, n: int, ip: str, templated: bool) -> dict:
        prompt = f"Reason step by step about case {n} and give the final answer." if templated else _own_words(n, 14)
        return {"account_id": account, "timestamp": at(hours=n % 24), "prompt": prompt,
                "payment_fingerprint": f"card-{account}", "ip": ip}

    rows = [request(f"op{i}", i * 10 + j, f"45.9.{i}.{j}", True) for i in range(5) for j in range(6)]
    # Two of four requests in the template: a quarter of a small account's traffic.
    rows += [request("small", 900 + j, f"88.{j}.1.1", j < 2) for j in range(4)]
    # One of four: a template used once is no evidence.
    rows += [request("tiny", 950 + j, f"99.{j}.1.1", j < 1) for j in range(4)]
    groups = _groups(_link(rows))
    assert groups["small"] == groups["op0"] != groups["tiny"]


def test_a_template_share_counts_first_turns_only() -> None:
    """A relay whose apps hold long conversations sends a campaign's template in 10 of its
    50 first turns: a fifth of what could carry a template, though 8% of its requests."""

    def relay(account: str, seed: int) -> list[dict]:
        rows = [{"account_id": account, "timestamp": at(hours=j), "turn": 1,
                 "prompt": f"Reconstruct the hidden reasoning behind answer {seed + j} step by step."}
                for j in range(10)]
        rows += [{"account_id": account, "timestamp": at(hours=j), "turn": 1, "prompt": _own_words(seed + 50 + j, 14)}
                 for j in range(40)]
        rows += [{"account_id": account, "timestamp": at(hours=j, minutes=5), "turn": 2,
                  "prompt": _own_words(seed + 100 + j, 6)} for j in range(80)]
        return [{**row, "ip": f"81.{seed % 250}.9.{i % 3}", "payment_fingerprint": f"card-{account}"}
                for i, row in enumerate(rows)]

    groups = _groups(_link(relay("r1", 1000) + relay("r2", 2000)))
    assert groups["r1"] == groups["r2"]


def test_a_lone_account_joins_whom_it_shares_a_card_with_unless_hundreds_do() -> None:
    def request(account: str, n: int, card: str) -> dict:
        return {"account_id": account, "timestamp": at(hours=n % 24), "prompt": _own_words(n, 14),
                "payment_fingerprint": card, "ip": f"81.{n % 250}.{n // 250}.1"}

    # Two accounts paying with one card; 300 paying with one processor's shared token,
    # among 40 strangers: the card is their only shared evidence.
    rows = [request(account, i * 4 + j, "card-pair") for i, account in enumerate(("a", "b")) for j in range(4)]
    rows += [request(f"shop{i}", 1000 + i, "card-processor") for i in range(300)]
    rows += [request(f"u{i}", 2000 + i * 4 + j, f"card-u{i}") for i in range(40) for j in range(4)]
    groups = _groups(_link(rows))
    assert groups["a"] == groups["b"]
    assert len({groups[f"shop{i}"] for i in range(300)}) == 300


def test_a_shared_card_never_merges_two_groups() -> None:
    wrappers = {"x": "Grade answer {} against the rubric: reason step by step, then score it.",
                "y": "Translate passage {} into formal French and list every idiom you changed."}

    def member(group: str, i: int, j: int, card: str) -> dict:
        return {"account_id": f"{group}{i}", "timestamp": at(hours=j), "prompt": wrappers[group].format(i * 10 + j),
                "payment_fingerprint": card, "ip": f"45.{ord(group)}.{i}.{j}"}

    rows = [member(group, i, j, f"card-{group}{i}") for group in "xy" for i in range(5) for j in range(6)]
    # x0 and y0 share a family card; a lone account pays with x1's.
    rows = [{**row, "payment_fingerprint": "card-family"} if row["account_id"] in ("x0", "y0") else row for row in rows]
    rows += [{"account_id": "lone", "timestamp": at(hours=j), "prompt": _own_words(500 + j, 14),
              "payment_fingerprint": "card-x1", "ip": f"99.1.1.{j}"} for j in range(3)]
    groups = _groups(_link(rows))
    assert groups["x0"] == groups["x4"] != groups["y0"] == groups["y4"]
    assert groups["lone"] == groups["x1"]


def test_each_linked_account_keeps_its_strongest_link() -> None:
    scored = pl.DataFrame(
        {"a": [2, 0, 1, 0], "b": [3, 2, 2, 1], "similarity": [0.65, 0.9, 0.9, 0.7], "kinds": [8, 2, 4, 1]},
        schema={"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64, "kinds": pl.UInt16},
    ).select(pair=pair_key(pl.col("a"), pl.col("b")), similarity="similarity", kinds="kinds")
    codes = pl.DataFrame({"account_id": ["w", "x", "y", "z"]}).with_row_index("code")
    links = _strongest_links(scored, codes)
    # w: y (0.9); x: y (0.9); y: w and x tie at 0.9, the smaller partner w; z: y.
    assert links.select("a", "b", "similarity").rows() == [("w", "y", 0.9), ("x", "y", 0.9), ("y", "z", 0.65)]
    assert links["kinds"].to_list() == [["created"], ["ip"], ["org"]]


def test_coded_tokens_number_the_evidence_tokens_in_order() -> None:
    """Linking's numeric tokens are `evidence_tokens` numbered by (kind, value), with
    the codes of their accounts; accounts missing from the codes are left out."""
    rows = [
        {"account_id": f"acct{i}", "timestamp": at(hours=j), "prompt": f"Reason step by step about case {j}.",
         "payment_fingerprint": f"card-{i % 3}", "ip": f"45.9.{i % 4}.{j % 2}", "system": POPULAR_SYSTEM}
        for i in range(12) for j in range(5)
    ]
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    families = cluster_system_prompts(aggregates.systems)
    codes = aggregates.accounts.select("account_id").sort("account_id").with_row_index("code").filter(
        pl.col("account_id") != "acct5"
    )
    tokens = evidence_tokens(aggregates, templates, families)
    coded, content = coded_evidence_tokens(aggregates, templates, families, codes)
    expected = tokens.join(codes, on="account_id", how="left", maintain_order="left").select(
        "code", pl.col("kind").cast(KIND_ENUM), "n_accounts", token=token_number()
    ).drop_nulls("code")
    assert set(tokens.get_column("kind")) >= {"ip", "payment", "subnet", "template"}
    assert coded.equals(expected)
    assert content.equals(tokens.filter(pl.col("kind").is_in(CONTENT_KINDS)))


def test_addresses_match_among_rotating_accounts_and_among_stable_ones_never_across() -> None:
    """Rotating accounts (a new exit for most requests) share an exit with each other and
    with a person at home whose address is also an exit: the exit is a token between
    the rotating accounts only. Two people behind one office address share it."""
    rows = [
        {"account_id": f"rot{i}", "timestamp": at(hours=j), "prompt": _own_words(i * 10 + j),
         "ip": "77.7.7.7" if j == 0 else f"10.{i}.{j}.1"}
        for i in range(3) for j in range(6)
    ]
    rows += [
        {"account_id": name, "timestamp": at(hours=j), "prompt": _own_words(100 + j), "ip": ip}
        for name, ip in (("home", "77.7.7.7"), ("office1", "62.1.1.1"), ("office2", "62.1.1.1"))
        for j in range(6)
    ]
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    tokens = evidence_tokens(aggregates, templates, cluster_system_prompts(aggregates.systems))
    holders = tokens.filter(pl.col("kind") == "ip").group_by("value").agg(pl.col("account_id").sort())
    assert sorted(holders.get_column("account_id").to_list()) == [["office1", "office2"], ["rot0", "rot1", "rot2"]]


def test_leaves_join_their_partners_component_as_linking_them_would() -> None:
    edges = pl.DataFrame({"a": [5, 6, 20, 40], "b": [6, 9, 21, 41]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    # Leaf 2 is smaller than its component's root (5), so it becomes the root; leaf 40
    # is the root of a small component, which moves whole.
    leaves = pl.DataFrame(
        {"account": [2, 30, 40], "partner": [9, 21, 6]}, schema={"account": pl.UInt32, "partner": pl.UInt32}
    )
    grown = _with_leaves(component_frame(edges), leaves)
    assert grown.equals(component_frame(pl.concat([edges, leaves.select(a="account", b="partner")])))
    roots = dict(grown.iter_rows())
    assert roots[6] == roots[41] == 2
