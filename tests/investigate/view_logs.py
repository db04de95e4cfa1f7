"""A small log with one campaign and a few ordinary users, for the drill-down view tests.

The campaign (6 accounts) sends one reasoning template round the clock, shares a
payment method and a /24, and moves to the model `m-new` six hours after an ordinary
user first sends it. `hostile=True` puts markup and script into an account id, the
prompts, a user agent and the new model's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from tests.helpers import at, requests_frame

CAMPAIGN_ACCOUNTS: Final = 6
CAMPAIGN_DAYS: Final = 4
HOSTILE_ACCOUNT: Final = "<script>alert(1)</script>"
HOSTILE_PROMPT: Final = '"><img src=x onerror=alert(1)> '
HOSTILE_AGENT: Final = 'evil/1.0 <iframe src="https://evil.example/x"></iframe>'
HOSTILE_MODEL: Final = "<svg onload=alert(1)>"
# The new model first appears (from an ordinary user) at this hour of day 2.
NEW_MODEL_HOUR: Final = 6
CAMPAIGN_SWITCH_HOUR: Final = 12
# What each ordinary user (user0…user3) asks to name.
THINGS_TO_NAME: Final = ("cat", "boat", "band", "shop")


def campaign_accounts(hostile: bool = False) -> list[str]:
    names = [f"op{index}" for index in range(CAMPAIGN_ACCOUNTS)]
    if hostile:
        names[0] = HOSTILE_ACCOUNT
    return names


def view_log(hostile: bool = False) -> pl.DataFrame:
    """Campaign requests every 2 hours for CAMPAIGN_DAYS days, plus 4 daytime users."""
    new_model = HOSTILE_MODEL if hostile else "m-new"
    prefix = HOSTILE_PROMPT if hostile else ""
    rows: list[dict[str, Any]] = []
    for index, account in enumerate(campaign_accounts(hostile)):
        for step in range(CAMPAIGN_DAYS * 12):
            day, hour = divmod(step * 2, 24)
            switched = (day, hour) >= (2, CAMPAIGN_SWITCH_HOUR)
            rows.append({
                "account_id": account,
                "timestamp": at(days=day, hours=hour, minutes=index),
                "prompt": f"{prefix}Problem {step}: compute {step * 7 + index} plus {index + 3}. "
                          "Think it through and explain your reasoning step by step before the final answer.",
                "model": new_model if switched else "m-old",
                "ip": f"45.0.0.{index + 1}",
                "payment_fingerprint": "card-1",
                "user_agent": HOSTILE_AGENT if hostile else "bot/1.0",
                "temperature": 0.0,
                "max_tokens": 1024,
            })
    for index in range(4):
        for step in range(10):
            day, hour = step % CAMPAIGN_DAYS, 9 + step % 9
            model = new_model if (index == 0 and (day, hour) >= (2, NEW_MODEL_HOUR)) else "m-old"
            rows.append({
                "account_id": f"user{index}",
                "timestamp": at(days=day, hours=hour, minutes=7 * index),
                "prompt": f"Could you suggest a name for my {THINGS_TO_NAME[index]} number {step}? thanks",
                "model": model,
                # user0 shares one campaign IP (a NAT, say): not enough to join the group.
                "ip": "45.0.0.1" if index == 0 else f"10.{index}.0.1",
                "payment_fingerprint": f"visa-{index}",
                "user_agent": "Mozilla/5.0",
            })
    rows.append({
        "account_id": "user0", "timestamp": at(days=2, hours=NEW_MODEL_HOUR), "prompt": "hello there",
        "model": new_model, "ip": "45.0.0.1", "payment_fingerprint": "visa-0", "user_agent": "Mozilla/5.0",
    })
    return requests_frame(rows)


def write_view_log(folder: Path, hostile: bool = False) -> Path:
    path = folder / ("hostile.parquet" if hostile else "views.parquet")
    view_log(hostile).write_parquet(path)
    return path
