"""Wrappers: accounts that send their tasks in one system prompt and end them with one
closing line link, though every task (and so every frame) is their own; a system prompt
shared without the closing line, or a closing line without the prompt, does not."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl

from distillscan.fingerprint.cluster import cluster_system_prompts, cluster_templates
from distillscan.link import link_accounts
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
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


AGENT_SYSTEM = ("You are Lathe, a small open-source coding agent running in the user's terminal. Read the repository "
                "before you change it, run the tests after every edit and explain each change in one line.")
AGENT_CLOSER = "Follow the workflow in your instructions and use the tools before answering."
ASKS = ["fix the failing test in", "add type hints to", "explain the error in", "refactor the loop in",
        "write a docstring for", "speed up the query in", "rename the helper in", "remove the dead code in"]


def test_users_of_a_small_agent_that_appends_one_closing_line_are_not_flagged(tmp_path: Path) -> None:
    """The benign look-alike of a wrapper: 30 people using one small agent, which sends
    its system prompt and appends the same closing line to every task. They may form a
    group on it, but people (own cards and homes, uneven volumes, office hours,
    conversations) do not score as a campaign."""
    rng = random.Random(7)
    rows = []
    for user in range(30):
        volume = max(3, int(rng.lognormvariate(3.0, 1.0)))
        for k in range(volume):
            day, hour = rng.randrange(21), 8 + rng.randrange(10)
            conversation = f"u{user}-c{k // 3}"
            task = f"{rng.choice(ASKS)} src/{rng.choice(WORDS)}_{rng.choice(WORDS)}.py"
            rows.append({"account_id": f"dev{user:02d}", "timestamp": at(days=day, hours=hour, minutes=rng.randrange(60)),
                         "system": AGENT_SYSTEM, "prompt": f"<request>\n{task}\n</request>\n\n{AGENT_CLOSER}",
                         "conversation_id": conversation, "turn": 1 + k % 3, "ip": f"90.{user}.{k % 2}.7",
                         "payment_fingerprint": f"card-{user}", "temperature": 0.2, "max_tokens": 8192})
    path = tmp_path / "agent.parquet"
    requests_frame(rows).write_parquet(path)
    result = scan([str(path)], ScanOptions())
    assert result.report.groups.filter(pl.col("severity").is_in(["medium", "high", "critical"])).is_empty()
