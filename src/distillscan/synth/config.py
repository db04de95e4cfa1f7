"""What to generate: the settings, the models, the entity kinds and the row schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

import polars as pl

OLD_MODEL: Final = "atlas-2"
NEW_MODEL: Final = "atlas-3"
BENIGN_KINDS: Final = (
    "ordinary", "enterprise", "popular_tool", "benchmark", "nat", "reseller", "pipeline", "cron", "team", "canary",
    "tutoring", "dataset_user", "proxy_user",
)
CAMPAIGN_KINDS: Final = ("hydra", "cot_rubric", "paraphrase", "reseller_mixed", "low_slow")
# A small code per kind, carried beside each row to count rows per kind.
KIND_CODES: Final = {kind: i for i, kind in enumerate(BENIGN_KINDS + CAMPAIGN_KINDS)}

TIMESTAMP: Final = pl.Datetime("us", "UTC")
SYNTH_SCHEMA: Final[dict[str, pl.DataType]] = {
    "request_id": pl.String(),
    "account_id": pl.String(),
    "org_id": pl.String(),
    "timestamp": TIMESTAMP,
    "model": pl.String(),
    "system": pl.String(),
    "prompt": pl.String(),
    "conversation_id": pl.String(),
    "turn": pl.Int32(),
    "ip": pl.String(),
    "user_agent": pl.String(),
    "payment_fingerprint": pl.String(),
    "account_created_at": TIMESTAMP,
    "input_tokens": pl.Int64(),
    "output_tokens": pl.Int64(),
    "temperature": pl.Float64(),
    "max_tokens": pl.Int64(),
}

US: Final = 1_000_000
DAY: Final = 86_400
HOUR: Final = 3_600
RELEASE_HOUR: Final = 17
_DUPLICATE_RATE: Final = 0.002
MIN_ROWS: Final = 10_000


@dataclass(frozen=True)
class SynthConfig:
    """What to generate.

    `n_requests` is the approximate number of rows (within 10%); `new_model_day` is the day
    index on which `atlas-3` is released (at 17:00 UTC); `campaign_share` is the share of rows
    sent by campaign accounts; `duplicate_rate` is the share of rows repeated verbatim, as a
    gateway retry logs them twice.

    `campaign_scale` sizes the campaigns as in a log of that many rows and draws them from
    their own random streams: the campaign accounts, their ids and every one of their rows
    are then the same whatever `n_requests` is, and only benign traffic grows (None: the
    campaigns of an `n_requests` log, `campaign_share` of its rows).

    `text_from` names a folder of public prompt corpora (`*.jsonl.gz`, one
    `{"text", "source", "category"}` object a line) from which task bodies are drawn by
    kind; without it they come from the built-in grammar.

    `volume` multiplies every entity's traffic without adding accounts: each planned
    unit (a person's day, a scheduler window, an eval run) is emitted `volume` times with
    fresh draws, so about `volume × n_requests` rows come from the accounts of
    `n_requests` with fresh prompt text. It measures what grows with rows and not with
    accounts (a longer dump of one population); detection quality is calibrated at 1.
    """

    n_requests: int = 100_000
    seed: int = 7
    start: datetime = datetime(2026, 4, 20, tzinfo=timezone.utc)
    days: int = 21
    new_model_day: int = 10
    campaign_share: float = 0.25
    duplicate_rate: float = _DUPLICATE_RATE
    volume: int = 1
    campaign_scale: int | None = None
    text_from: Path | None = None

    def __post_init__(self) -> None:
        if self.n_requests < MIN_ROWS:
            raise ValueError("n_requests must be at least 10,000 (every entity needs its minimum size)")
        if not 8 <= self.days <= 4096:
            raise ValueError("days must be between 8 and 4096")
        if not 2 <= self.new_model_day <= self.days - 2:
            raise ValueError("new_model_day must leave two days on either side of the window")
        if not 0.05 <= self.campaign_share <= 0.6:
            raise ValueError("campaign_share must be between 0.05 and 0.6")
        if not 0.0 <= self.duplicate_rate <= 0.05:
            raise ValueError("duplicate_rate must be between 0 and 0.05")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not 1 <= self.volume <= 64:
            raise ValueError("volume must be between 1 and 64")
        if self.campaign_scale is not None and not MIN_ROWS <= self.campaign_scale <= self.n_requests:
            raise ValueError("campaign_scale must be between 10,000 and n_requests")

    @property
    def campaign_basis(self) -> int:
        """The log size the campaigns are drawn for: `campaign_scale`, else `n_requests`."""
        return self.campaign_scale if self.campaign_scale is not None else self.n_requests

    @property
    def campaign_rows(self) -> float:
        """Rows the campaigns are sized to send (before `volume`)."""
        return self.campaign_basis * self.campaign_share
