"""Lone accounts and small crews join the group whose own system prompts they use: two of
them, never one."""

from __future__ import annotations

import random

from distillscan.fingerprint.cluster import cluster_system_prompts, cluster_templates
from distillscan.link import link_accounts
from tests.helpers import aggregate, at, requests_frame

ANALYST = "You are the crew's data analyst. Read the table, compute every ratio asked and report them as JSON only."
AGENT = "You are the crew's tool runner. Call exactly one tool per turn and never explain the call you make."
HELPER = "You are a helpful assistant. Answer clearly and kindly, and ask when the question is unclear."
WORDS = ["river", "apple", "quantum", "garden", "violin", "harbor", "lantern", "meadow", "copper", "falcon"]


def _own_words(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(14))


def _request(account: str, n: int, system: str | None, prompt: str) -> dict:
    return {"account_id": account, "timestamp": at(hours=n % 24, minutes=n % 60), "system": system, "prompt": prompt,
            "payment_fingerprint": f"card-{account}", "ip": f"81.{n % 250}.{n // 250 % 250}.1"}


def _groups(rows: list[dict]) -> dict[str, str]:
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    linkage = link_accounts(aggregates, templates, cluster_system_prompts(aggregates.systems))
    return dict(linkage.membership.iter_rows())


def _crew(size: int = 12, name: str = "crew", task: str = "Grade answer {n} against the rubric: reason step by step.",
          start: int = 0) -> list[dict]:
    """A crew linked by one template (`task`), each member also running the crew's two
    prompts; request numbers from `start`."""
    rows = []
    for i in range(size):
        first = start + i * 100
        for j in range(6):
            rows.append(_request(f"{name}{i:02d}", first + j, None, task.format(n=first + j)))
        rows.append(_request(f"{name}{i:02d}", first + 50, ANALYST, _own_words(first + 50)))
        rows.append(_request(f"{name}{i:02d}", first + 51, AGENT, _own_words(first + 51)))
        rows.append(_request(f"{name}{i:02d}", first + 52, HELPER, _own_words(first + 52)))
    return rows


def test_a_lone_account_using_two_of_a_groups_own_prompts_joins_it() -> None:
    rows = _crew()
    rows += [_request("quiet", 5000, ANALYST, _own_words(5000)), _request("quiet", 5001, AGENT, _own_words(5001))]
    # Another lone holder of the analyst prompt, which it alone does not earn: the crew
    # are 12 of its 14 holders, still the crew's own.
    rows += [_request("one", 6000, ANALYST, _own_words(6000)), _request("one", 6001, None, _own_words(6001))]
    groups = _groups(rows)
    assert groups["quiet"] == groups["crew00"] == groups["crew11"]
    assert groups["one"] != groups["crew00"]


def _quiet_pair_of_prompts(name: str, n: int) -> list[dict]:
    """A lone account sending one request on each of the crew's two prompts."""
    return [_request(name, n, ANALYST, _own_words(n)), _request(name, n + 1, AGENT, _own_words(n + 1))]


def test_the_lone_accounts_a_group_lost_count_as_its_own_when_its_prompts_are_found() -> None:
    # Eight quiet accounts the links lost use both of the crew's prompts: the crew's 12
    # are 60% of each prompt's holders, short of 75%, but with the quiet accounts that
    # use two prompts it leads (half or more of the holders) counted in, all of them are
    # the crew's.
    rows = _crew()
    for k in range(8):
        rows += _quiet_pair_of_prompts(f"quiet{k}", 5000 + 10 * k)
    groups = _groups(rows)
    assert {groups[f"quiet{k}"] for k in range(8)} == {groups["crew00"]}


def test_strangers_using_one_of_a_groups_prompts_still_keep_it_from_being_its_own() -> None:
    # Three quiet accounts use both prompts and six strangers each one of them: the crew
    # leads each prompt (12 of 21 holders), but with the three counted in it holds 15,
    # short of 75%, so neither prompt is its own and no one joins.
    rows = _crew()
    for k in range(3):
        rows += _quiet_pair_of_prompts(f"quiet{k}", 5000 + 10 * k)
    for k in range(12):
        prompt = ANALYST if k % 2 else AGENT
        rows += [_request(f"user{k}", 7000 + k, prompt, _own_words(7000 + k)),
                 _request(f"user{k}", 7100 + k, None, _own_words(7100 + k))]
    groups = _groups(rows)
    assert all(groups[f"quiet{k}"] != groups["crew00"] for k in range(3))


def test_a_pair_sharing_a_card_and_two_of_a_groups_own_prompts_joins_it() -> None:
    # Two quiet accounts paying with one card are attached to each other (`cards`); the
    # pair, one of the crew's prompts each, joins the crew.
    rows = _crew()
    rows += [_request("quietA", 5000, ANALYST, _own_words(5000)), _request("quietB", 5001, AGENT, _own_words(5001))]
    for row in rows[-2:]:
        row["payment_fingerprint"] = "card-shared-by-the-pair"
    groups = _groups(rows)
    assert groups["quietA"] == groups["quietB"] == groups["crew00"]


def test_prompts_two_crews_use_together_are_owned_by_the_pair() -> None:
    # One playbook run by two crews the links keep apart (14 and 12 accounts, each its
    # own task template): neither holds 75% of the prompts' holders, both together do.
    # The lone account using two of them joins the crew using them most.
    rows = _crew() + _crew(14, "band", "Summarise report {n} in one line, citing the table.", 3000)
    rows += [_request("quiet", 9000, ANALYST, _own_words(9000)), _request("quiet", 9001, AGENT, _own_words(9001))]
    groups = _groups(rows)
    assert groups["crew00"] != groups["band00"]
    assert groups["quiet"] == groups["band00"]


def test_a_prompt_many_outsiders_use_is_no_groups_own() -> None:
    # Twelve strangers also use the helper prompt: its holders are half the crew's, so a
    # stranger using it and the crew's analyst prompt holds one of the crew's own.
    rows = _crew()
    rows += [_request(f"user{k}", 7000 + k, HELPER, _own_words(7000 + k)) for k in range(12)]
    rows += [_request("mixed", 8000, HELPER, _own_words(8000)), _request("mixed", 8001, ANALYST, _own_words(8001))]
    groups = _groups(rows)
    assert groups["mixed"] != groups["crew00"]
    assert len({groups[f"user{k}"] for k in range(12)}) == 12


def test_a_small_group_owns_no_prompts() -> None:
    rows = _crew(size=6)
    rows += [_request("quiet", 5000, ANALYST, _own_words(5000)), _request("quiet", 5001, AGENT, _own_words(5001))]
    groups = _groups(rows)
    assert groups["crew00"] == groups["crew05"] != groups["quiet"]


def _crew_on_one_subnet(size: int = 20) -> list[dict]:
    """`_crew`, each member sending its analyst request from one /24 they all exit through."""
    rows = _crew(size)
    for row in rows:
        if row["system"] == ANALYST:
            row["ip"] = f"203.0.113.{int(row['account_id'][4:])}"
    return rows


def _quiet(ip: str) -> list[dict]:
    """One request on the crew's analyst prompt, from `ip`, paid with a card of its own."""
    return [{**_request("quiet", 5000, ANALYST, _own_words(5000)), "ip": ip}]


def test_one_prompt_only_the_group_uses_and_one_of_its_subnets_join_a_lone_account_to_it() -> None:
    groups = _groups(_crew_on_one_subnet() + _quiet("203.0.113.200"))
    assert groups["quiet"] == groups["crew00"]


def test_one_prompt_only_the_group_uses_from_elsewhere_is_not_enough() -> None:
    groups = _groups(_crew_on_one_subnet() + _quiet("198.51.100.7"))
    assert groups["quiet"] != groups["crew00"]


def test_one_of_the_groups_subnets_and_a_prompt_strangers_also_use_is_not_enough() -> None:
    # Two strangers also use the analyst prompt: the crew are 20 of its 23 holders (87%),
    # its own (two such prompts would do) but not only its.
    strangers = [_request(f"user{k}", 7000 + k, ANALYST, _own_words(7000 + k)) for k in range(2)]
    groups = _groups(_crew_on_one_subnet() + strangers + _quiet("203.0.113.200"))
    assert groups["quiet"] != groups["crew00"]
