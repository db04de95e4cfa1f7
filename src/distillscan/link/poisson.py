"""The Poisson tail bound behind every item-overlap test (`coharvest`, `attach`)."""

from __future__ import annotations

import math

import polars as pl


def tail_nats(shared: pl.Expr, expected: pl.Expr) -> pl.Expr:
    """−ln of an upper bound on P(X ≥ k) for X ~ Poisson(E), k = shared, E = expected:
    P(X = k) / (1 − E/(k + 1)), which holds for k + 1 > E (each further term is at most
    E/(k + 1) times the one before); ln k! by Stirling's k·ln k − k + ½·ln(2πk), which
    never exceeds it, so the significance is never overstated. 0 unless k exceeds E."""
    log_factorial = shared * shared.log() - shared + 0.5 * (2 * math.pi * shared).log()
    point = expected - shared * expected.log() + log_factorial
    return pl.when(shared > expected).then(point + (1 - expected / (shared + 1)).log()).otherwise(0.0)
