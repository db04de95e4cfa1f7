"""OpenTelemetry OTLP/JSON envelopes, read as one flat record per GenAI request span.

The OpenTelemetry Collector's `file` exporter and OTLP/HTTP JSON write one export
request per line: `{"resourceSpans": [{"resource": {"attributes": [...]}, "scopeSpans":
[{"scope": {...}, "spans": [...]}]}]}`, where attributes are lists of `{"key", "value":
{"stringValue" | "intValue" | "doubleValue" | "boolValue" | "arrayValue" |
"kvlistValue" | "bytesValue": ...}}` and times are nanosecond strings.

`flatten` turns an envelope into one record per span that makes a model call (it
has `gen_ai.request.model` or `gen_ai.operation.name`; tool and agent spans are not
requests), in the shape of the OpenTelemetry SDK's own span JSON, which the
`otel-genai` preset reads: `name`, `context.{trace_id, span_id}`, `start_time` (RFC
3339, UTC, to the microsecond), `attributes` (plain values; the resource's attributes apply to every span
below them, the span's own win; message attributes are not repeated there),
`resource.attributes`, `scope`, and `messages`: the request's messages as `{role,
content: [{type, text}]}`, taken from the first of

1. `gen_ai.system_instructions` and `gen_ai.input.messages` (current semantic
   conventions: JSON `[{role, parts: [{type, content, ...}]}]`),
2. `gen_ai.prompt.N.role` / `gen_ai.prompt.N.content` (OpenLLMetry),
3. span events `gen_ai.{system,user,assistant,tool}.message` with a `content`
   attribute, or `gen_ai.content.prompt` with a `gen_ai.prompt` attribute.

Image parts become `image` parts and tool results `tool_result` parts, so the loader
counts them instead of mixing them into the text.

`expand_lines` does this for a batch of JSONL lines and keeps, of each record (and of
each plain JSON object line, so a file may mix envelopes and flat spans), only the
fields the loader asks for, as top-level keys named by their dotted paths: Polars then
reads them as plain columns instead of matching every path against every line.
Envelopes are parsed by Python's C JSON parser one line at a time: their typed,
recursive attribute lists have no fixed schema Polars could read them with.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from distillscan.read import strict_json

ENVELOPE_KEY: Final = "resourceSpans"
_SCOPE_KEYS: Final = ("scopeSpans", "instrumentationLibrarySpans")
_REQUEST_MARKERS: Final = ("gen_ai.request.model", "gen_ai.operation.name")
_NOT_REQUESTS: Final = frozenset({"execute_tool", "invoke_agent", "create_agent"})
_EVENT_ROLES: Final = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_PROMPT_EVENT: Final = "gen_ai.content.prompt"
_INDEXED_PROMPT: Final = re.compile(r"gen_ai\.prompt\.(\d+)\.(role|content)")
_MESSAGE_KEYS: Final = frozenset({"gen_ai.input.messages", "gen_ai.system_instructions",
                                  "gen_ai.output.messages"})
_INDEXED_MESSAGE: Final = re.compile(r"gen_ai\.(prompt|completion)\.\d+\..+")
_MEDIA_PARTS: Final = frozenset({"blob", "file", "uri"})
_NON_FINITE: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class EnvelopeError(ValueError):
    """A malformed envelope: `field` is the path to the bad value inside the line."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Expanded:
    """A batch of lines with every envelope replaced by its span records."""

    data: bytes
    """Newline-terminated JSON lines: the selected fields of each record, and lines
    that are not JSON objects, untouched."""
    line_numbers: list[int]
    """The input line of each output line."""
    errors: list[tuple[int, str, str]]
    """(line, field, reason) for each malformed envelope; its line yields no records."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", str: "a string", int: "a number", float: "a number",
             list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EnvelopeError(where, f"expected an object, got {_kind(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    """A list; a missing (null) one is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise EnvelopeError(where, f"expected a list, got {_kind(value)}")
    return value


def _integer(value: Any, where: str) -> int:
    """An OTLP int64: a JSON number or (as written by OTLP/JSON) a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value):
        return int(value)
    raise EnvelopeError(where, f"expected an integer (a string of digits), got {value!r:.60}")


def any_value(value: Any, where: str) -> Any:
    """An OTLP `AnyValue` as a plain value (non-finite doubles carry no value: None)."""
    value = _object(value, where)
    if "stringValue" in value:
        text = value["stringValue"]
        if not isinstance(text, str):
            raise EnvelopeError(where + ".stringValue", f"expected a string, got {_kind(text)}")
        return text
    if "intValue" in value:
        return _integer(value["intValue"], where + ".intValue")
    if "doubleValue" in value:
        number = value["doubleValue"]
        number = _NON_FINITE.get(number, number) if isinstance(number, str) else number
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise EnvelopeError(where + ".doubleValue", f"expected a number, got {number!r:.60}")
        return float(number) if math.isfinite(number) else None
    if "boolValue" in value:
        flag = value["boolValue"]
        if not isinstance(flag, bool):
            raise EnvelopeError(where + ".boolValue", f"expected a boolean, got {_kind(flag)}")
        return flag
    if "arrayValue" in value:
        inner = f"{where}.arrayValue.values"
        items = _list(_object(value["arrayValue"], where + ".arrayValue").get("values"), inner)
        return [any_value(item, f"{inner}[{i}]") for i, item in enumerate(items)]
    if "kvlistValue" in value:
        inner = f"{where}.kvlistValue.values"
        return key_values(_object(value["kvlistValue"], where + ".kvlistValue").get("values"),
                          inner)
    if "bytesValue" in value:
        data = value["bytesValue"]
        if not isinstance(data, str):
            raise EnvelopeError(where + ".bytesValue", f"expected base64 text, got {_kind(data)}")
        return data
    return None  # an empty AnyValue


def key_values(items: Any, where: str) -> dict[str, Any]:
    """A list of OTLP `KeyValue`s as a dict (a repeated key: the last one wins)."""
    out: dict[str, Any] = {}
    for index, item in enumerate(_list(items, where)):
        if type(item) is dict and type(key := item.get("key")) is str:
            value = item.get("value")
            if type(value) is dict and type(text := value.get("stringValue")) is str:
                out[key] = text  # the common case, without the general checks below
                continue
        entry = _object(item, f"{where}[{index}]")
        key = entry.get("key")
        if not isinstance(key, str):
            raise EnvelopeError(f"{where}[{index}].key", f"expected a string, got {_kind(key)}")
        value = entry.get("value")
        out[key] = None if value is None else any_value(value, f"{where}[{index}].value")
    return out


def nanos_to_time(value: Any, where: str) -> str | None:
    """Nanoseconds since the epoch as RFC 3339 UTC (microseconds); 0 or null: unset."""
    if value is None:
        return None
    nanos = _integer(value, where)
    if nanos == 0:
        return None
    seconds, rest = divmod(nanos, 1_000_000_000)
    try:
        t = time.gmtime(seconds)
    except (OverflowError, OSError, ValueError):
        raise EnvelopeError(where, f"time out of range: {value!r:.40}") from None
    if not 1 <= t.tm_year <= 9999:
        raise EnvelopeError(where, f"time out of range: {value!r:.40}")
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
            f"{t.tm_sec:02d}.{rest // 1000:06d}Z")


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------


def _json(value: Any, where: str) -> Any:
    """An attribute that holds JSON text (or, as a complex attribute, the value itself)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise EnvelopeError(where, f"not valid JSON: {value!r:.60}") from None


def _part(part: Any, role: str | None) -> dict[str, Any]:
    """One semantic-conventions part as {type, text}; media and tool results keep no text."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        return {"type": None, "text": None}
    kind = part.get("type")
    if kind == "text":
        text = part.get("content", part.get("text"))
        return {"type": "text", "text": text if isinstance(text, str) else None}
    if kind == "tool_call_response":
        # A tool-role message is counted as a tool result already.
        return {"type": "tool_call_response" if role == "tool" else "tool_result", "text": None}
    if kind in _MEDIA_PARTS and (
        part.get("modality") == "image" or str(part.get("mime_type") or "").startswith("image/")
    ):
        return {"type": "image", "text": None}
    if isinstance(kind, str) and isinstance(part.get("text"), str):
        return {"type": kind, "text": part["text"]}  # an OpenAI-style content part
    return {"type": None if kind is None else str(kind), "text": None}


def _content(value: Any, role: str | None) -> list[dict[str, Any]] | None:
    """Message content given as text, as JSON text of a parts list, or as a parts list."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, list) and all(isinstance(p, dict) for p in parsed):
                return [_part(p, role) for p in parsed]
        return [{"type": "text", "text": value}]
    if isinstance(value, list):
        return [_part(p, role) for p in value]
    return [_part(value, role)]


def _message(value: Any, where: str) -> dict[str, Any]:
    """A semantic-conventions `{role, parts}` message, or an OpenAI-style `{role, content}`."""
    message = _object(value, where)
    role = message.get("role")
    role = None if role is None else str(role)
    if "parts" in message:
        return {"role": role, "content": [_part(p, role) for p in _list(message["parts"],
                                                                         where + ".parts")]}
    return {"role": role, "content": _content(message.get("content"), role)}


def _semconv_messages(attrs: Mapping[str, Any], where: str) -> list[dict[str, Any]] | None:
    system = attrs.get("gen_ai.system_instructions")
    inputs = attrs.get("gen_ai.input.messages")
    if system is None and inputs is None:
        return None
    messages: list[dict[str, Any]] = []
    if system is not None:
        if isinstance(system, str) and not system.lstrip().startswith("["):
            messages.append({"role": "system", "content": [{"type": "text", "text": system}]})
        else:
            field = f"{where}.gen_ai.system_instructions"
            parts = _list(_json(system, field), field)
            messages.append({"role": "system", "content": [_part(p, "system") for p in parts]})
    if inputs is not None:
        field = f"{where}.gen_ai.input.messages"
        items = _json(inputs, field)
        if not isinstance(items, list):
            raise EnvelopeError(field, f"expected a list of messages, got {_kind(items)}")
        messages.extend(_message(m, f"{field}[{i}]") for i, m in enumerate(items))
    return messages


def _indexed_messages(attrs: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        match = _INDEXED_PROMPT.fullmatch(key)
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = value
    if not found:
        return None
    messages = []
    for _, fields in sorted(found.items()):
        role = fields.get("role")
        role = None if role is None else str(role)
        messages.append({"role": role, "content": _content(fields.get("content"), role)})
    return messages


def _event_messages(events: list[Any], where: str) -> list[dict[str, Any]] | None:
    messages: list[dict[str, Any]] = []
    for index, item in enumerate(events):
        event = _object(item, f"{where}[{index}]")
        name = event.get("name")
        if name not in _EVENT_ROLES and name != _PROMPT_EVENT:
            continue
        attrs = key_values(event.get("attributes"), f"{where}[{index}].attributes")
        if name == _PROMPT_EVENT:
            field = f"{where}[{index}].attributes.gen_ai.prompt"
            prompt = _json(attrs.get("gen_ai.prompt"), field)
            if prompt is not None:
                messages.extend(_message(m, f"{field}[{i}]")
                                for i, m in enumerate(_list(prompt, field)))
            continue
        role = attrs.get("role")
        role = _EVENT_ROLES[name] if role is None else str(role)
        messages.append({"role": role, "content": _content(attrs.get("content"), role)})
    return messages or None


def request_messages(
    attrs: Mapping[str, Any], events: list[Any], where: str
) -> list[dict[str, Any]] | None:
    """The span's request messages, from the first form it carries (see module doc)."""
    found = _semconv_messages(attrs, where + ".attributes")
    if found is None:
        found = _indexed_messages(attrs)
    if found is None:
        found = _event_messages(events, where + ".events")
    return found


# ---------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------


def _is_message_key(key: str) -> bool:
    """Message attributes: read into `messages` (or unused output), not kept in the record."""
    return key in _MESSAGE_KEYS or _INDEXED_MESSAGE.fullmatch(key) is not None


def _is_request(attrs: Mapping[str, Any]) -> bool:
    if attrs.get("gen_ai.operation.name") in _NOT_REQUESTS:
        return False
    return any(attrs.get(key) is not None for key in _REQUEST_MARKERS)


def _span_record(
    span: Any, where: str, resource: dict[str, Any], scope: dict[str, Any]
) -> dict[str, Any] | None:
    span = _object(span, where)
    attrs = key_values(span.get("attributes"), where + ".attributes")
    if not _is_request(attrs):
        return None
    messages = request_messages(attrs, _list(span.get("events"), where + ".events"), where)
    record: dict[str, Any] = {
        "name": span.get("name"),
        "context": {"trace_id": span.get("traceId"), "span_id": span.get("spanId")},
        "parent_id": span.get("parentSpanId") or None,
        "start_time": nanos_to_time(span.get("startTimeUnixNano"), where + ".startTimeUnixNano"),
        "attributes": {**resource, **{k: v for k, v in attrs.items() if not _is_message_key(k)}},
        "resource": {"attributes": resource},
        "scope": {"name": scope.get("name"), "version": scope.get("version")},
    }
    if messages is not None:
        record["messages"] = messages
    return record


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and ENVELOPE_KEY in value


def flatten(envelope: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat records of an envelope's GenAI request spans; EnvelopeError if malformed."""
    records: list[dict[str, Any]] = []
    for i, item in enumerate(_list(envelope.get(ENVELOPE_KEY), ENVELOPE_KEY)):
        where = f"{ENVELOPE_KEY}[{i}]"
        resource_spans = _object(item, where)
        resource = _object(resource_spans.get("resource") or {}, where + ".resource")
        resource_attrs = key_values(resource.get("attributes"), where + ".resource.attributes")
        key = next((k for k in _SCOPE_KEYS if k in resource_spans), _SCOPE_KEYS[0])
        for j, entry in enumerate(_list(resource_spans.get(key), f"{where}.{key}")):
            scope_where = f"{where}.{key}[{j}]"
            scope_spans = _object(entry, scope_where)
            scope = scope_spans.get("scope", scope_spans.get("instrumentationLibrary")) or {}
            scope = _object(scope, scope_where + ".scope")
            for k, span in enumerate(_list(scope_spans.get("spans"), scope_where + ".spans")):
                record = _span_record(span, f"{scope_where}.spans[{k}]", resource_attrs, scope)
                if record is not None:
                    records.append(record)
    return records


_Prefixes = tuple[tuple[tuple[str, int], ...], ...]


def _prefixes(path: str) -> _Prefixes:
    """For each part of a dotted path, the keys that may start there (longest first)
    with the part after each: a flat key holding dots may sit at any level."""
    parts = path.split(".")
    return tuple(
        tuple((".".join(parts[start:end]), end) for end in range(len(parts), start, -1))
        for start in range(len(parts))
    )


def _lookup(value: Any, prefixes: _Prefixes, start: int = 0) -> Any:
    """The first non-null value a dotted path names, trying longer keys first (the
    order in which the JSONL reader resolves dotted paths), else None."""
    if not isinstance(value, dict):
        return None
    for key, end in prefixes[start]:
        if key in value:
            found = value[key] if end == len(prefixes) else _lookup(value[key], prefixes, end)
            if found is not None:
                return found
    return None


def _dump(record: dict[str, Any]) -> bytes:
    try:
        return json.dumps(record, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate (from a `\ud8xx` escape): keep it escaped
        return json.dumps(record).encode()


def expand_lines(data: bytes, first_line: int, fields: Sequence[str]) -> Expanded:
    """Each line of a batch as the selected `fields` (dotted paths) of its records.

    An envelope line gives one record
    per GenAI request span; any other JSON object line is one record. A line that is
    not a JSON object passes through untouched, for the JSONL reader to report; a
    malformed envelope yields an error instead of records.
    """
    paths = [(name, _prefixes(name)) for name in dict.fromkeys(fields)]
    out: list[bytes] = []
    numbers: list[int] = []
    errors: list[tuple[int, str, str]] = []
    for index, raw in enumerate(data.split(b"\n")):
        if not raw.strip():
            continue
        number = first_line + index
        try:
            document = strict_json.loads(raw)
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            out.append(raw)
            numbers.append(number)
            continue
        records = [document]
        if is_envelope(document):
            try:
                records = flatten(document)
            except EnvelopeError as error:
                errors.append((number, error.field, error.reason))
                continue
            except RecursionError:
                errors.append((number, ENVELOPE_KEY, "nested too deeply"))
                continue
        for record in records:
            selected = {}
            for name, prefixes in paths:
                value = _lookup(record, prefixes)
                if value is not None:
                    selected[name] = value
            out.append(_dump(selected))
            numbers.append(number)
    return Expanded(b"\n".join(out) + b"\n" if out else b"", numbers, errors)


__all__ = [
    "ENVELOPE_KEY",
    "EnvelopeError",
    "Expanded",
    "any_value",
    "expand_lines",
    "flatten",
    "is_envelope",
    "key_values",
    "nanos_to_time",
    "request_messages",
]
