"""Public prompt text by kind: read from a corpora folder, or built once from the grammar.

A corpora folder holds `*.jsonl.gz` files of `{"text", "source", "category"}` lines (the
format of shared/corpora). Each file feeds one kind by its name: gsm8k math, HumanEval and
CodeAlpaca coding, hh-rlhf follow-ups later turns, T0 templated reading/QA/classification,
everything else (AlpacaEval, arena-hard, self-instruct, hh-rlhf first turns) chat. A kind
the folder lacks, and every kind without a folder, comes from a grammar-built pool of fixed
size and seed, so the same "public" items recur across seeds as public datasets do.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from distillscan.errors import InputError
from distillscan.synth.datafiles import load_rules
from distillscan.synth.fillers import ARGS, ESSAY_SENTENCES, essay, fn_name, math_problem
from distillscan.synth.grammar import Gen, Grammar, Rng, pick
from distillscan.synth.topics import CHAT, CODING, TOPIC_GENS, TOPIC_GRAMMAR, TOPICS, followup

KINDS: Final = ("math", "coding", "chat", "followup", "reading")
# File-name prefixes and the kind each feeds; any other file feeds "chat".
_FILE_KINDS: Final = (("gsm8k", "math"), ("humaneval", "coding"), ("codealpaca", "coding"),
                      ("hh-rlhf-followups", "followup"), ("t0", "reading"))
# Sizes of the grammar-built pools, about those of the corpora.
_POOL_SIZES: Final = {"math": 8800, "coding": 6700, "chat": 3900, "followup": 3200, "reading": 6000}
_BENCH_MATH: Final = 1319
_BENCH_CODE: Final = 164


@dataclass(frozen=True)
class Corpus:
    """Items by kind in popularity order (the first are pasted most), plus canonical benchmark sets.

    `bench_math` (gsm8k's test split) and `bench_code` (HumanEval) keep the dataset's order.
    """

    pools: dict[str, tuple[str, ...]]
    bench_math: tuple[str, ...]
    bench_code: tuple[str, ...]
    origin: str


def _kind_of(name: str) -> str:
    for prefix, kind in _FILE_KINDS:
        if name.startswith(prefix):
            return kind
    return "chat"


def _read_file(path: Path) -> list[tuple[str, str | None]]:
    """(text, category) of every line of one corpus file; InputError names a bad line."""
    rows: list[tuple[str, str | None]] = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(str(path), f"not a JSON object: {error.msg}", line=number) from None
                text = row.get("text") if isinstance(row, dict) else None
                if not isinstance(text, str):
                    raise InputError(str(path), "expected an object with a string 'text'", line=number, field="text")
                if text:
                    category = row.get("category")
                    rows.append((text, category if isinstance(category, str) else None))
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(str(path), f"cannot read corpus: {error}") from None
    return rows


def _popularity_order(items: list[str], key: str) -> tuple[str, ...]:
    """Items in a fixed pseudo-random order: the order in which they are popular."""
    ordered = list(items)
    random.Random(f"popularity:{key}").shuffle(ordered)
    return tuple(ordered)


@functools.cache
def load_corpus(folder: Path | None) -> Corpus:
    """The corpus of `folder` (kinds it lacks from the grammar), or the grammar's alone."""
    built = _grammar_corpus()
    if folder is None:
        return built
    files = sorted(Path(folder).glob("*.jsonl.gz"))
    if not files:
        raise InputError(str(folder), "no *.jsonl.gz corpus files in this folder")
    by_kind: dict[str, list[str]] = {kind: [] for kind in KINDS}
    bench_math: list[str] = []
    bench_code: list[str] = []
    for path in files:
        name = path.name.removesuffix(".jsonl.gz")
        kind = _kind_of(name)
        rows = _read_file(path)
        by_kind[kind].extend(text for text, _ in rows)
        if name.startswith("gsm8k"):
            bench_math.extend(text for text, category in rows if category == "test")
        elif name.startswith("humaneval"):
            bench_code.extend(text for text, _ in rows)
    pools = {kind: _popularity_order(items, kind) if items else built.pools[kind] for kind, items in by_kind.items()}
    return Corpus(
        pools=pools,
        bench_math=tuple(bench_math) or built.bench_math,
        bench_code=tuple(bench_code) or built.bench_code,
        origin=str(folder),
    )


_TEXT_G: Final = Grammar(
    {**load_rules("text", "reading"), **load_rules("text", "reading_fillers")},
    TOPIC_GRAMMAR.subset("product", "gift_for", "small_n")
    | {"essay": essay, "sentence": lambda r: pick(r, ESSAY_SENTENCES)},
)
_READING_TEMPLATES: Final = tuple(load_rules("text", "reading"))


def _signature(rng: Rng) -> str:
    """A function signature and docstring to complete, as in HumanEval."""
    args = ", ".join(rng.sample(ARGS, 1 + int(rng.random() * 2)))
    spec = TOPIC_GRAMMAR["func_spec"](rng).capitalize()
    return f'def {fn_name(rng)}({args}):\n    """{spec}."""\n'


GRAMMAR_DRAWS: Final[dict[str, Gen]] = {
    "math": math_problem,
    "coding": TOPIC_GENS[CODING],
    "chat": TOPIC_GENS[CHAT],
    "followup": lambda rng: followup(rng, int(rng.random() * len(TOPICS))),
    "reading": lambda rng: _TEXT_G[pick(rng, _READING_TEMPLATES)](rng),
}


def _unique(rng: Rng, count: int, draw: Gen) -> tuple[str, ...]:
    """`count` distinct items from `draw(rng)` (fewer if the grammar runs dry)."""
    seen: dict[str, None] = {}
    for _ in range(count * 4):
        seen[draw(rng)] = None
        if len(seen) == count:
            break
    return tuple(seen)


@functools.cache
def _grammar_corpus() -> Corpus:
    """Grammar-built pools, seeded by their names only."""
    pools = {kind: _unique(random.Random(f"pool:{kind}"), _POOL_SIZES[kind], draw)
             for kind, draw in GRAMMAR_DRAWS.items() if kind != "reading"}
    per_template = _POOL_SIZES["reading"] // len(_READING_TEMPLATES)
    pools["reading"] = _popularity_order([text for name in _READING_TEMPLATES for text in _unique(
        random.Random(f"pool:reading:{name}"), per_template, _TEXT_G[name])], "reading")
    bench_math = tuple(math_problem(random.Random(f"bench:math:{i}")) for i in range(_BENCH_MATH))
    bench_code = tuple(_signature(random.Random(f"bench:code:{i}")) for i in range(_BENCH_CODE))
    return Corpus(pools=pools, bench_math=bench_math, bench_code=bench_code, origin="grammar")
