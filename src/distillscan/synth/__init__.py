"""Labelled synthetic request logs, with ground truth, for measuring detection quality.

The generator writes native-schema request rows for a population of benign entities and
distillation campaigns, each campaign with an `entity_id` in the ground truth. Campaigns:
hydra networks of thousands of small accounts behind rotating residential proxies, a
paraphrasing campaign of hundreds of accounts each with its own wording, a low-and-slow
operator of aged human-looking accounts sharing task items, a reward-model (rubric) group,
and a reseller that mixes campaign traffic into its customers'. Benign look-alikes:
evaluation harnesses, enterprise backends, a popular agent's users, campus NATs,
resellers, single-turn pipelines, cron schedulers, team onboardings, canary routers,
tutoring apps, dataset users and customers of the hydra's proxy providers. Nothing in
account ids, user agents, IP ranges, model names or column presence tells campaign rows
from benign ones by itself.

Task text comes from public corpora (`SynthConfig.text_from`) or a built-in grammar.
Generation is streamed day by day in bounded memory and is deterministic for a seed:
every random draw comes from a `random.Random` seeded with a string derived from
`SynthConfig.seed`, and every draw happens in a fixed order. Campaigns draw from streams
of their own, so `SynthConfig.campaign_scale` can hold them fixed while benign traffic grows.
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
