"""Presets: every supported log format scans to the same groups as the native log.

`REQUESTS` is one small, hand-written traffic sample (a templated campaign sharing a
system prompt, parameters and infrastructure, plus benign users). `RENDER` writes it
in each preset's format; the files under tests/fixtures/presets/ are that output
(regenerate with `python tests/test_presets.py`), and a test checks they match.
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

from distillscan.cli import main
from distillscan.errors import UsageError
from distillscan.load import load_frame
from distillscan.pipeline import ScanOptions, scan
from distillscan.presets import BUILTIN, detect_preset, parse_presets

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
    messages = [m for m in _chat_messages(r, system=False)]
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
    return {"id": r["rid"], "traceId": f"trace-{r['rid']}", "type": "GENERATION",
            "startTime": r["ts"].isoformat(), "userId": r["account"], "model": r["model"],
            "input": _chat_messages(r), "output": {"role": "assistant", "content": "ok"},
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


RENDER: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "openai-chat": _openai_chat,
    "openai-batch": _openai_batch,
    "anthropic-messages": _anthropic,
    "litellm": _litellm,
    "langfuse": _langfuse,
    "otel-genai": _otel,
    "gateway-jsonl": _gateway,
}


def _text(preset: str) -> str:
    return "".join(json.dumps(RENDER[preset](r)) + "\n" for r in REQUESTS)


def write_fixtures() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for preset in RENDER:
        (FIXTURES / f"{preset}.jsonl").write_text(_text(preset), encoding="utf-8")


def _groups(path: Path, **options: Any) -> tuple[list[Any], list[Any]]:
    result = scan([str(path)], ScanOptions(**options))
    groups = result.report.groups.select("group_id", "score", "severity").sort("group_id")
    members = result.linkage.membership.select("account_id", "group_id").sort("account_id")
    return groups.rows(), members.rows()


@pytest.mark.parametrize("preset", list(RENDER))
def test_fixture_is_the_rendering(preset: str) -> None:
    assert (FIXTURES / f"{preset}.jsonl").read_text(encoding="utf-8") == _text(preset)


@pytest.mark.parametrize("preset", list(RENDER))
def test_preset_scans_like_native(preset: str, tmp_path: Path) -> None:
    path = FIXTURES / f"{preset}.jsonl"
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


@pytest.mark.parametrize("preset", list(RENDER))
def test_each_fixture_is_detected(preset: str) -> None:
    from distillscan.load import discover_sources, sample_fields

    fields = sample_fields(discover_sources([str(FIXTURES / f"{preset}.jsonl")]))
    assert detect_preset(fields, BUILTIN).preset == preset


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


if __name__ == "__main__":
    write_fixtures()
    sys.exit(0)
