"""A small grammar for generated text.

Rules are tuples of alternatives; `{name}` in an alternative expands another rule or a
filler function. Rules are compiled once into closures, so an expansion is a few list
picks. Every pick is one `rng.random()` draw, in the order the text is written.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

Rng = random.Random
Gen = Callable[[Rng], str]
T = TypeVar("T")

_SLOT = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def pick(rng: Rng, seq: Sequence[T]) -> T:
    """One element of `seq`, from one draw."""
    return seq[int(rng.random() * len(seq))]


def _literal_chooser(alts: tuple[str, ...]) -> Gen:
    n = len(alts)

    def gen(rng: Rng) -> str:
        return alts[int(rng.random() * n)]

    return gen


def _chooser(alts: list[str | Gen]) -> Gen:
    def gen(rng: Rng) -> str:
        alt = alts[int(rng.random() * len(alts))]
        return alt if isinstance(alt, str) else alt(rng)

    return gen


def _concat(parts: Sequence[str | Gen]) -> Gen:
    """One function concatenating literals and generated parts, e.g. `lambda r: p0 + p1(r) + p2`.

    Built with `eval` from generated names only: a flat expression is about twice as fast
    as joining a list in a loop, and expansion is the generator's hot path.
    """
    names = {f"p{i}": part for i, part in enumerate(parts)}
    expr = " + ".join(f"p{i}" if isinstance(part, str) else f"p{i}(r)" for i, part in enumerate(parts))
    return eval(f"lambda r: {expr}", names)  # type: ignore[no-any-return]


class Grammar:
    """Rules of alternatives with `{slot}` references, compiled to generator functions."""

    def __init__(self, rules: Mapping[str, Sequence[str]], fillers: Mapping[str, Gen]) -> None:
        self._gens: dict[str, Gen] = dict(fillers)
        compiled: dict[str, list[str | Gen]] = {}
        for name, alts in rules.items():
            if any(_SLOT.search(alt) for alt in alts):
                compiled[name] = []
                self._gens[name] = _chooser(compiled[name])
            else:
                self._gens[name] = _literal_chooser(tuple(alts))
        for name, target in compiled.items():
            for alt in rules[name]:
                parts = _SLOT.split(alt)
                seq = [self._gens[part] if i % 2 else part for i, part in enumerate(parts) if i % 2 or part]
                target.append(alt if len(parts) == 1 else _concat(seq))

    def __getitem__(self, name: str) -> Gen:
        return self._gens[name]

    def subset(self, *names: str) -> dict[str, Gen]:
        """Some of this grammar's generators, to serve as another grammar's fillers."""
        return {name: self._gens[name] for name in names}
