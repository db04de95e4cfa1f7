"""The score of a group taken apart: each component with what it feeds and its weight."""

from __future__ import annotations

import math
from typing import Any

from distillscan.model.evidence import Measurable
from distillscan.model.views import ScoreComponent
from distillscan.score.components import (
    ACCOUNTS_FOR_FULL_SCALE,
    COMPONENT_FAMILIES,
    CONVERSATION_DISCOUNT,
    CONVERSATION_FREE_SHARE,
    CONVERSATION_SPAN,
    COT_SATURATION,
    EVIDENCE_PRIOR_REQUESTS,
    RELAY_SATURATION,
    RELAY_WEIGHT,
    STREAM_SHARE_SATURATION,
    SUPPORT_WEIGHT,
    SUSTAINED_HOURS,
    behaviour_weights,
)


def score_components(group: dict[str, Any], measurable: Measurable) -> list[ScoreComponent]:
    """Each component of the group's score with what it feeds and its weight as scoring
    used it (`score.components`): unknown components have no value, and their weight
    went to the known ones."""
    known_support = [name for name in ("c_capability", "c_single_turn", "c_fixed_params")
                     if measurable.knows(COMPONENT_FAMILIES.get(name, ""))]
    support = SUPPORT_WEIGHT / len(known_support)
    weights = behaviour_weights(measurable)
    behaviour = "behaviour"
    parts: list[tuple[str, str, float | None, str]] = [
        ("content", "score", None,
         f"content = max(harvest × (1 − {SUPPORT_WEIGHT} + {SUPPORT_WEIGHT} × support) × (1 − "
         f"{CONVERSATION_DISCOUNT} × conversation), cot_stream × (1 − {CONVERSATION_DISCOUNT} × "
         f"stream_conversation)) × n / (n + {EVIDENCE_PRIOR_REQUESTS}); score = √(content × behaviour)"),
        ("behaviour", "score", None, "noisy-OR of the behaviour parts: 1 − Π(1 − weight × part)"),
        ("templated", "content (harvest)", None,
         "share of first-turn requests on repeated templates; harvest = 1 − (1 − templated)(1 − cot)"),
        ("cot", "content (harvest)", None,
         f"share of requests asking for step-by-step reasoning, / {COT_SATURATION}"),
        ("capability", "content (support)", support, "share on high-value capabilities above 50%"),
        ("single_turn", "content (support)", support if "c_single_turn" in known_support else None,
         "share of single-turn requests above 60%"),
        ("fixed_params", "content (support)", support if "c_fixed_params" in known_support else None,
         "share sent with one temperature/max_tokens set"),
        ("cot_stream", "content", None,
         f"used instead of harvest when larger: templated reasoning asks, full at "
         f"{STREAM_SHARE_SATURATION:.0%} of requests"),
        ("conversation", "content (harvest)", None,
         f"later turns without tool results past {CONVERSATION_FREE_SHARE:.0%} of requests, full at "
         f"{CONVERSATION_FREE_SHARE + CONVERSATION_SPAN:.0%}"),
        ("stream_conversation", "content (cot_stream)", None,
         "the same, inside the reasoning-eliciting templates and on their system prompts"),
        ("automation", behaviour, weights.get("automation"),
         "flat hour-of-day profile per member (traffic in its quietest 6 hours)"),
        ("coordination", behaviour, weights.get("coordination"),
         "scale × max(shared_infra, creation_burst, load_balance, bespoke, coharvest)"),
        ("pivot", behaviour, weights.get("pivot"),
         "extra share moved to the newest model within 24 h of its release, × scale"),
        ("shared_stream", behaviour, weights.get("shared_stream"),
         f"several accounts sending one reasoning-eliciting template, × hours with traffic / {SUSTAINED_HOURS}"),
        ("relay", behaviour, RELAY_WEIGHT,
         f"distinct prompt frames only a flagged group's accounts send: (frames − 1) / {RELAY_SATURATION - 1}"),
        ("fresh_accounts", behaviour, weights.get("fresh_accounts"),
         "share of accounts first used within 30 days of their creation"),
        ("shared_infra", "coordination", None, "accounts per payment method or subnet (log scale)"),
        ("creation_burst", "coordination", None, "share of accounts created within 48 hours"),
        ("load_balance", "coordination", None, "volume spread evenly over accounts: 1 − cv / 1.5"),
        ("bespoke", "coordination", None, "share of accounts each wording one system prompt their own way"),
        ("coharvest", "coordination", None, "share of accounts sending the same task items far beyond chance"),
        ("scale", "coordination, pivot", None, f"log10(accounts) / log10({ACCOUNTS_FOR_FULL_SCALE})"),
    ]
    components = []
    for name, feeds, weight, meaning in parts:
        column = name if name in {"content", "behaviour"} else f"c_{name}"
        value = group.get(column)
        if not measurable.knows(COMPONENT_FAMILIES.get(column, "")):
            number: float | None = None
        else:
            number = float(value) if isinstance(value, (int, float)) and not math.isnan(value) else 0.0
        components.append(ScoreComponent(name=name, value=number, feeds=feeds, weight=weight, meaning=meaning))
    return components
