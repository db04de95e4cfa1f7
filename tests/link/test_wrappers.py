"""Wrappers: accounts that send their tasks in one system prompt and end them with one
closing line link, though every task (and so every frame) is their own; a system prompt
shared without the closing line, or a closing line without the prompt, does not."""

from __future__ import annotations

import random

from distillscan.fingerprint.cluster import cluster_system_prompts, cluster_templates
from distillscan.link import link_accounts
from tests.helpers import aggregate, at, requests_frame

SYSTEM = ("You are a meticulous tutor writing gold-standard worked solutions for a curriculum dataset. Show every "
          "derivation and justify each transformation before the final answer.")
ASK = "Let's reason through this carefully, step by step, explaining each intermediate step."
WORDS = ["river", "apple", "quantum", "garden", "violin", "harbor", "lantern", "meadow", "copper", "falcon",
         "tundra", "saffron", "glacier", "orchid", "pebble", "thistle", "cobalt", "walnut", "ember", "juniper"]


def _task(rng: random.Random) -> str:
    """A task of its own, in a list with no closing mark, as public datasets hold many."""
    return "Sort these items:\n" + "\n".join(f"- {rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(4))


def _rows(account: str, system: str | None, ask: str, seed: int, n: int = 20) -> list[dict]:
    rng = random.Random(seed)
    return [
        {"account_id": account, "timestamp": at(days=k % 7, hours=(seed + k) % 24, minutes=k), "system": system,
         "prompt": f"{_task(rng)}\n\n{ask}", "ip": f"81.{seed % 250}.{k % 3}.1", "payment_fingerprint": f"card-{account}"}
        for k in range(n)
    ]


def _groups(rows: list[dict]) -> dict[str, str]:
    aggregates = aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    linkage = link_accounts(aggregates, templates, cluster_system_prompts(aggregates.systems))
    return dict(linkage.membership.iter_rows())


def test_accounts_sharing_a_system_prompt_and_a_closing_line_link() -> None:
    rows = [row for index in range(6) for row in _rows(f"op{index}", SYSTEM, ASK, seed=index)]
    groups = _groups(rows)
    assert len({groups[f"op{index}"] for index in range(6)}) == 1


def test_a_shared_system_prompt_or_closing_line_alone_does_not_link() -> None:
    rows = [row for index in range(6) for row in _rows(f"own{index}", SYSTEM, f"{ASK} Answer {WORDS[index]}.", index)]
    rows += [row for index in range(6) for row in _rows(f"bare{index}", None, ASK, seed=10 + index)]
    groups = _groups(rows)
    assert len({groups[f"own{index}"] for index in range(6)}) == 6
    assert len({groups[f"bare{index}"] for index in range(6)}) == 6
