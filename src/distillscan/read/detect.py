"""Which preset reads a log: detection from its fields, resolution of a name, and what
the chosen preset maps (`distillscan schema`).

Auto-detection looks at the field paths of the first records (see `sample`): each
preset lists signatures (sets of paths that must all be present) and paths that rule
it out. The preset whose longest matching signature is longest wins; a tie is
ambiguous, and no match means the native schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from distillscan.errors import UsageError
from distillscan.read.builtin_presets import NATIVE
from distillscan.read.preset import Preset
from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN, REQUIRED_COLUMNS, signals_available


@dataclass(frozen=True)
class Detection:
    """Which preset the fields point to, and why."""

    preset: str
    reason: str
    candidates: tuple[str, ...] = ()
    matched: tuple[str, ...] = field(default_factory=tuple)
    """The paths of the winning signature."""


def _matches(preset: Preset, fields: set[str]) -> frozenset[str] | None:
    """The preset's longest signature among `fields`; None when none matches or an
    excluded path is present."""
    if preset.exclude & fields:
        return None
    best: frozenset[str] | None = None
    for signature in preset.detect:
        if signature <= fields and (best is None or len(signature) > len(best)):
            best = signature
    return best


def detect_preset(fields: Iterable[str], presets: Mapping[str, Preset]) -> Detection:
    """The preset the field paths of a sample point to; UsageError when ambiguous."""
    present = set(fields)
    native = set(CANONICAL_SCHEMA) | {MESSAGES_COLUMN}
    native_ok = {"account_id", "timestamp"} <= present and bool({"prompt", "messages"} & present)
    scored: dict[str, frozenset[str]] = {}
    for name, preset in presets.items():
        if name == NATIVE:
            continue
        signature = _matches(preset, present)
        if signature is not None and not (native_ok and signature <= native):
            scored[name] = signature
    if not scored:
        if native_ok:
            return Detection(NATIVE, "account_id, timestamp and prompt/messages present")
        return Detection(NATIVE, "no preset signature matched: native schema")
    longest = max(len(signature) for signature in scored.values())
    best = sorted(name for name, sig in scored.items() if len(sig) == longest)
    if len(best) > 1:
        raise UsageError(
            f"the log format is ambiguous (it could be any of: {', '.join(best)}); "
            "pick one with --preset"
        )
    name = best[0]
    matched = tuple(sorted(scored[name]))
    return Detection(name, f"fields {', '.join(matched)} present", tuple(sorted(scored)), matched)


def resolve(
    name: str | None, presets: Mapping[str, Preset], fields: Iterable[str] | None
) -> tuple[Preset, Detection]:
    """The named preset, or the auto-detected one (`name` None or 'auto')."""
    if name not in (None, "auto"):
        if name not in presets:
            raise UsageError(f"unknown preset {name!r} (known: {', '.join(presets)})")
        return presets[name], Detection(name, "given")
    detection = detect_preset(fields or (), presets)
    return presets[detection.preset], detection


# ---------------------------------------------------------------------------
# What a preset makes of a log (`distillscan schema`)
# ---------------------------------------------------------------------------

_DERIVED_FROM_MESSAGES: Final = ("prompt", "system", "n_turns")


@dataclass(frozen=True)
class SchemaReport:
    """What a preset finds among a log's fields (`distillscan schema`)."""

    fields: tuple[str, ...]
    """Field paths found in the first records."""
    preset: str
    detection: Detection
    mapping: dict[str, tuple[str, ...]]
    """canonical column (and `messages`) → the source paths found for it."""
    available: frozenset[str]
    signals: dict[str, bool]
    presets_by_file: dict[str, str] = field(default_factory=dict)
    """file → the preset a scan reads it with (auto-detection is per file)."""
    missing: dict[str, str] = field(default_factory=dict)
    """Required column not found → the preset's hint for it ('' when it has none)."""

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON data (`distillscan schema --format json`)."""
        return {
            "fields": list(self.fields),
            "preset": self.preset,
            "detected": self.detection.reason != "given",
            "reason": self.detection.reason,
            "mapping": {name: list(paths) for name, paths in self.mapping.items()},
            "columns_available": sorted(self.available),
            "signals": dict(self.signals),
            "presets_by_file": dict(self.presets_by_file),
            "missing_required": dict(self.missing),
        }


def describe(fields: Iterable[str], preset: Preset, detection: Detection) -> SchemaReport:
    """Which canonical columns (and so which signals) `preset` finds among `fields`."""
    found = set(fields)
    mapping: dict[str, tuple[str, ...]] = {}
    for name in [*CANONICAL_SCHEMA, MESSAGES_COLUMN]:
        paths = tuple(p for p in preset.sources(name) if p in found)
        if paths:
            mapping[name] = paths
    available = {name for name in mapping if name != MESSAGES_COLUMN}
    if MESSAGES_COLUMN in mapping:
        available.update(_DERIVED_FROM_MESSAGES)
    if "turn" in available:
        available.add("n_turns")
    missing = {name: preset.hints.get(name, "") for name in REQUIRED_COLUMNS
               if name not in available}
    return SchemaReport(tuple(fields), preset.name, detection, mapping, frozenset(available),
                        signals_available(available), missing=missing)
