"""One small traffic sample written in every supported log format, for the preset tests.

`REQUESTS` is one small, hand-written traffic sample (a templated campaign sharing a
system prompt, parameters and infrastructure, plus benign users). `RENDER` writes it
in each preset's format, record by record, and `_otlp_text` as OpenTelemetry OTLP/JSON
envelopes; the files under tests/read/fixtures/presets/ are that output (regenerate with
`python -m tests.read.preset_logs`), and a test checks they match.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan

FIXTURES = Path(__file__).parent / "fixtures" / "presets"


START = datetime(2026, 4, 20, 9, 0, tzinfo=timezone.utc)


CAMPAIGN_SYSTEM = "You are a meticulous tutor. Reply in JSON with keys reasoning and answer."


TOPICS = ["tide pools", "gear ratios", "prime gaps", "bread yeast", "river deltas",
          "chess endgames", "solar sails", "bee dances"]


BENIGN = {
    "alice": ["what should I cook tonight with leeks", "fix my regex for dates please",
              "summarise this meeting note about budgets", "ideas for a birthday card"],
    "bruno": ["translate 'good morning' to Portuguese", "why is my sourdough flat",
              "plan a three day hike near lakes"],
    "chen": ["explain big-O of quicksort", "write a haiku on rain",
             "compare two laptops for coding"],
    "dara": ["draft a polite reminder email", "how do vaccines train immunity"],
}


def _requests() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for a in range(6):
        for k in range(5):
            topic = TOPICS[(a + k) % len(TOPICS)]
            rows.append({
                "account": f"acct-c{a}",
                "ts": START + timedelta(hours=a, minutes=7 * k),
                "system": CAMPAIGN_SYSTEM,
                "history": [],
                "prompt": f"Solve step by step and show every step: question {a * 5 + k} about {topic}.",
                "model": "model-new",
                "ip": f"203.0.113.{10 + a}",
                "ua": "python-httpx/0.27",
                "temperature": 0.0,
                "max_tokens": 4096,
                "in_tok": 120 + k,
                "out_tok": 1800 + a,
            })
    for n, (user, prompts) in enumerate(BENIGN.items()):
        for k, prompt in enumerate(prompts):
            rows.append({
                "account": user,
                "ts": START + timedelta(days=k % 2, hours=3 * n + k),
                "system": "You are a helpful assistant." if k % 2 else None,
                "history": ["hello there", "hi, how can I help?"] if (n + k) % 3 == 0 else [],
                "prompt": prompt,
                "model": "model-old" if k % 2 else "model-new",
                "ip": f"198.51.{n}.{20 + k}",
                "ua": f"Mozilla/5.0 app/{n}.{k}",
                "temperature": 0.7 + 0.1 * k,
                "max_tokens": 512 * (k + 1),
                "in_tok": 30 + 7 * k,
                "out_tok": 200 + 13 * k,
            })
    for i, row in enumerate(rows):
        row["rid"] = f"req-{i:03d}"
    return rows


REQUESTS = _requests()


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def chat_messages(r: dict[str, Any], parts: bool = False, system: bool = True) -> list[Any]:
    messages: list[dict[str, Any]] = []
    if system and r["system"]:
        messages.append({"role": "system", "content": r["system"]})
    for i, text in enumerate(r["history"]):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    content: Any = r["prompt"]
    if parts:  # text part plus an image: the image is not text
        content = [{"type": "text", "text": r["prompt"]},
                   {"type": "image_url", "image_url": {"url": "https://example.invalid/x.png"}}]
    messages.append({"role": "user", "content": content})
    return messages


def native_record(r: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"account_id": r["account"], "timestamp": iso(r["ts"])}
    if "n_turns" in columns:
        out["messages"] = chat_messages(r, system="system" in columns)
    else:
        out["prompt"] = r["prompt"]
        if "system" in columns and r["system"]:
            out["system"] = r["system"]
    values = {"model": r["model"], "request_id": r["rid"], "ip": r["ip"], "user_agent": r["ua"],
              "temperature": r["temperature"], "max_tokens": r["max_tokens"],
              "input_tokens": r["in_tok"], "output_tokens": r["out_tok"],
              "conversation_id": f"trace-{r['rid']}", "response": "ok"}
    out.update({k: v for k, v in values.items() if k in columns})
    return out


def _openai_chat(r: dict[str, Any]) -> dict[str, Any]:
    return {"created": int(r["ts"].timestamp()), "user": r["account"], "model": r["model"],
            "messages": chat_messages(r, parts=r["account"] == "chen"),
            "temperature": r["temperature"], "max_completion_tokens": r["max_tokens"],
            "client_ip": r["ip"], "user_agent": r["ua"]}


def _openai_batch(r: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": r["rid"], "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": r["model"], "messages": chat_messages(r), "user": r["account"],
                     "temperature": r["temperature"], "max_tokens": r["max_tokens"]},
            "response": {"status_code": 200, "body": {
                "created": int(r["ts"].timestamp()), "model": r["model"],
                "usage": {"prompt_tokens": r["in_tok"], "completion_tokens": r["out_tok"]}}}}


def _anthropic(r: dict[str, Any]) -> dict[str, Any]:
    messages = list(chat_messages(r, system=False))
    messages[-1] = {"role": "user", "content": [{"type": "text", "text": r["prompt"]}]}
    body: dict[str, Any] = {"model": r["model"], "messages": messages,
                            "metadata": {"user_id": r["account"]},
                            "max_tokens": r["max_tokens"], "temperature": r["temperature"]}
    if r["system"]:  # string for some, a list of text blocks for others
        body["system"] = ([{"type": "text", "text": r["system"]}] if r["account"] in
                          ("acct-c1", "acct-c3", "bruno") else r["system"])
    if r["account"] in ("acct-c4", "dara"):  # a Message Batches entry
        return {"custom_id": r["rid"], "params": body, "timestamp": iso(r["ts"])}
    return {"timestamp": iso(r["ts"]), "request_id": r["rid"], **body,
            "usage": {"input_tokens": r["in_tok"], "output_tokens": r["out_tok"]}}


def _litellm(r: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": r["rid"], "call_type": "acompletion", "api_key": "hashed-key",
            "spend": 0.001, "startTime": r["ts"].strftime("%Y-%m-%d %H:%M:%S.%f"),
            "model": r["model"], "user": r["account"], "messages": chat_messages(r),
            "prompt_tokens": r["in_tok"], "completion_tokens": r["out_tok"],
            "requester_ip_address": r["ip"], "metadata": {"user_agent": r["ua"]},
            "model_parameters": {"temperature": r["temperature"], "max_tokens": r["max_tokens"]}}


def _langfuse(r: dict[str, Any]) -> dict[str, Any]:
    # `input` as Langfuse's integrations record it: the messages; a completion's plain
    # prompt string; or, when tools are passed, an object holding the messages.
    given: Any = chat_messages(r)
    if not r["system"] and not r["history"]:
        given = r["prompt"]
    elif r["account"] in ("acct-c2", "bruno"):
        given = {"messages": given, "tools": [{"type": "function",
                                               "function": {"name": "lookup"}}]}
    output: Any = {"role": "assistant", "content": "ok"} if r["system"] else "ok"
    return {"id": r["rid"], "traceId": f"trace-{r['rid']}", "type": "GENERATION",
            "startTime": r["ts"].isoformat(), "userId": r["account"], "model": r["model"],
            "input": given, "output": output,
            "modelParameters": {"temperature": r["temperature"], "max_tokens": r["max_tokens"]},
            "usage": {"input": r["in_tok"], "output": r["out_tok"], "unit": "TOKENS"}}


def _otel(r: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"chat {r['model']}", "context": {"span_id": r["rid"]},
            "start_time": iso(r["ts"]),
            "attributes": {"gen_ai.system": "openai", "gen_ai.request.model": r["model"],
                           "gen_ai.prompt": json.dumps(chat_messages(r)),
                           "gen_ai.usage.input_tokens": r["in_tok"],
                           "gen_ai.usage.output_tokens": r["out_tok"],
                           "gen_ai.request.temperature": r["temperature"],
                           "gen_ai.request.max_tokens": r["max_tokens"],
                           "user.id": r["account"], "client.address": r["ip"],
                           "user_agent.original": r["ua"]}}


def _gateway(r: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": r["rid"], "account_id": r["account"], "timestamp": iso(r["ts"]),
            "client_ip": r["ip"], "user_agent": r["ua"], "model": r["model"],
            "prompt": r["prompt"], "system_prompt": r["system"], "token_count": r["in_tok"],
            "max_tokens": r["max_tokens"], "payment_method_hash": None,
            "country_code": "NL", "asn_number": 64500, "asn_org": "Example Net"}


def _kv(key: str, value: Any) -> dict[str, Any]:
    """An OTLP/JSON KeyValue (int64 as a string, as the protobuf JSON mapping writes it)."""
    if isinstance(value, bool):
        typed: dict[str, Any] = {"boolValue": value}
    elif isinstance(value, int):
        typed = {"intValue": str(value)}
    elif isinstance(value, float):
        typed = {"doubleValue": value}
    else:
        typed = {"stringValue": value}
    return {"key": key, "value": typed}


def _nanos(ts: datetime, extra: int = 0) -> str:
    return str(int(ts.timestamp()) * 1_000_000_000 + extra)


OTLP_FORM = {"acct-c0": "a", "acct-c1": "a", "acct-c2": "a", "acct-c3": "b", "acct-c4": "b",
             "acct-c5": "c", "alice": "a", "bruno": "b", "chen": "c", "dara": "a"}


def _otlp_span(r: dict[str, Any], index: int) -> dict[str, Any]:
    form = OTLP_FORM[r["account"]]
    attrs = [_kv("gen_ai.request.model", r["model"]),
             _kv("gen_ai.request.temperature", r["temperature"]),
             _kv("gen_ai.request.max_tokens", r["max_tokens"]),
             _kv("client.address", r["ip"]), _kv("user_agent.original", r["ua"]),
             _kv("server.address", "api.example.invalid")]
    if r["account"] in BENIGN:  # the resource names the app; the span, its user
        attrs.append(_kv("user.id", r["account"]))
    history = [("user" if i % 2 == 0 else "assistant", text) for i, text in enumerate(r["history"])]
    events: list[dict[str, Any]] = []
    if form == "a":
        attrs += [_kv("gen_ai.operation.name", "chat"), _kv("gen_ai.provider.name", "openai"),
                  _kv("gen_ai.usage.input_tokens", r["in_tok"]),
                  _kv("gen_ai.usage.output_tokens", r["out_tok"])]
        if r["system"]:
            attrs.append(_kv("gen_ai.system_instructions",
                             json.dumps([{"type": "text", "content": r["system"]}])))
        parts: list[dict[str, Any]] = [{"type": "text", "content": r["prompt"]}]
        if r["account"] == "alice":  # an image is counted, never read as text
            parts.append({"type": "blob", "modality": "image", "mime_type": "image/png",
                          "content": "iVBORw0KGgo="})
        messages = [{"role": role, "parts": [{"type": "text", "content": text}]}
                    for role, text in history]
        messages.append({"role": "user", "parts": parts})
        attrs.append(_kv("gen_ai.input.messages", json.dumps(messages)))
        attrs.append(_kv("gen_ai.output.messages", json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "ok"}],
              "finish_reason": "stop"}])))
    elif form == "b":
        attrs += [_kv("gen_ai.system", "openai"), _kv("llm.request.type", "chat"),
                  _kv("gen_ai.usage.prompt_tokens", r["in_tok"]),
                  _kv("gen_ai.usage.completion_tokens", r["out_tok"])]
        turns = ([("system", r["system"])] if r["system"] else []) + history
        turns.append(("user", r["prompt"]))
        for n, (role, text) in enumerate(turns):
            attrs += [_kv(f"gen_ai.prompt.{n}.role", role), _kv(f"gen_ai.prompt.{n}.content", text)]
        attrs += [_kv("gen_ai.completion.0.role", "assistant"),
                  _kv("gen_ai.completion.0.content", "ok")]
    else:
        attrs += [_kv("gen_ai.operation.name", "chat"), _kv("gen_ai.system", "openai"),
                  _kv("gen_ai.usage.input_tokens", r["in_tok"]),
                  _kv("gen_ai.usage.output_tokens", r["out_tok"])]
        turns = ([("system", r["system"])] if r["system"] else []) + history
        turns.append(("user", r["prompt"]))
        events = [{"timeUnixNano": _nanos(r["ts"], 500), "name": f"gen_ai.{role}.message",
                   "attributes": [_kv("gen_ai.system", "openai"), _kv("content", text)]}
                  for role, text in turns]
        events.append({"timeUnixNano": _nanos(r["ts"], 900), "name": "gen_ai.choice",
                       "attributes": [_kv("index", 0), _kv("finish_reason", "stop")]})
    span: dict[str, Any] = {
        "traceId": f"{index + 1:032x}", "spanId": f"{index + 1:016x}",
        "parentSpanId": f"{index + 1:015x}f", "name": f"chat {r['model']}", "kind": 3,
        "startTimeUnixNano": _nanos(r["ts"], 321), "endTimeUnixNano": _nanos(r["ts"] + timedelta(seconds=2)),
        "attributes": attrs, "status": {}}
    if events:
        span["events"] = events
    return span


def _otlp_text(requests: list[dict[str, Any]]) -> str:
    """OTLP/JSON as the Collector's file exporter writes it: one export per line, spans
    under their resource (which carries `user.id` for the campaign's own service) and
    instrumentation scope, next to an HTTP server span and a tool span that are not
    model calls; one export holds no GenAI span at all."""
    lines = [{"resourceSpans": [{"resource": {"attributes": [
        _kv("service.name", "healthcheck")]}, "scopeSpans": [{"scope": {
            "name": "opentelemetry.instrumentation.fastapi"}, "spans": [{
                "traceId": "f" * 32, "spanId": "e" * 16, "name": "GET /healthz", "kind": 2,
                "startTimeUnixNano": _nanos(START), "endTimeUnixNano": _nanos(START, 5000),
                "attributes": [_kv("http.request.method", "GET")]}]}]}]}]
    for start in range(0, len(requests), 6):
        chunk = list(enumerate(requests))[start:start + 6]
        resources: dict[str, list[dict[str, Any]]] = {}
        for index, r in chunk:
            owner = "consumer-app" if r["account"] in BENIGN else r["account"]
            resources.setdefault(owner, []).append(_otlp_span(r, index))
        resource_spans = []
        for owner, spans in resources.items():
            resource = [_kv("service.name", "consumer-app" if owner == "consumer-app" else "tutor-bot"),
                        _kv("telemetry.sdk.language", "python")]
            resource.append(_kv("user.id", "svc-consumer-app" if owner == "consumer-app" else owner))
            tool = {"traceId": spans[0]["traceId"], "spanId": "d" * 16, "name": "execute_tool lookup",
                    "kind": 1, "startTimeUnixNano": spans[0]["startTimeUnixNano"],
                    "endTimeUnixNano": spans[0]["endTimeUnixNano"],
                    "attributes": [_kv("gen_ai.operation.name", "execute_tool"),
                                   _kv("gen_ai.tool.name", "lookup")]}
            http = {"traceId": spans[0]["traceId"], "spanId": "c" * 16, "name": "POST /v1/chat",
                    "kind": 2, "startTimeUnixNano": spans[0]["startTimeUnixNano"],
                    "endTimeUnixNano": spans[0]["endTimeUnixNano"],
                    "attributes": [_kv("http.request.method", "POST"),
                                   _kv("http.response.status_code", 200)]}
            resource_spans.append({"resource": {"attributes": resource}, "scopeSpans": [
                {"scope": {"name": "opentelemetry.instrumentation.openai_v2", "version": "2.1b0"},
                 "spans": [*spans, tool]},
                {"scope": {"name": "opentelemetry.instrumentation.fastapi", "version": "0.52b0"},
                 "spans": [http]}], "schemaUrl": "https://opentelemetry.io/schemas/1.30.0"})
        lines.append({"resourceSpans": resource_spans})
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


RENDER: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "openai-chat": _openai_chat,
    "openai-batch": _openai_batch,
    "anthropic-messages": _anthropic,
    "litellm": _litellm,
    "langfuse": _langfuse,
    "otel-genai": _otel,
    "gateway-jsonl": _gateway,
}


WHOLE_FILE: dict[str, Callable[[list[dict[str, Any]]], str]] = {"otel-genai-otlp": _otlp_text}


FIXTURE_PRESET: dict[str, str] = {**{name: name for name in RENDER}, "otel-genai-otlp": "otel-genai"}
"""Fixture name → the preset that reads it."""


def fixture_text(name: str) -> str:
    """REQUESTS written as the fixture `name` holds them."""
    if name in WHOLE_FILE:
        return WHOLE_FILE[name](REQUESTS)
    return "".join(json.dumps(RENDER[name](r)) + "\n" for r in REQUESTS)


def write_fixtures() -> None:
    """Write every fixture under FIXTURES."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in FIXTURE_PRESET:
        (FIXTURES / f"{name}.jsonl").write_text(fixture_text(name), encoding="utf-8")


def scan_groups(path: Path, **options: Any) -> tuple[list[Any], list[Any]]:
    """The groups (id, score, severity) and memberships a scan of `path` finds."""
    result = scan([str(path)], ScanOptions(**options))
    groups = result.report.groups.select("group_id", "score", "severity").sort("group_id")
    members = result.linkage.membership.select("account_id", "group_id").sort("account_id")
    return groups.rows(), members.rows()


if __name__ == "__main__":
    write_fixtures()
