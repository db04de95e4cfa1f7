"""The world of one config: its accounts, lookup tables, and the entities that emit rows.

Rows hold small indices into the world's tables (accounts, IP addresses, system prompts,
user agents), turned into strings only when a batch becomes a frame. Entities plan each
day into small picklable units and emit them into a `Sink`, which assigns ids and adds
gateway-retry duplicates.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from distillscan.synth.config import CAMPAIGN_KINDS, DAY, HOUR, RELEASE_HOUR, US, SynthConfig
from distillscan.synth.corpus import load_corpus
from distillscan.synth.grammar import Rng
from distillscan.synth.text import Text
from distillscan.synth.timing import LOGNORMAL_STEPS, TOKEN_SPREAD

P = TypeVar("P")

_ORG_SHARE: Final = 0.7
_MASK64: Final = (1 << 64) - 1
# Ids are x ^ (x >> 29) with x = counter * odd + key (mod 2^64): a bijection, so unique per counter.
_ODD64: Final = 0x9E3779B97F4A7C15
# The longest answer, for requests that set no max_tokens.
_OUT_CAP: Final = 16_384


@dataclass(slots=True)
class Account:
    """One account: its ids, when it was created, and its ground truth (kind and entity)."""

    account_id: str
    org_id: str | None
    payment: str
    created_s: float
    kind: str
    entity_id: str


class World:
    """Accounts, IP/system/user-agent tables, prompt text and entities for one config.

    Campaign accounts take their ids from a stream of their own (seeded by the campaign
    basis), so they are the same whatever the benign population around them.
    """

    def __init__(self, config: SynthConfig) -> None:
        self.config = config
        self.start_s = float(int(config.start.timestamp()))
        self.days = config.days
        self.end_s = self.start_s + config.days * DAY
        self.release_s = self.start_s + config.new_model_day * DAY + RELEASE_HOUR * HOUR
        self.weekday0 = config.start.weekday()
        self.accounts: list[Account] = []
        self.lower_s: list[float] = []
        self.ips: list[str] = []
        self.systems: list[str | None] = [None]
        self.entities: list[Entity[Any]] = []
        self._ip_index: dict[str, int] = {}
        self._system_index: dict[str, int] = {}
        self._ids: set[str] = set()
        self._id_rngs = (random.Random(f"{config.seed}:account-ids"),
                         random.Random(f"{config.seed}:campaign-account-ids:{config.campaign_basis}"))
        self.text = Text(load_corpus(config.text_from))
        # Rotating residential proxy pools (IP indices), shared by campaigns and benign customers.
        self.proxy_pools: list[tuple[int, ...]] = []
        # Rows the benign side is sized to send (before `volume`); set when the population is built.
        self.benign_rows = float(config.n_requests)
        keys = random.Random(f"{config.seed}:id-keys")
        self.request_key = keys.getrandbits(64)
        self.conversation_key = keys.getrandbits(64)

    def day_start(self, day: int) -> float:
        """Seconds since the epoch at which day `day` of the window starts (UTC)."""
        return self.start_s + day * DAY

    def weekend(self, day: int) -> bool:
        """Whether day `day` of the window is a Saturday or Sunday."""
        return (self.weekday0 + day) % 7 >= 5

    def account(self, kind: str, entity_id: str, created_s: float, org_id: str | None, payment: str) -> int:
        """Register an account with an opaque random id; returns its index."""
        id_rng = self._id_rngs[kind in CAMPAIGN_KINDS]
        account_id = f"acct_{random_hex(id_rng, 12)}"
        while account_id in self._ids:
            account_id = f"acct_{random_hex(id_rng, 12)}"
        self._ids.add(account_id)
        self.accounts.append(Account(account_id, org_id, payment, created_s, kind, entity_id))
        self.lower_s.append(max(self.start_s, created_s + 60.0))
        return len(self.accounts) - 1

    def ip(self, address: str) -> int:
        """The index of `address` in the IP table, adding it if new."""
        index = self._ip_index.get(address)
        if index is None:
            index = self._ip_index[address] = len(self.ips)
            self.ips.append(address)
        return index

    def system(self, text: str | None) -> int:
        """The index of system prompt `text` in the system table (0 for none), adding it if new."""
        if text is None:
            return 0
        index = self._system_index.get(text)
        if index is None:
            index = self._system_index[text] = len(self.systems)
            self.systems.append(text)
        return index


def random_hex(rng: Rng, n: int) -> str:
    """`n` random hex digits, from one draw."""
    return f"{rng.getrandbits(4 * n):0{n}x}"


def new_org(rng: Rng) -> str | None:
    """A fresh organization id, or none (most accounts belong to an organization)."""
    return f"org_{random_hex(rng, 12)}" if rng.random() < _ORG_SHARE else None


def new_payment(rng: Rng) -> str:
    """A fresh payment fingerprint."""
    return f"pf_{random_hex(rng, 16)}"


def switch_time(world: World, rng: Rng, never: float, mean_days: float) -> float:
    """When an account starts trying the new model: never with probability `never`, else after the release."""
    if rng.random() < never:
        return math.inf
    return world.release_s + rng.expovariate(1.0 / (mean_days * DAY))


def volumes(rng: Rng, count: int, total: float, cap: float, sigma: float) -> list[float]:
    """Heavy-tailed per-account volumes summing to `total`, none above `cap`."""
    raw = [math.exp(sigma * rng.gauss(0.0, 1.0)) for _ in range(count)]
    for _ in range(4):
        scale = total / sum(raw)
        raw = [min(v * scale, cap) for v in raw]
    return [max(1.0, v) for v in raw]


class Sink:
    """Row buffer for one segment: assigns ids, injects gateway-retry duplicates."""

    def __init__(self, world: World, rng: Rng, stream: int) -> None:
        self.rows: list[tuple[object, ...]] = []
        self._lower = world.lower_s
        self._end = world.end_s
        self._release = world.release_s
        self._request_key = world.request_key
        self._conversation_key = world.conversation_key
        self._requests = stream << 36
        self._conversations = stream << 36
        self._random = rng.random
        self._dup_rate = world.config.duplicate_rate

    def conversation(self) -> str:
        """A new conversation id, unique within the log."""
        self._conversations += 1
        x = (self._conversations * _ODD64 + self._conversation_key) & _MASK64
        return "conv_%016x" % (x ^ (x >> 29))

    def add(self, acct: int, t: float, model: int, system: int, prompt: str, conv: str, turn: int, ip: int,
            ua: int, out_median: float, temp: float | None, max_tokens: int | None) -> None:
        """Append one request if it falls inside the window and after the account was created."""
        if t < self._lower[acct] or t >= self._end:
            return
        if model and t < self._release:
            model = 0
        out = int(out_median * TOKEN_SPREAD[int(self._random() * LOGNORMAL_STEPS)]) + 1
        if out > (max_tokens or _OUT_CAP):
            out = max_tokens or _OUT_CAP
        self._requests += 1
        x = (self._requests * _ODD64 + self._request_key) & _MASK64
        row = (acct, int(t * US), model, system, prompt, conv, turn, ip, ua, out, temp, max_tokens,
               "req_%016x" % (x ^ (x >> 29)))
        self.rows.append(row)
        if self._random() < self._dup_rate:
            self.rows.append(row)


class Entity(Generic[P]):
    """A source of rows: plans each day into small picklable units, then emits one unit at a time."""

    kind: str = ""

    @property
    def campaign(self) -> bool:
        """Whether this entity's rows are campaign rows (drawn from the campaign streams)."""
        return self.kind in CAMPAIGN_KINDS

    def units(self, world: World, day: int, rng: Rng) -> list[P]:
        raise NotImplementedError

    def emit(self, world: World, payload: P, day: int, rng: Rng, sink: Sink) -> None:
        raise NotImplementedError

