"""Benign system prompts and product frames (text from `data/products.json`).

Individuals' system prompts (none, a stock helpful one, or a personal persona), app
system prompts behind resellers, two enterprise products with one long fixed system
prompt each, and the popular open-source coding agent whose long system prompt and
request wrapper hundreds of independent users share.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth.datafiles import load_rules, load_strings, load_text
from distillscan.synth.fillers import file_path
from distillscan.synth.grammar import Gen, Grammar
from distillscan.synth.topics import CHAT, CODING, TOPIC_GRAMMAR

HELPFUL_SYSTEMS: Final = load_strings("products", "helpful_systems")
PERSONAL_SYSTEM: Final = Grammar(load_rules("products", "personal_system"), {})["s"]
APP_SYSTEM: Final = Grammar(load_rules("products", "app_system"), {})["s"]

ENTERPRISE_SYSTEMS: Final = load_strings("products", "enterprise_systems")
_ENTERPRISE_G: Final = Grammar(load_rules("products", "enterprise"),
                               TOPIC_GRAMMAR.subset("company", "date", "money", "pct", "month", "city"))
# Per product: a per-conversation header (or none) and the end-user question generator.
ENTERPRISE_PRODUCTS: Final[tuple[tuple[Gen | None, Gen], ...]] = (
    (_ENTERPRISE_G["h0"], _ENTERPRISE_G["q0"]),
    (None, _ENTERPRISE_G["q1"]),
)
ENTERPRISE_TOPIC: Final = (CHAT, CODING)
ENTERPRISE_FOLLOWUPS: Final = load_strings("products", "enterprise_followups")

TOOL_SYSTEM: Final = load_text("products", "tool_system")
TOOL_WRAP: Final = load_strings("products", "tool_wrap")
_TOOL_GRAMMAR: Final = Grammar(load_rules("products", "tool"), TOPIC_GRAMMAR.subset(
    "fn_name", "n_batch", "py_error", "module", "framework", "small_n", "code_py", "port") | {"file_path": file_path})
TOOL_TASK: Final = _TOOL_GRAMMAR["t"]
TOOL_FOLLOWUP: Final = _TOOL_GRAMMAR["f"]
