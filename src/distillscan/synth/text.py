"""Prompt text for every entity: public items by kind, follow-ups, and pasted documents.

Bodies come from the corpus (real corpora, or grammar-built pools standing in for them):
chat, coding and math first messages, reading/QA items and later turns. Items are drawn
by popularity, so the same public questions are pasted by many accounts (some retyped
with a slip); some later turns are generic ("go on", "thanks") and sent by hundreds of
accounts. Without
real corpora half of the bodies are fresh grammar expansions, as varied as before. A few
prompts carry a pasted document, code or log: concatenated items whose size follows a
Pareto tail up to megabytes.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth.corpus import GRAMMAR_DRAWS, Corpus
from distillscan.synth.datafiles import load_rules, load_strings
from distillscan.synth.fillers import code_any, file_path
from distillscan.synth.grammar import Grammar, Rng, pick
from distillscan.synth.topics import CHAT, CODING, MATH, TOPIC_GENS, TOPIC_GRAMMAR, followup, framed

GENERIC_FOLLOWUPS: Final = load_strings("text", "generic_followups")
_PASTE_ASKS: Final = load_rules("text", "paste")
LOG_LINE: Final = Grammar({"l": load_strings("text", "log_lines")}, TOPIC_GRAMMAR.subset(
    "date", "small_n", "py_error", "n_batch", "fn_name") | {"file_path": file_path, "noun": lambda r: pick(
        r, ("orders", "users", "invoices", "events", "reports"))})["l"]

# Pasted documents: smallest size, Pareto tail index and cap, in characters.
_PASTE_MIN: Final = 600
_PASTE_ALPHA: Final = 0.9
_PASTE_CAP: Final = 3_000_000
# Share of chat first messages that are reading/QA items; of follow-ups, generic and pooled.
_READING_IN_CHAT: Final = 0.15
_GENERIC_FOLLOW: Final = 0.12
_POOLED_FOLLOW: Final = 0.15
_POOL_KIND: Final = {CHAT: "chat", CODING: "coding", MATH: "math"}
# The share of pasted public items and topic follow-ups a person retypes with a slip.
_SLIP_RATE: Final = 0.4


def slip(rng: Rng, text: str) -> str:
    """`text` with one typing slip: two neighbouring characters swapped, one dropped or one doubled."""
    if len(text) < 4:
        return text + text[-1:]
    i = 1 + int(rng.random() * (len(text) - 2))
    r = rng.random()
    if r < 0.4:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if r < 0.7:
        return text[:i] + text[i + 1:]
    return text[:i] + text[i] + text[i:]


class Text:
    """Prompt bodies drawn from one corpus."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.pools = corpus.pools
        # Without real corpora half of the bodies are fresh expansions, half pool items.
        self.fresh = 0.5 if corpus.origin == "grammar" else 0.0

    def popular(self, rng: Rng, kind: str) -> str:
        """A public item of `kind`, the popular ones more often (density falling as 1/sqrt(rank))."""
        pool = self.pools[kind]
        r = rng.random()
        return pool[int(r * r * len(pool))]

    def any(self, rng: Rng, kind: str) -> str:
        """An item of `kind`, each public one as likely (without real corpora, half are fresh expansions)."""
        if self.fresh and rng.random() < self.fresh:
            return GRAMMAR_DRAWS[kind](rng)
        pool = self.pools[kind]
        return pool[int(rng.random() * len(pool))]

    def body(self, rng: Rng, topic: int) -> str:
        """The body of a first message on `topic`: a public item where the corpus has the kind."""
        kind = _POOL_KIND.get(topic)
        if kind is None or rng.random() < self.fresh:
            return TOPIC_GENS[topic](rng)
        if topic == CHAT and rng.random() < _READING_IN_CHAT:
            kind = "reading"
        item = self.popular(rng, kind)
        return slip(rng, item) if rng.random() < _SLIP_RATE else item

    def later(self, rng: Rng, topic: int) -> str:
        """A later turn: generic, a public follow-up, or one on the conversation's topic."""
        r = rng.random()
        if r < _GENERIC_FOLLOW:
            return GENERIC_FOLLOWUPS[int(rng.random() * len(GENERIC_FOLLOWUPS))]
        if r < _GENERIC_FOLLOW + _POOLED_FOLLOW:
            return self.popular(rng, "followup")
        text = framed(rng, followup(rng, topic))
        return slip(rng, text) if rng.random() < _SLIP_RATE else text

    def paste(self, rng: Rng) -> str:
        """A request around a pasted document, code or log, its size from a Pareto tail."""
        size = min(_PASTE_CAP, int(_PASTE_MIN * (1.0 - rng.random()) ** (-1.0 / _PASTE_ALPHA)))
        r = rng.random()
        parts: list[str] = []
        total = 0
        if r < 0.5:
            form, ask = "document", pick(rng, _PASTE_ASKS["document"])
            while total < size:
                parts.append(self.any(rng, "reading"))
                total += len(parts[-1]) + 2
            body = "\n\n".join(parts)
        elif r < 0.8:
            form, ask = "code", pick(rng, _PASTE_ASKS["code"])
            while total < size:
                parts.append(code_any(rng) if rng.random() < 0.7 else self.any(rng, "coding"))
                total += len(parts[-1]) + 2
            body = "```\n" + "\n\n".join(parts) + "\n```"
        else:
            form, ask = "log", pick(rng, _PASTE_ASKS["log"])
            while total < size:
                parts.append(LOG_LINE(rng))
                total += len(parts[-1]) + 1
            body = "\n".join(parts)
        return f"{ask}\n\n{body}" if form != "log" or rng.random() < 0.5 else f"{body}\n\n{ask}"
