"""Low-and-slow: aged accounts at human rates and hours, wording their own asks around shared task items."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import polars as pl

from distillscan.synth import SynthConfig
from distillscan.synth.low_slow import LowSlow
from distillscan.synth.population import build_world
from tests.synth.helpers import kind


def test_low_slow_accounts_are_aged_people_with_their_own_infrastructure(labelled: pl.DataFrame,
                                                                         config: SynthConfig) -> None:
    slow = kind(labelled, "low_slow")
    accounts = slow.unique("account_id")
    assert (accounts["account_created_at"] <= config.start - timedelta(days=60)).all()
    per_account = slow.group_by("account_id").agg(pl.col("ip").n_unique(), pl.col("payment_fingerprint").n_unique(),
                                                  pl.col("timestamp").dt.date().n_unique().alias("days"), pl.len())
    assert (per_account["ip"] == 1).all() and accounts["payment_fingerprint"].n_unique() == accounts.height
    assert accounts["user_agent"].n_unique() >= min(3, accounts.height)
    per_day = per_account["len"] / per_account["days"]
    assert 8 <= per_day.median() <= 32
    hours = slow.group_by("account_id", pl.col("timestamp").dt.hour()).len().group_by("account_id").len()["len"]
    assert hours.median() <= 20


def test_accounts_share_task_items_far_more_than_chance_and_word_their_asks_apart(config: SynthConfig,
                                                                                  labelled: pl.DataFrame) -> None:
    entity = next(e for e in build_world(config).entities if isinstance(e, LowSlow))
    items = {item for item, _ in entity.pool}
    slow = kind(labelled, "low_slow").filter(pl.col("turn") == 1)
    senders: dict[str, set[str]] = defaultdict(set)
    pooled = 0
    for account, prompt in slow.select("account_id", "prompt").iter_rows():
        found = [item for item in items if item in prompt]
        pooled += bool(found)
        for item in found:
            senders[item].add(account)
    assert pooled >= 0.6 * slow.height
    assert sum(len(accounts) >= 2 for accounts in senders.values()) >= 0.5 * len(senders)
    # No fixed sign-off: the endings of the accounts' prompts differ.
    endings = slow.group_by("account_id").agg(pl.col("prompt").str.slice(-25).mode().first())
    assert endings["prompt"].n_unique() >= 0.8 * endings.height
