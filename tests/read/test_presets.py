"""Presets: every supported log format scans to the same groups as the native log.

`REQUESTS` is one small, hand-written traffic sample (a templated campaign sharing a
system prompt, parameters and infrastructure, plus benign users). `RENDER` writes it
in each preset's format, record by record, and `_otlp_text` as OpenTelemetry OTLP/JSON
envelopes; the files under tests/fixtures/presets/ are that output (regenerate with
`python tests/test_presets.py`), and a test checks they match.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from distillscan.cli.cli import main
from distillscan.errors import InputError, UsageError
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.read import BUILTIN, detect_preset, load_frame, parse_presets

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


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _chat_messages(r: dict[str, Any], parts: bool = False, system: bool = True) -> list[Any]:
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


def _native(r: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"account_id": r["account"], "timestamp": _iso(r["ts"])}
    if "n_turns" in columns:
        out["messages"] = _chat_messages(r, system="system" in columns)
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
            "messages": _chat_messages(r, parts=r["account"] == "chen"),
            "temperature": r["temperature"], "max_completion_tokens": r["max_tokens"],
            "client_ip": r["ip"], "user_agent": r["ua"]}


def _openai_batch(r: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": r["rid"], "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": r["model"], "messages": _chat_messages(r), "user": r["account"],
                     "temperature": r["temperature"], "max_tokens": r["max_tokens"]},
            "response": {"status_code": 200, "body": {
                "created": int(r["ts"].timestamp()), "model": r["model"],
                "usage": {"prompt_tokens": r["in_tok"], "completion_tokens": r["out_tok"]}}}}


def _anthropic(r: dict[str, Any]) -> dict[str, Any]:
    messages = list(_chat_messages(r, system=False))
    messages[-1] = {"role": "user", "content": [{"type": "text", "text": r["prompt"]}]}
    body: dict[str, Any] = {"model": r["model"], "messages": messages,
                            "metadata": {"user_id": r["account"]},
                            "max_tokens": r["max_tokens"], "temperature": r["temperature"]}
    if r["system"]:  # string for some, a list of text blocks for others
        body["system"] = ([{"type": "text", "text": r["system"]}] if r["account"] in
                          ("acct-c1", "acct-c3", "bruno") else r["system"])
    if r["account"] in ("acct-c4", "dara"):  # a Message Batches entry
        return {"custom_id": r["rid"], "params": body, "timestamp": _iso(r["ts"])}
    return {"timestamp": _iso(r["ts"]), "request_id": r["rid"], **body,
            "usage": {"input_tokens": r["in_tok"], "output_tokens": r["out_tok"]}}


def _litellm(r: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": r["rid"], "call_type": "acompletion", "api_key": "hashed-key",
            "spend": 0.001, "startTime": r["ts"].strftime("%Y-%m-%d %H:%M:%S.%f"),
            "model": r["model"], "user": r["account"], "messages": _chat_messages(r),
            "prompt_tokens": r["in_tok"], "completion_tokens": r["out_tok"],
            "requester_ip_address": r["ip"], "metadata": {"user_agent": r["ua"]},
            "model_parameters": {"temperature": r["temperature"], "max_tokens": r["max_tokens"]}}


def _langfuse(r: dict[str, Any]) -> dict[str, Any]:
    # `input` as Langfuse's integrations record it: the messages; a completion's plain
    # prompt string; or, when tools are passed, an object holding the messages.
    given: Any = _chat_messages(r)
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
            "start_time": _iso(r["ts"]),
            "attributes": {"gen_ai.system": "openai", "gen_ai.request.model": r["model"],
                           "gen_ai.prompt": json.dumps(_chat_messages(r)),
                           "gen_ai.usage.input_tokens": r["in_tok"],
                           "gen_ai.usage.output_tokens": r["out_tok"],
                           "gen_ai.request.temperature": r["temperature"],
                           "gen_ai.request.max_tokens": r["max_tokens"],
                           "user.id": r["account"], "client.address": r["ip"],
                           "user_agent.original": r["ua"]}}


def _gateway(r: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": r["rid"], "account_id": r["account"], "timestamp": _iso(r["ts"]),
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


# How each account's instrumentation records the prompt: current semantic conventions
# (a), OpenLLMetry's indexed attributes (b), or span events (c).
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


def _text(name: str) -> str:
    if name in WHOLE_FILE:
        return WHOLE_FILE[name](REQUESTS)
    return "".join(json.dumps(RENDER[name](r)) + "\n" for r in REQUESTS)


def write_fixtures() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in FIXTURE_PRESET:
        (FIXTURES / f"{name}.jsonl").write_text(_text(name), encoding="utf-8")


def _groups(path: Path, **options: Any) -> tuple[list[Any], list[Any]]:
    result = scan([str(path)], ScanOptions(**options))
    groups = result.report.groups.select("group_id", "score", "severity").sort("group_id")
    members = result.linkage.membership.select("account_id", "group_id").sort("account_id")
    return groups.rows(), members.rows()


@pytest.mark.parametrize("name", list(FIXTURE_PRESET))
def test_fixture_is_the_rendering(name: str) -> None:
    assert (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8") == _text(name)


@pytest.mark.parametrize("name", list(FIXTURE_PRESET))
def test_preset_scans_like_native(name: str, tmp_path: Path) -> None:
    path = FIXTURES / f"{name}.jsonl"
    preset = FIXTURE_PRESET[name]
    frame, report = load_frame([str(path)], preset=BUILTIN[preset])
    assert frame.height == len(REQUESTS)
    by_id = {r["account"]: r for r in REQUESTS}
    # The prompt is the last user turn; the system prompt the system text.
    last = {row["account_id"]: row for row in frame.iter_rows(named=True)}
    for account, row in last.items():
        expected = [r for r in REQUESTS if r["account"] == account][-1]
        assert row["prompt"] == expected["prompt"]
        if "system" in report.available:
            assert row["system"] == expected["system"]
    assert set(by_id) == set(last)

    native = tmp_path / "native.jsonl"
    native.write_text("".join(json.dumps(_native(r, set(report.available))) + "\n"
                              for r in REQUESTS), encoding="utf-8")
    _, native_report = load_frame([str(native)])
    assert native_report.available == report.available
    expected = _groups(native)
    assert any(score > 0 for _, score, _ in expected[0])
    assert _groups(path) == expected  # auto-detected
    assert _groups(path, preset=preset) == expected


@pytest.mark.parametrize("name", list(FIXTURE_PRESET))
def test_each_fixture_is_detected(name: str) -> None:
    from distillscan.read import discover_sources, sample_fields

    fields = sample_fields(discover_sources([str(FIXTURES / f"{name}.jsonl")]))
    assert detect_preset(fields, BUILTIN).preset == FIXTURE_PRESET[name]


def test_native_log_stays_native() -> None:
    fields = ["account_id", "timestamp", "model", "messages", "ip"]
    assert detect_preset(fields, BUILTIN).preset == "native"


def test_ambiguous_format_asks_for_a_preset() -> None:
    with pytest.raises(UsageError, match="ambiguous"):
        detect_preset(["model", "messages", "user", "system", "user_id"],
                      {**BUILTIN, "x": parse_presets(
                          {"presets": {"x": {"columns": {"account_id": "user"},
                                             "detect": [["model", "messages", "user"]]}}})["x"]})


def test_conversation_depth_counts_earlier_turns_and_images_are_not_text() -> None:
    frame, _ = load_frame([str(FIXTURES / "openai-chat.jsonl")], preset=BUILTIN["openai-chat"])
    chen = frame.filter(pl.col("account_id") == "chen")
    assert all("example.invalid" not in p for p in chen["prompt"])
    turns = dict(zip(frame["prompt"], frame["n_turns"], strict=True))
    assert turns[BENIGN["alice"][0]] == 2 and turns[BENIGN["alice"][1]] == 1


def test_map_overrides_the_preset(tmp_path: Path) -> None:
    frame, _ = load_frame([str(FIXTURES / "gateway-jsonl.jsonl")], preset=BUILTIN["gateway-jsonl"],
                          column_map={"account_id": "user_agent"})
    assert frame["account_id"][0] == REQUESTS[0]["ua"]


def test_config_file_defines_a_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "custom.jsonl"
    log.write_text("".join(json.dumps({"who": r["account"], "when": _iso(r["ts"]),
                                       "req": {"msgs": _chat_messages(r)}}) + "\n"
                           for r in REQUESTS), encoding="utf-8")
    (tmp_path / "distillscan.toml").write_text(
        '[presets.mine]\nmessages = ["req.msgs"]\ndetect = [["who", "req"]]\n'
        '[presets.mine.columns]\naccount_id = "who"\ntimestamp = ["when"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(main, ["schema", str(log), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    assert info["preset"] == "mine" and info["detected"]
    assert info["mapping"]["account_id"] == ["who"]
    assert info["signals"]["system_prompt_templates"] is True
    assert info["signals"]["ip_infrastructure"] is False
    scanned = runner.invoke(main, ["scan", str(log), "--format", "json"])
    assert scanned.exit_code == 0, scanned.output


def test_schema_table_and_unknown_preset() -> None:
    runner = CliRunner()
    path = str(FIXTURES / "otel-genai.jsonl")
    shown = runner.invoke(main, ["schema", path])
    assert shown.exit_code == 0 and "otel-genai" in shown.output and "ip_infrastructure" in shown.output
    bad = runner.invoke(main, ["scan", path, "--preset", "nope"])
    assert bad.exit_code != 0 and "unknown preset" in bad.output


def _halves(tmp_path: Path, first: str, second: str) -> tuple[Path, Path]:
    """A folder holding REQUESTS split between two formats, and its native equivalent."""
    mixed, native = tmp_path / "mixed", tmp_path / "native"
    mixed.mkdir()
    native.mkdir()
    for index, name in enumerate([first, second]):
        lines = _text(name).splitlines(keepends=True)[index::2]
        (mixed / f"{index}-{name}.jsonl").write_text("".join(lines), encoding="utf-8")
        _, report = load_frame([str(mixed / f"{index}-{name}.jsonl")], preset=BUILTIN[name])
        (native / f"{index}.jsonl").write_text("".join(
            json.dumps(_native(r, set(report.available))) + "\n" for r in REQUESTS[index::2]),
            encoding="utf-8")
    return mixed, native


def test_each_file_is_read_with_its_own_preset(tmp_path: Path) -> None:
    from distillscan.pipeline import choose_presets
    from distillscan.read import discover_sources

    mixed, native = _halves(tmp_path, "litellm", "anthropic-messages")
    assert _groups(mixed) == _groups(native)
    choice = choose_presets(discover_sources([str(mixed)]), ScanOptions())
    assert choice.name == "mixed" and "litellm" in choice.reason

    document = json.loads(CliRunner().invoke(main, ["scan", str(mixed), "--format", "json"]).stdout)
    assert document["summary"]["preset"] == "mixed"
    assert "litellm (1 file(s)" in document["summary"]["preset_reason"]
    assert document["summary"]["presets_by_file"] == {
        str(mixed / "0-litellm.jsonl"): "litellm",
        str(mixed / "1-anthropic-messages.jsonl"): "anthropic-messages"}
    shown = CliRunner().invoke(main, ["schema", str(mixed), "--format", "json"])
    assert json.loads(shown.stdout)["presets_by_file"] == document["summary"]["presets_by_file"]


def test_an_ambiguous_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[presets.x]\ncolumns = {account_id = "user"}\n'
                      'detect = [["startTime", "model", "prompt_tokens"]]\n', encoding="utf-8")
    path = FIXTURES / "litellm.jsonl"
    result = CliRunner().invoke(main, ["scan", str(path), "--config", str(config)])
    assert result.exit_code == 2
    assert f"error: {path}: the log format is ambiguous" in result.output


def test_stdin_is_detected_and_nothing_is_lost(tmp_path: Path) -> None:
    import gzip

    text = _text("langfuse")
    for data in (text.encode(), gzip.compress(text.encode())):
        result = CliRunner().invoke(main, ["scan", "-", "--format", "json",
                                           "--min-severity", "info"], input=data)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)["summary"]
        assert summary["preset"] == "langfuse" and summary["rows_read"] == len(REQUESTS)
    assert "read as langfuse (auto-detected" in result.stderr


def test_langfuse_input_and_output_in_every_recorded_shape() -> None:
    frame, _ = load_frame([str(FIXTURES / "langfuse.jsonl")], preset=BUILTIN["langfuse"])
    lines = [json.loads(line) for line in _text("langfuse").splitlines()]
    assert {type(line["input"]).__name__ for line in lines} == {"str", "list", "dict"}
    assert frame["prompt"].to_list() == [r["prompt"] for r in REQUESTS]
    assert frame["response"].to_list() == ["ok"] * len(REQUESTS)


def test_langfuse_plain_prompt_that_looks_like_json(tmp_path: Path) -> None:
    base = {"id": "g1", "traceId": "t1", "startTime": "2026-04-20T09:00:00Z", "userId": "u",
            "model": "m", "output": "done"}
    inputs = ["[INST] summarise this [/INST]", "[1, 2, 3]",
              {"messages": [{"role": "user", "content": "from messages"}], "tools": []},
              {"question": "no messages here"}]
    path = tmp_path / "lf.jsonl"
    path.write_text("".join(json.dumps({**base, "input": given}) + "\n" for given in inputs),
                    encoding="utf-8")
    frame, _ = load_frame([str(path)], preset=BUILTIN["langfuse"])
    assert frame["prompt"].to_list() == ["[INST] summarise this [/INST]", "[1, 2, 3]",
                                         "from messages", None]


def test_langfuse_input_as_text_in_parquet(tmp_path: Path) -> None:
    rows = {"id": ["1", "2", "3"], "traceId": ["t"] * 3, "userId": ["u"] * 3,
            "startTime": ["2026-04-20T09:00:00Z"] * 3, "model": ["m"] * 3, "output": ["a"] * 3,
            "input": ["plain prompt",
                      json.dumps([{"role": "system", "content": "sys"},
                                  {"role": "user", "content": "hi"}]),
                      json.dumps({"messages": [{"role": "user", "content": "in an object"}]})]}
    pl.DataFrame(rows).write_parquet(tmp_path / "lf.parquet")
    frame, _ = load_frame([str(tmp_path / "lf.parquet")], preset=BUILTIN["langfuse"])
    assert frame.select("prompt", "system").rows() == [
        ("plain prompt", None), ("hi", "sys"), ("in an object", None)]


def _batch_lines(joined: bool) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in _text("openai-batch").splitlines()]
    return lines if joined else [{k: v for k, v in line.items() if k != "response"}
                                 for line in lines]


def test_openai_batch_input_lines_without_time_are_an_error_with_a_hint(tmp_path: Path) -> None:
    inputs = tmp_path / "batch_input.jsonl"
    inputs.write_text("".join(json.dumps(line) + "\n" for line in _batch_lines(False)),
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(inputs)])
    assert result.exit_code == 2
    message = result.output.strip()
    assert message.count("\n") == 0
    assert message.startswith(f"distillscan: error: {inputs}:1: field 'timestamp': "
                              "missing required column 'timestamp'")
    assert "response.body.created" in message and "see README" in message
    shown = json.loads(CliRunner().invoke(main, ["schema", str(inputs), "--format", "json"]).stdout)
    assert list(shown["missing_required"]) == ["timestamp"]

    outputs = tmp_path / "batch_output.jsonl"
    outputs.write_text("".join(json.dumps({"id": f"batch_req_{n}", "custom_id": line["custom_id"],
                                           "response": line["response"], "error": None}) + "\n"
                               for n, line in enumerate(_batch_lines(True))), encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(outputs)])
    assert result.exit_code == 2 and "join them with their input lines on custom_id" in result.output
    shown = json.loads(CliRunner().invoke(main, ["schema", str(outputs), "--format", "json"]).stdout)
    assert list(shown["missing_required"]) == ["account_id", "prompt"]

    # Input lines among joined ones: the row is named, nothing is invented.
    mixed = _batch_lines(True)
    mixed[3] = _batch_lines(False)[3]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in mixed), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_frame([str(path)], preset=BUILTIN["openai-batch"])
    assert caught.value.line == 4 and caught.value.field == "timestamp"
    assert "Batch API input lines carry no time" in caught.value.reason


def test_config_presets_inherit_the_envelope_and_hints() -> None:
    presets = parse_presets({"presets": {
        "spans": {"extends": "otel-genai", "columns": {"account_id": "resource.attributes.user.id"}},
        "lf": {"extends": "langfuse", "messages": ["payload"]},
    }})
    assert presets["spans"].envelope == "otlp" and "account_id" in presets["spans"].hints
    assert presets["lf"].loose_messages == frozenset()
    frame, _ = load_frame([str(FIXTURES / "otel-genai-otlp.jsonl")], preset=presets["spans"])
    assert "svc-consumer-app" in frame["account_id"].to_list()
    with pytest.raises(UsageError, match="unknown envelope"):
        parse_presets({"presets": {"bad": {"envelope": "zipkin"}}})


if __name__ == "__main__":
    write_fixtures()
    sys.exit(0)
