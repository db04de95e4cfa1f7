"""The population of one config: every entity and account, sized from the row budget.

Benchmarks, enterprise products, the popular tool, campuses and resellers take fixed
shares of the rows and ordinary users the rest of the benign side; the campaign share is
split between low-and-slow accounts and the other campaigns. Entities are built in a fixed
order from one random stream, so accounts and ids depend only on the config.
"""

from __future__ import annotations

import math
import random
from typing import Final

from distillscan.synth.benchmark import build_benchmark
from distillscan.synth.campaign_prompts import COMPUTER_USE_SYSTEM
from distillscan.synth.campaigns import CotRubric, Hydra, LowSlow, Paraphrase
from distillscan.synth.config import SynthConfig
from distillscan.synth.crowds import build_nat, build_ordinary, build_popular_tool
from distillscan.synth.services import Service, build_enterprise, gateway_desks
from distillscan.synth.world import World

# Shares of all rows for the benign entities sized by volume; ordinary users take the rest of
# the benign rows. Campaign rows left after the low-and-slow accounts are split by `_CAMPAIGN_SPLIT`.
_BENIGN_SHARES: Final = {"enterprise": 0.08, "popular_tool": 0.05, "nat": 0.03, "reseller": 0.035}
_CAMPAIGN_SPLIT: Final = {"hydra": 0.64, "cot_rubric": 0.07, "paraphrase": 0.14, "reseller_mixed": 0.15}


def build_world(config: SynthConfig) -> World:
    """Every entity and account for a config; deterministic for its seed."""
    world = World(config)
    rng = random.Random(f"{config.seed}:world")
    n = config.n_requests
    campaign = n * config.campaign_share
    share = {kind: fraction * n for kind, fraction in _BENIGN_SHARES.items()}

    bench = build_benchmark(world, rng)
    enterprise = build_enterprise(world, rng, share["enterprise"])
    popular = build_popular_tool(world, rng, share["popular_tool"])
    nat = build_nat(world, rng, share["nat"])
    resellers = Service("reseller")
    n_resellers = 3 if n < 300_000 else 4 if n < 3_000_000 else 5
    gateway_desks(world, rng, resellers, "reseller", n_resellers, share["reseller"],
                  lambda k: f"reseller-{k + 1:03d}", lambda: 0.0)
    bench_rows = sum(r.count for r in bench.runs)
    ordinary = build_ordinary(world, rng, n - campaign - bench_rows - sum(share.values()))

    low_slow = LowSlow(world, rng, min(20, 6 + n // 200_000))
    rest = {kind: fraction * max(campaign - low_slow.rows(config.days), 0.3 * campaign)
            for kind, fraction in _CAMPAIGN_SPLIT.items()}
    n_hydra = max(30, min(math.ceil(1.25 * len(popular.humans)), int(rest["hydra"] / (1.2 * config.days))),
                  round(rest["hydra"] / 300))
    hydra = Hydra(world, rng, rest["hydra"], n_hydra)
    cot = CotRubric(world, rng, rest["cot_rubric"], min(20, 8 + n // 150_000))
    para = Paraphrase(world, rng, rest["paraphrase"], min(60, 12 + n // 40_000))
    mixed = Service("reseller_mixed", campaign_system=world.system(COMPUTER_USE_SYSTEM))
    n_mixed = 2 if n < 500_000 else 3 if n < 5_000_000 else 4
    gateway_desks(world, rng, mixed, "reseller_mixed", n_mixed, rest["reseller_mixed"],
                  lambda k: "reseller_mixed-001", lambda: 0.3 + 0.2 * rng.random())
    world.entities = [ordinary, enterprise, popular, bench, nat, resellers, hydra, cot, para, mixed, low_slow]
    return world


