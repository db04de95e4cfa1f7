"""JSON as RFC 8259 defines it, for the lines Python parses itself.

Python's `json` accepts `NaN`, `Infinity` and numbers too large for a float (as
infinity); a log line holding them is not valid JSON, and Polars refuses it, so the
Python paths (a bad line diagnosed, an OTLP envelope flattened) refuse it too.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def loads(document: str | bytes) -> Any:
    """The parsed JSON; ValueError (json.JSONDecodeError for a syntax error) when it is
    not valid JSON, RecursionError when it is nested too deeply to parse."""
    return json.loads(document, parse_constant=_reject_constant, parse_float=_finite_float)
