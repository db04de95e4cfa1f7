"""When requests happen, and the draws that shape counts and gaps.

Hourly activity by local hour for a wake-up hour, hours of sleep and day type; a mild
swell for round-the-clock services; the timezones people live in; geometric and
log-normal draws from precomputed tables, so each costs one or two `rng.random()` calls.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Final

from distillscan.synth.config import HOUR
from distillscan.synth.grammar import Rng

_AWAKE_SHAPE: Final = (0.5, 0.9, 1.0, 1.0, 0.8, 0.9, 1.0, 1.0, 0.9, 0.8, 0.9, 1.1, 1.2, 1.1, 0.9, 0.7, 0.5, 0.3)
WAKE_HOURS: Final = (5, 6, 7, 8, 9, 10)
SLEEP_HOURS: Final = (6, 7, 8)


def cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Running sums, for drawing an index with `bisect` on a uniform draw times the total."""
    return tuple(sum(weights[: h + 1]) for h in range(len(weights)))


def _diurnal_table(wake: int, sleep: int, weekend: bool) -> tuple[float, ...]:
    """Cumulative weights over 24 local hours: zero while asleep, shaped while awake."""
    weights = [0.0] * 24
    start = wake + (1 if weekend else 0)
    for k in range(24 - sleep):
        shape = _AWAKE_SHAPE[min(k, len(_AWAKE_SHAPE) - 1)]
        if weekend:
            shape = 0.6 + 0.4 * shape
        weights[(start + k) % 24] = shape
    return cumulative(weights)


DIURNAL: Final = tuple(
    _diurnal_table(w, s, weekend) for weekend in (False, True) for w in WAKE_HOURS for s in SLEEP_HOURS
)
N_DIURNAL_WEEKDAY: Final = len(WAKE_HOURS) * len(SLEEP_HOURS)


def local_second(rng: Rng, cum: Sequence[float]) -> float:
    """Seconds into a day, the hour drawn from a cumulative hourly table."""
    hour = bisect.bisect_right(cum, rng.random() * cum[-1])
    return (min(hour, 23) + rng.random()) * HOUR


# Service traffic: a mild swell peaking in the customer base's working hours (UTC).
SERVICE_SWELL: Final = cumulative(
    (0.7, 0.65, 0.62, 0.6, 0.62, 0.68, 0.78, 0.9, 1.0, 1.08, 1.12, 1.15, 1.15, 1.18, 1.2, 1.22, 1.2, 1.15,
     1.08, 1.0, 0.95, 0.88, 0.8, 0.74)
)
TIMEZONES: Final = (-8, -7, -6, -5, -5, -4, -3, 0, 1, 1, 2, 3, 5.5, 7, 8, 8, 9, 10)


def geometric(rng: Rng, log_q: float) -> int:
    """Failures before the first success, with continue probability exp(log_q)."""
    if log_q >= 0.0:
        return 0
    return int(math.log(1.0 - rng.random()) / log_q)


def log_continue(mean: float) -> float:
    """log of the continue probability of a geometric variable with the given mean."""
    if mean <= 0:
        return 0.0
    return math.log(mean / (1.0 + mean))


LOGNORMAL_STEPS: Final = 1024
_NORMAL_QUANTILES: Final = tuple(NormalDist().inv_cdf((i + 0.5) / LOGNORMAL_STEPS) for i in range(LOGNORMAL_STEPS))


def spread(rng: Rng, median: float, sigma: float) -> float:
    """A log-normal draw: a normal quantile from a table, smoothed by a uniform within its step."""
    r = rng.random
    return median * math.exp(sigma * (_NORMAL_QUANTILES[int(r() * LOGNORMAL_STEPS)] + 0.004 * (r() - 0.5)))


# Output-token multipliers around a median: a log-normal (sigma 0.6), indexed by one draw.
TOKEN_SPREAD: Final = tuple(math.exp(0.6 * z) for z in _NORMAL_QUANTILES)
