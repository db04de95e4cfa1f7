"""Presets from a config file: defined, detected, and inheriting from a built-in one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.errors import UsageError
from distillscan.read import load_frame, parse_presets
from tests.read.preset_logs import (
    FIXTURES,
    REQUESTS,
    chat_messages,
    iso,
)


def test_config_file_defines_a_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "custom.jsonl"
    log.write_text("".join(json.dumps({"who": r["account"], "when": iso(r["ts"]),
                                       "req": {"msgs": chat_messages(r)}}) + "\n"
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
