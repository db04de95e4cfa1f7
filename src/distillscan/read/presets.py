"""Presets: declarative mappings from real log formats onto the canonical schema.

A preset is data, not code: for each canonical column, the source field paths to
try in order (dotted paths reach into objects; a flat key holding dots, such as an
OpenTelemetry attribute `gen_ai.request.model`, is found too), the paths that may
hold a `messages` array (prompt, system and conversation depth are derived from it),
which of those may also hold a plain prompt string, which text columns may be given
as a list of text blocks, whether records come wrapped in an envelope (OTLP/JSON:
one request per GenAI span), and a hint to show when a required column is missing.
The loader reads every preset the same way; `--map` entries replace a preset's paths
for their column.

Auto-detection looks at the field paths of the first records: each preset lists
signatures (sets of paths that must all be present) and paths that rule it out. The
preset whose longest matching signature is longest wins; a tie is ambiguous, and no
match means the native schema.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from distillscan.errors import UsageError
from distillscan.schema import CANONICAL_SCHEMA, MESSAGES_COLUMN

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILE: Final = "distillscan.toml"
NATIVE: Final = "native"
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


def _preset(
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


# Proxy-added fields shared by the request-body presets.
_PROXY_TIME: Final = ("timestamp", "created_at", "created", "time")
_PROXY_IP: Final = ("ip", "client_ip", "ip_address", "metadata.ip")
_PROXY_UA: Final = ("user_agent", "metadata.user_agent")

BUILTIN: Final[dict[str, Preset]] = {
    p.name: p
    for p in [
        _preset(
            NATIVE,
            "the documented canonical schema",
            {name: name for name in CANONICAL_SCHEMA},
        ),
        _preset(
            "openai-chat",
            "Chat Completions request bodies as logged by a proxy",
            {
                "account_id": ("account_id", "user", "metadata.user_id", "api_key_id"),
                "timestamp": _PROXY_TIME,
                "model": "model",
                "request_id": ("request_id", "id"),
                "ip": _PROXY_IP,
                "user_agent": _PROXY_UA,
                "org_id": ("org_id", "organization", "metadata.org_id"),
                "temperature": "temperature",
                "max_tokens": ("max_completion_tokens", "max_tokens"),
                "input_tokens": "usage.prompt_tokens",
                "output_tokens": "usage.completion_tokens",
            },
            detect=[{"model", "messages"}],
            exclude={"system", "params", "body", "startTime", "attributes", "traceId",
                     "prompt_tokens", "custom_id"},
        ),
        _preset(
            "openai-batch",
            "Batch API input lines (custom_id, method, url, body), optionally joined "
            "with their output line (response.body)",
            {
                "account_id": ("account_id", "body.user", "body.metadata.user_id", "user"),
                "timestamp": (*_PROXY_TIME, "response.body.created"),
                "model": ("body.model", "response.body.model"),
                "request_id": ("custom_id", "response.request_id"),
                "ip": _PROXY_IP,
                "user_agent": _PROXY_UA,
                "temperature": "body.temperature",
                "max_tokens": ("body.max_completion_tokens", "body.max_tokens"),
                "input_tokens": "response.body.usage.prompt_tokens",
                "output_tokens": "response.body.usage.completion_tokens",
            },
            messages=["body.messages"],
            detect=[{"custom_id", "body"}, {"custom_id", "method", "url"},
                    {"custom_id", "response.body"}],
            exclude={"params"},
            hints={
                "timestamp": "Batch API input lines carry no time; scan them joined with "
                "their output lines, whose response.body.created is the time (see README, "
                "openai-batch)",
                "account_id": "Batch API output lines hold no user or prompt; join them "
                "with their input lines on custom_id (see README, openai-batch); input "
                "lines name the account in body.user or body.metadata.user_id",
                "prompt": "Batch API output lines hold no prompt; join them with their "
                "input lines on custom_id (see README, openai-batch)",
            },
        ),
        _preset(
            "anthropic-messages",
            "Messages API requests, and Message Batches entries (custom_id, params)",
            {
                "account_id": ("account_id", "metadata.user_id", "params.metadata.user_id",
                               "user"),
                "timestamp": _PROXY_TIME,
                "model": ("model", "params.model"),
                "request_id": ("request_id", "custom_id", "id"),
                "ip": _PROXY_IP,
                "user_agent": _PROXY_UA,
                "system": ("system", "params.system"),
                "temperature": ("temperature", "params.temperature"),
                "max_tokens": ("max_tokens", "params.max_tokens"),
                "input_tokens": ("usage.input_tokens", "result.message.usage.input_tokens"),
                "output_tokens": ("usage.output_tokens", "result.message.usage.output_tokens"),
            },
            messages=["messages", "params.messages"],
            text_blocks=["system"],
            detect=[{"model", "messages", "system"}, {"model", "messages", "metadata.user_id"},
                    {"custom_id", "params"}],
            exclude={"body", "startTime", "attributes", "traceId"},
        ),
        _preset(
            "litellm",
            "LiteLLM spend logs / standard logging payload",
            {
                "account_id": ("user", "end_user", "api_key", "team_id", "organization_id"),
                "timestamp": ("startTime", "start_time"),
                "model": ("model", "model_group"),
                "request_id": ("request_id", "id"),
                "ip": ("requester_ip_address", "metadata.requester_ip_address"),
                "user_agent": ("user_agent", "metadata.user_agent",
                               "metadata.headers.user-agent"),
                "org_id": ("organization_id", "team_id"),
                "input_tokens": "prompt_tokens",
                "output_tokens": "completion_tokens",
                "temperature": ("model_parameters.temperature", "temperature"),
                "max_tokens": ("model_parameters.max_tokens", "max_tokens"),
            },
            messages=["messages", "proxy_server_request.messages"],
            detect=[{"startTime", "model", "prompt_tokens"}, {"startTime", "spend"},
                    {"startTime", "api_key", "messages"}],
            exclude={"traceId", "attributes"},
        ),
        _preset(
            "langfuse",
            "Langfuse generation observations export",
            {
                "account_id": ("userId", "user_id", "metadata.user_id"),
                "timestamp": ("startTime", "start_time"),
                "model": "model",
                "request_id": "id",
                "conversation_id": ("sessionId", "traceId"),
                "temperature": "modelParameters.temperature",
                "max_tokens": "modelParameters.max_tokens",
                "input_tokens": ("usage.input", "usage.promptTokens", "promptTokens"),
                "output_tokens": ("usage.output", "usage.completionTokens", "completionTokens"),
                "response": ("output.content", "output"),
            },
            messages=["input", "input.messages"],
            text_blocks=["response"],
            detect=[{"traceId", "startTime", "input"}, {"startTime", "userId", "input", "output"}],
            exclude={"attributes", "spend"},
            loose_messages=["input"],
        ),
        _preset(
            "otel-genai",
            "OpenTelemetry GenAI spans: OTLP/JSON envelopes (Collector file exporter, "
            "OTLP/HTTP JSON; one row per GenAI span) or one span per line (attributes "
            "nested or flat dotted keys)",
            {
                "account_id": ("attributes.user.id", "attributes.enduser.id",
                               "attributes.langfuse.user.id",
                               "attributes.traceloop.association.properties.user_id",
                               "user.id", "enduser.id"),
                "timestamp": ("start_time", "startTime", "timestamp"),
                "model": ("attributes.gen_ai.request.model", "gen_ai.request.model",
                          "attributes.gen_ai.response.model"),
                "request_id": ("context.span_id", "span_id", "spanId"),
                "conversation_id": ("attributes.gen_ai.conversation.id",
                                    "gen_ai.conversation.id", "attributes.session.id"),
                "ip": ("attributes.client.address", "client.address"),
                "user_agent": ("attributes.user_agent.original", "user_agent.original"),
                "input_tokens": ("attributes.gen_ai.usage.input_tokens",
                                 "gen_ai.usage.input_tokens",
                                 "attributes.gen_ai.usage.prompt_tokens"),
                "output_tokens": ("attributes.gen_ai.usage.output_tokens",
                                  "gen_ai.usage.output_tokens",
                                  "attributes.gen_ai.usage.completion_tokens"),
                "temperature": ("attributes.gen_ai.request.temperature",
                                "gen_ai.request.temperature"),
                "max_tokens": ("attributes.gen_ai.request.max_tokens",
                               "gen_ai.request.max_tokens"),
            },
            # `messages`: what an OTLP envelope's span holds, already normalised.
            messages=["messages", "attributes.gen_ai.prompt", "attributes.gen_ai.input.messages",
                      "gen_ai.prompt", "gen_ai.input.messages"],
            detect=[{"attributes.gen_ai.request.model"}, {"gen_ai.request.model"},
                    {"attributes.gen_ai.system"}, {"gen_ai.system"}, {"resourceSpans"}],
            envelope="otlp",
            hints={
                "account_id": "GenAI spans name the account in the user.id or enduser.id "
                "attribute (span or resource); map another one with "
                "--map account_id=attributes.NAME",
            },
        ),
        _preset(
            "gateway-jsonl",
            "flat gateway access log (request_id, account_id, ip_address, system_prompt, ...)",
            {
                "account_id": "account_id",
                "timestamp": "timestamp",
                "prompt": "prompt",
                "system": "system_prompt",
                "model": "model",
                "request_id": "request_id",
                "ip": ("ip_address", "client_ip"),
                "user_agent": "user_agent",
                "payment_fingerprint": "payment_method_hash",
                "input_tokens": "token_count",
                "max_tokens": "max_tokens",
            },
            detect=[{"account_id", "prompt", "system_prompt"},
                    {"account_id", "prompt", "payment_method_hash"},
                    {"account_id", "prompt", "asn_number"},
                    {"account_id", "prompt", "token_count"}],
        ),
    ]
}


def builtin_presets() -> dict[str, Preset]:
    return dict(BUILTIN)


# ---------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """Which preset the fields point to, and why."""

    preset: str
    reason: str
    candidates: tuple[str, ...] = ()
    matched: tuple[str, ...] = field(default_factory=tuple)
    """The paths of the winning signature."""


def _matches(preset: Preset, fields: set[str]) -> frozenset[str] | None:
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
# Config file
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    presets: dict[str, Preset]
    """Built-in presets plus the config file's."""
    default: str | None = None
    """`preset = NAME` at the top of the file."""
    path: str | None = None


def load_config(path: str | Path | None) -> Config:
    """Presets from `path`, else from ./distillscan.toml when it exists."""
    if path is None:
        if not Path(CONFIG_FILE).is_file():
            return Config(builtin_presets())
        path = CONFIG_FILE
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read config {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config {path}: not valid TOML: {error}") from None
    return Config(parse_presets(data, str(path)), _opt_str(data.get("preset"), str(path), "preset"),
                  str(path))


def _opt_str(value: Any, where: str, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UsageError(f"config {where}: '{key}' must be a string")


def _paths(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(f"config {where}: expected a path or a list of paths")


def parse_presets(data: Mapping[str, Any], where: str = "config") -> dict[str, Preset]:
    """Built-ins plus the `[presets.NAME]` tables of a parsed config."""
    presets = builtin_presets()
    tables = data.get("presets", {})
    if not isinstance(tables, dict):
        raise UsageError(f"config {where}: [presets] must be a table")
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise UsageError(f"config {where}: presets.{name} must be a table")
        known = {"extends", "description", "columns", "messages", "text_blocks", "detect",
                 "exclude", "loose_messages", "envelope", "hints"}
        unknown = set(table) - known
        if unknown:
            raise UsageError(f"config {where}: presets.{name}: unknown keys {sorted(unknown)}")
        base_name = table.get("extends")
        if base_name is not None and base_name not in presets:
            raise UsageError(f"config {where}: presets.{name} extends unknown {base_name!r}")
        base = presets.get(base_name) if base_name else None
        columns_table = table.get("columns", {})
        if not isinstance(columns_table, dict):
            raise UsageError(f"config {where}: presets.{name}.columns must be a table")
        columns: dict[str, list[str]] = (
            {k: list(v) for k, v in base.columns.items()} if base else {}
        )
        for column, value in columns_table.items():
            columns[column] = _paths(value, f"{where}: presets.{name}.columns.{column}")
        messages = (
            _paths(table["messages"], f"{where}: presets.{name}.messages")
            if "messages" in table
            else list(base.messages if base else (MESSAGES_COLUMN,))
        )
        detect_value = table.get("detect")
        if detect_value is None:
            detect = []  # inherited signatures would tie with the base preset's
        elif isinstance(detect_value, list) and all(isinstance(s, list) for s in detect_value):
            detect = [set(_paths(s, f"{where}: presets.{name}.detect")) for s in detect_value]
        else:
            raise UsageError(f"config {where}: presets.{name}.detect must be a list of lists")
        hints = table.get("hints", dict(base.hints) if base else {})
        if not isinstance(hints, dict) or not all(isinstance(v, str) for v in hints.values()):
            raise UsageError(f"config {where}: presets.{name}.hints must map columns to text")
        presets[name] = _preset(
            name,
            str(table.get("description", f"custom preset from {where}")),
            columns,
            messages,
            table.get("text_blocks", sorted(base.text_blocks) if base else []),
            detect,
            table.get("exclude", sorted(base.exclude) if base else []),
            (_paths(table["loose_messages"], f"{where}: presets.{name}.loose_messages")
             if "loose_messages" in table
             else sorted(base.loose_messages & set(messages)) if base else []),
            _opt_str(table.get("envelope", base.envelope if base else None), where,
                     f"presets.{name}.envelope"),
            hints,
        )
    return presets


__all__ = [
    "BUILTIN",
    "CONFIG_FILE",
    "NATIVE",
    "Config",
    "Detection",
    "Preset",
    "SchemaReport",
    "builtin_presets",
    "describe",
    "detect_preset",
    "load_config",
    "parse_presets",
    "resolve",
]


# ---------------------------------------------------------------------------
# What a preset makes of a log (`distillscan schema`)
# ---------------------------------------------------------------------------

_DERIVED_FROM_MESSAGES: Final = ("prompt", "system", "n_turns")


@dataclass(frozen=True)
class SchemaReport:
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


def _path_found(path: str, fields: set[str]) -> bool:
    return path in fields


def describe(fields: Iterable[str], preset: Preset, detection: Detection) -> SchemaReport:
    """Which canonical columns (and so which signals) `preset` finds among `fields`."""
    from distillscan.schema import REQUIRED_COLUMNS, signals_available

    found = set(fields)
    mapping: dict[str, tuple[str, ...]] = {}
    for name in [*CANONICAL_SCHEMA, MESSAGES_COLUMN]:
        paths = tuple(p for p in preset.sources(name) if _path_found(p, found))
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
