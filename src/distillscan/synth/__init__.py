"""Labelled synthetic request logs, with ground truth, for measuring detection quality.

The generator writes native-schema request rows for a population of benign entities
(ordinary users, an enterprise product, a popular open-source tool, benchmark runs,
a campus NAT, legitimate resellers) and distillation campaigns (a load-balanced hydra
network, a rubric/reasoning-trace campaign, a paraphrasing campaign, a reseller that
mixes campaign traffic into real traffic, and a low-and-slow operator).

The benign side is built to be hard: enterprises send one system prompt at fixed
parameters from a few cloud IPs, hundreds of independent users share a tool's long
system prompt, evaluation runs are templated bursts with step-by-step prompts, and
many students share one NAT address. Nothing in account ids, user agents, IP ranges,
model names or column presence tells campaign rows from benign ones by itself.

Generation is streamed day by day in bounded memory and is deterministic for a seed:
every random draw comes from a `random.Random` seeded with a string derived from
`SynthConfig.seed`, and every draw happens in a fixed order.
"""

from distillscan.synth.config import BENIGN_KINDS, CAMPAIGN_KINDS, NEW_MODEL, OLD_MODEL, SYNTH_SCHEMA, SynthConfig
from distillscan.synth.generate import generate_batches
from distillscan.synth.writer import KindCount, SynthSummary, ground_truth, write_synthetic

__all__ = [
    "BENIGN_KINDS",
    "CAMPAIGN_KINDS",
    "NEW_MODEL",
    "OLD_MODEL",
    "SYNTH_SCHEMA",
    "KindCount",
    "SynthConfig",
    "SynthSummary",
    "generate_batches",
    "ground_truth",
    "write_synthetic",
]
