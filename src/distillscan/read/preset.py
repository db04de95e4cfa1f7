"""A preset: a declarative mapping from one real log format onto the canonical schema.

A preset is data, not code: for each canonical column, the source field paths to
try in order (dotted paths reach into objects; a flat key holding dots, such as an
OpenTelemetry attribute `gen_ai.request.model`, is found too), the paths that may
hold a `messages` array (prompt, system and conversation depth are derived from it),
which of those may also hold a plain prompt string, which text columns may be given
as a list of text blocks, whether records come wrapped in an envelope (OTLP/JSON:
one request per GenAI span), and a hint to show when a required column is missing.
The readers read every preset the same way; `--map` entries replace a preset's paths
for their column. The built-in presets are in `builtin_presets`, a config file's in
`preset_config`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from distillscan.errors import UsageError
from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN

ENVELOPES: Final = (None, "otlp")


@dataclass(frozen=True)
class Preset:
    """canonical column → source paths (first non-null wins), plus messages."""

    name: str
    description: str
    columns: Mapping[str, tuple[str, ...]]
    messages: tuple[str, ...] = (MESSAGES_COLUMN,)
    text_blocks: frozenset[str] = frozenset()
    """Text columns whose value may be a list of {type, text} blocks (joined)."""
    detect: tuple[frozenset[str], ...] = ()
    """Signatures: the preset matches when every path of one is present."""
    exclude: frozenset[str] = frozenset()
    """Paths whose presence rules the preset out."""
    loose_messages: frozenset[str] = frozenset()
    """Messages paths whose value may also be a plain prompt string (one user turn) or
    an object holding `messages` (as Langfuse records `input`)."""
    envelope: str | None = None
    """`otlp`: lines may be OTLP/JSON envelopes, read as one record per GenAI span."""
    hints: Mapping[str, str] = field(default_factory=dict)
    """Required column → what to do when a log in this format lacks it."""

    def sources(self, name: str) -> tuple[str, ...]:
        """The source paths of canonical column `name`, or of `messages`."""
        if name == MESSAGES_COLUMN:
            return self.messages
        return self.columns.get(name, ())

    def with_overrides(self, column_map: Mapping[str, str]) -> Preset:
        """This preset with explicit `--map` entries replacing its paths."""
        if not column_map:
            return self
        columns = dict(self.columns)
        messages = self.messages
        for name, source in column_map.items():
            if name == MESSAGES_COLUMN:
                messages = (source,)
            else:
                columns[name] = (source,)
        return replace(self, columns=columns, messages=messages)


def make_preset(
    name: str,
    description: str,
    columns: Mapping[str, str | Iterable[str]],
    messages: Iterable[str] = (MESSAGES_COLUMN,),
    text_blocks: Iterable[str] = (),
    detect: Iterable[Iterable[str]] = (),
    exclude: Iterable[str] = (),
    loose_messages: Iterable[str] = (),
    envelope: str | None = None,
    hints: Mapping[str, str] | None = None,
) -> Preset:
    """A preset from loosely typed data (a path or a list of paths per column), checked;
    UsageError naming the preset for a column, envelope or path that is not valid."""
    for column in [*columns, *text_blocks, *(hints or {})]:
        if column not in CANONICAL_SCHEMA:
            raise UsageError(f"preset {name!r}: unknown canonical column {column!r}")
    if envelope not in ENVELOPES:
        raise UsageError(f"preset {name!r}: unknown envelope {envelope!r} (known: otlp)")
    messages = tuple(messages)
    if not set(loose_messages) <= set(messages):
        raise UsageError(f"preset {name!r}: loose_messages must be listed in messages")
    normalised = {
        column: (paths,) if isinstance(paths, str) else tuple(paths)
        for column, paths in columns.items()
    }
    for column, paths in normalised.items():
        if not paths or not all(isinstance(p, str) and p.strip() for p in paths):
            raise UsageError(f"preset {name!r}: column {column!r} needs source paths")
    return Preset(
        name,
        description,
        normalised,
        messages,
        frozenset(text_blocks),
        tuple(frozenset(signature) for signature in detect),
        frozenset(exclude),
        frozenset(loose_messages),
        envelope,
        dict(hints or {}),
    )
