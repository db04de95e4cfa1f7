"""OTLP/JSON envelopes: values, times, messages, span selection, errors and streaming.

The envelopes here are written by hand in the shape the OpenTelemetry Collector's
`file` exporter writes (one export request per line; int64 values as strings).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from distillscan.errors import InputError
from distillscan.read import BUILTIN, discover_sources, iter_shards, load_frame
from distillscan.read.otlp import EnvelopeError, any_value, nanos_to_time

OTEL = BUILTIN["otel-genai"]
T0 = "1776675600000000000"  # 2026-04-20T09:00:00Z


def kv(key: str, **value: Any) -> dict[str, Any]:
    return {"key": key, "value": value}


def span(span_id: str, attrs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id,
            "name": "chat gpt-4o", "kind": 3, "startTimeUnixNano": T0,
            "endTimeUnixNano": "1776675601000000000", "attributes": attrs, **extra}


def envelope(spans: list[dict[str, Any]], resource: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": resource or [kv("service.name", stringValue="api")]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai_v2"},
                        "spans": spans}]}]})


def chat(span_id: str, user: str | None, prompt: str, *more: dict[str, Any]) -> dict[str, Any]:
    attrs = [kv("gen_ai.operation.name", stringValue="chat"),
             kv("gen_ai.request.model", stringValue="gpt-4o"),
             kv("gen_ai.input.messages", stringValue=json.dumps(
                 [{"role": "user", "parts": [{"type": "text", "content": prompt}]}])),
             *more]
    if user is not None:
        attrs.append(kv("user.id", stringValue=user))
    return span(span_id, attrs)


def write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_any_value_reads_every_type() -> None:
    assert any_value({"intValue": "9007199254740993"}, "v") == 9007199254740993
    assert any_value({"intValue": 7}, "v") == 7
    assert any_value({"doubleValue": 0.5}, "v") == 0.5
    assert any_value({"doubleValue": "NaN"}, "v") is None
    assert any_value({"boolValue": False}, "v") is False
    assert any_value({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}]}},
                     "v") == ["a", 2]
    assert any_value({"kvlistValue": {"values": [kv("k", boolValue=True)]}}, "v") == {"k": True}
    assert any_value({"bytesValue": "AAE="}, "v") == "AAE="
    assert any_value({}, "v") is None
    with pytest.raises(EnvelopeError) as caught:
        any_value({"arrayValue": {"values": [{"intValue": "1.5"}]}}, "attributes[3].value")
    assert caught.value.field == "attributes[3].value.arrayValue.values[0].intValue"


def test_nanosecond_times_become_utc_microseconds() -> None:
    assert nanos_to_time("1776675600123456789", "t") == "2026-04-20T09:00:00.123456Z"
    assert nanos_to_time("0", "t") is None and nanos_to_time(None, "t") is None
    with pytest.raises(EnvelopeError, match="expected an integer"):
        nanos_to_time("2026-04-20", "t")


def test_resource_attributes_apply_to_spans_and_span_attributes_win(tmp_path: Path) -> None:
    resource = [kv("service.name", stringValue="app"), kv("user.id", stringValue="team-key"),
                kv("client.address", stringValue="192.0.2.1")]
    path = write(tmp_path / "a.jsonl", [envelope(
        [chat("01", None, "first"), chat("02", "u-7", "second")], resource)])
    frame, report = load_frame([path], preset=OTEL)
    assert frame["account_id"].to_list() == ["team-key", "u-7"]
    assert frame["ip"].to_list() == ["192.0.2.1", "192.0.2.1"]
    assert frame["prompt"].to_list() == ["first", "second"]
    assert frame["request_id"].to_list() == ["01", "02"]
    assert frame["timestamp"][0].isoformat() == "2026-04-20T09:00:00+00:00"
    assert report.rows_in == 2


def test_only_model_call_spans_are_requests(tmp_path: Path) -> None:
    http = span("0a", [kv("http.request.method", stringValue="POST")])
    tool = span("0b", [kv("gen_ai.operation.name", stringValue="execute_tool"),
                       kv("gen_ai.tool.name", stringValue="search")])
    agent = span("0c", [kv("gen_ai.operation.name", stringValue="invoke_agent"),
                        kv("gen_ai.request.model", stringValue="gpt-4o")])
    legacy = span("0d", [kv("gen_ai.request.model", stringValue="gpt-4o"),
                         kv("gen_ai.prompt.0.role", stringValue="user"),
                         kv("gen_ai.prompt.0.content", stringValue="legacy"),
                         kv("user.id", stringValue="u")])
    path = write(tmp_path / "a.jsonl", [
        envelope([http]),  # no GenAI span at all: no rows, not an error
        envelope([http, tool, agent, chat("01", "u", "kept"), legacy]),
    ])
    frame, report = load_frame([path], preset=OTEL)
    assert frame["prompt"].to_list() == ["kept", "legacy"]
    assert report.rows_in == 2 and report.rows_skipped == 0


def test_every_prompt_form_and_what_is_not_text(tmp_path: Path) -> None:
    semconv = chat("01", "u", "unused", kv("gen_ai.system_instructions", stringValue=json.dumps(
        [{"type": "text", "content": "Be terse."}])))
    semconv["attributes"][2] = kv("gen_ai.input.messages", stringValue=json.dumps([
        {"role": "user", "parts": [{"type": "text", "content": "look"},
                                   {"type": "uri", "modality": "image", "uri": "https://x/y.png"},
                                   {"type": "blob", "mime_type": "image/png", "content": "AA=="}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f"}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]},
        {"role": "user", "parts": [{"type": "text", "content": "and now?"},
                                   {"type": "tool_call_response", "id": "c2", "response": "1"}]},
    ]))
    # OpenLLMetry: indexed attributes, ordered by number (10 after 9, not after 1).
    indexed = [kv("gen_ai.request.model", stringValue="gpt-4o"), kv("user.id", stringValue="u")]
    for n in range(11):
        role = "system" if n == 0 else ("user" if n % 2 else "assistant")
        indexed += [kv(f"gen_ai.prompt.{n}.role", stringValue=role),
                    kv(f"gen_ai.prompt.{n}.content", stringValue=f"turn {n}")]
    events = span("03", [kv("gen_ai.request.model", stringValue="gpt-4o"),
                         kv("user.id", stringValue="u")], events=[
        {"timeUnixNano": T0, "name": "gen_ai.system.message",
         "attributes": [kv("content", stringValue="You are a bot.")]},
        {"timeUnixNano": T0, "name": "gen_ai.user.message",
         "attributes": [kv("content", stringValue="hi from an event")]},
        {"timeUnixNano": T0, "name": "gen_ai.choice", "attributes": [kv("index", intValue="0")]},
    ])
    path = write(tmp_path / "a.jsonl", [envelope([semconv, span("02", indexed), events])])
    frame, _ = load_frame([path], preset=OTEL)
    rows = frame.select("prompt", "system", "n_turns", "n_images", "n_tool_results").rows()
    assert rows[0] == ("and now?", "Be terse.", 2, 2, 2)
    assert rows[1] == ("turn 9", "turn 0", 5, 0, 0)
    assert rows[2] == ("hi from an event", "You are a bot.", 1, 0, 0)


def test_malformed_envelope_names_line_and_field(tmp_path: Path) -> None:
    bad = json.loads(envelope([chat("01", "u", "x", kv("gen_ai.usage.input_tokens",
                                                       intValue="twelve"))]))
    lines = [envelope([chat("01", "u", "fine")]), json.dumps(bad),
             envelope([chat("02", "u", "also fine")])]
    path = write(tmp_path / "a.jsonl", lines)
    with pytest.raises(InputError) as caught:
        load_frame([path], preset=OTEL)
    assert caught.value.describe() == (
        f"{path}:2: field 'resourceSpans[0].scopeSpans[0].spans[0].attributes[3].value"
        ".intValue': malformed OTLP envelope: expected an integer (a string of digits), "
        "got 'twelve'")
    frame, report = load_frame([path], preset=OTEL, skip_errors=True)
    assert frame["prompt"].to_list() == ["fine", "also fine"]
    assert report.rows_in == 3 and report.rows_skipped == 1
    assert report.skipped[0].line == 2

    shapes = ['{"resourceSpans": {}}', '{"resourceSpans": [{"scopeSpans": [{"spans": [7]}]}]}']
    for text, field in zip(shapes, ["resourceSpans", "resourceSpans[0].scopeSpans[0].spans[0]"],
                           strict=True):
        with pytest.raises(InputError) as caught:
            load_frame([write(tmp_path / "b.jsonl", [text])], preset=OTEL)
        assert caught.value.field == field and caught.value.line == 1


def test_span_without_a_user_is_a_row_error_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", [envelope([chat("01", "u", "a"), chat("02", None, "b")])])
    with pytest.raises(InputError, match=r"user\.id or enduser\.id") as caught:
        load_frame([path], preset=OTEL)
    assert caught.value.line == 1 and caught.value.field == "account_id"


def test_envelopes_stream_in_small_batches_with_flat_spans_mixed_in(tmp_path: Path) -> None:
    flat = json.dumps({"name": "chat", "context": {"span_id": "ff"}, "start_time": "2026-04-20T10:00:00Z",
                       "attributes": {"gen_ai.request.model": "m", "user.id": "flat",
                                      "gen_ai.prompt": json.dumps([{"role": "user", "content": "flat one"}])}})
    lines = [envelope([chat(f"{i:02x}{j}", f"u{i % 3}", f"prompt {i}.{j}") for j in range(3)])
             for i in range(24)]
    lines.insert(12, flat)
    path = write(tmp_path / "a.jsonl", lines)
    whole, _ = load_frame([path], preset=OTEL)
    shards = list(iter_shards(discover_sources([path]), preset=OTEL, batch_bytes=4096))
    assert len(shards) > 5
    streamed = pl.concat([shard.frame.collect() for shard in shards])
    assert streamed.equals(whole) and whole.height == 73
    assert "flat one" in whole["prompt"].to_list()
    bad = [*lines[:18], '{"resourceSpans": [{"resource": {"attributes": [{"key": 1}]}}]}']
    with pytest.raises(InputError) as caught:
        list(iter_shards(discover_sources([write(tmp_path / "b.jsonl", bad)]), preset=OTEL,
                         batch_bytes=4096))
    assert caught.value.line == 19
    assert caught.value.field == "resourceSpans[0].resource.attributes[0].key"


def test_text_survives_escapes_through_the_envelope(tmp_path: Path) -> None:
    prompt = 'C:\\temp\\new\tfile "quoted" \u00e9 \U0001F600 \\u0041'
    path = write(tmp_path / "a.jsonl", [envelope([chat("01", "u", prompt)])])
    frame, _ = load_frame([path], preset=OTEL)
    assert frame["prompt"].to_list() == [prompt]
