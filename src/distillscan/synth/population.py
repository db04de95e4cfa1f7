"""The population of one config: every entity and account, sized from the row budget.

Campaigns are built first, from a random stream of their own seeded by the campaign
basis (`campaign_scale`, else `n_requests`), together with the rotating proxy pools they
share with benign customers: so one set of campaign accounts can sit inside logs of any
size. The low-and-slow accounts take their rows, and the rest of the campaign rows is
split between the hydra networks, the paraphrasers, the rubric group and the mixed
resellers. The benign side then takes fixed shares of the benign rows per kind, ordinary
users the rest. Entities are built in a fixed order, so accounts and ids depend only on
the config.
"""

from __future__ import annotations

import random
from typing import Any, Final

from distillscan.synth.benchmark import build_benchmark
from distillscan.synth.config import SynthConfig
from distillscan.synth.hydra import Hydra
from distillscan.synth.infrastructure import proxy_pool
from distillscan.synth.low_slow import LowSlow
from distillscan.synth.machines import Cron, Pipeline
from distillscan.synth.paraphrase import Paraphrase
from distillscan.synth.people import (
    build_dataset_users,
    build_nat,
    build_ordinary,
    build_popular_tool,
    build_proxy_users,
    build_teams,
)
from distillscan.synth.rubric import CotRubric
from distillscan.synth.services import Service, build_canary, build_enterprise, build_tutoring, gateway_desks
from distillscan.synth.world import Entity, World

# Shares of the benign rows for the benign entities sized by volume; ordinary users take the rest.
_BENIGN_SHARES: Final = {
    "enterprise": 0.14, "popular_tool": 0.065, "nat": 0.04, "reseller": 0.045, "pipeline": 0.06, "cron": 0.02,
    "team": 0.03, "canary": 0.02, "tutoring": 0.02, "dataset_user": 0.03, "proxy_user": 0.025,
}
# Campaign rows left after the low-and-slow accounts, by campaign.
_CAMPAIGN_SPLIT: Final = {"hydra": 0.6, "paraphrase": 0.2, "cot_rubric": 0.07, "reseller_mixed": 0.13}
# The low-and-slow accounts' rows a day on average, and the most of the campaign rows they take.
_LOW_SLOW_ROWS_PER_DAY: Final = 16
_LOW_SLOW_SHARE: Final = 0.35
# The hydra's rows per account on average (a heavy tail around it).
_HYDRA_ROWS_PER_ACCOUNT: Final = 60


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _campaigns(world: World) -> list[Entity[Any]]:
    """The campaign entities and the proxy pools, from the campaign stream alone."""
    config = world.config
    basis = config.campaign_basis
    rng = random.Random(f"{config.seed}:campaign-world:{basis}")
    rows = config.campaign_rows
    providers = 1 if basis < 500_000 else 2
    world.proxy_pools = [proxy_pool(world, rng, _clamp(basis / 25, 2_000, 150_000)) for _ in range(providers)]
    # Hundreds of accounts at scale, but never more than about a third of the campaign rows.
    n_low = min(_clamp(basis / 5_000, 6, 600), max(3, round(_LOW_SLOW_SHARE * rows / (
        _LOW_SLOW_ROWS_PER_DAY * config.days))))
    low_slow = LowSlow(world, rng, n_low, "low_slow-001")
    rest = {kind: share * max(rows - low_slow.rows(config.days), 0.4 * rows) for kind, share in _CAMPAIGN_SPLIT.items()}
    networks = (1.0,) if basis < 500_000 else (0.65, 0.35)
    hydras: list[Entity[Any]] = [
        Hydra(world, rng, rest["hydra"] * share, max(40, round(rest["hydra"] * share / _HYDRA_ROWS_PER_ACCOUNT)),
              f"hydra-{i + 1:03d}", world.proxy_pools[i % providers])
        for i, share in enumerate(networks)
    ]
    para = Paraphrase(world, rng, rest["paraphrase"], _clamp(basis / 2_500, 16, 2_000), "paraphrase-001")
    rubric = CotRubric(world, rng, rest["cot_rubric"], _clamp(basis / 40_000, 6, 40), "cot_rubric-001")
    mixed = Service("reseller_mixed", world)
    gateway_desks(world, rng, mixed, "reseller_mixed", 2 if basis < 500_000 else 3 if basis < 5_000_000 else 4,
                  rest["reseller_mixed"], lambda k: "reseller_mixed-001", lambda: 0.25 + 0.2 * rng.random())
    return [*hydras, rubric, para, mixed, low_slow]


def build_world(config: SynthConfig) -> World:
    """Every entity and account for a config; deterministic for its seed."""
    world = World(config)
    campaigns = _campaigns(world)
    rng = random.Random(f"{config.seed}:world")
    n = config.n_requests
    benign = n - config.campaign_rows
    world.benign_rows = benign
    share = {kind: fraction * benign for kind, fraction in _BENIGN_SHARES.items()}
    bench = build_benchmark(world, rng)
    enterprise = build_enterprise(world, rng, share["enterprise"])
    popular = build_popular_tool(world, rng, share["popular_tool"])
    nat = build_nat(world, rng, share["nat"])
    resellers = Service("reseller", world)
    gateway_desks(world, rng, resellers, "reseller", 3 if n < 300_000 else 4 if n < 3_000_000 else 5,
                  share["reseller"], lambda k: f"reseller-{k + 1:03d}", lambda: 0.0)
    pipeline = Pipeline(world, rng, share["pipeline"], _clamp(n / 300_000, 2, 24))
    cron = Cron(world, rng, share["cron"])
    teams = build_teams(world, rng, share["team"])
    canary = build_canary(world, rng, share["canary"], _clamp(n / 500_000, 1, 8))
    tutoring = build_tutoring(world, rng, share["tutoring"], _clamp(n / 400_000, 1, 6))
    dataset_users = build_dataset_users(world, rng, share["dataset_user"])
    proxy_users = build_proxy_users(world, rng, share["proxy_user"])
    sized = sum(share.values()) - share["cron"] + cron.rows(config.days) + bench.rows()
    ordinary = build_ordinary(world, rng, max(benign - sized, 0.2 * benign))
    world.entities = [ordinary, enterprise, popular, bench, nat, resellers, pipeline, cron, teams, canary, tutoring,
                      dataset_users, proxy_users, *campaigns]
    return world
