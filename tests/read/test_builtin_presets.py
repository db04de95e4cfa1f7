"""Built-in presets: every supported log format scans to the same groups as the native log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.errors import InputError
from distillscan.read import BUILTIN, load_frame
from tests.read.preset_logs import (
    BENIGN,
    FIXTURE_PRESET,
    FIXTURES,
    REQUESTS,
    fixture_text,
    native_record,
    scan_groups,
)


@pytest.mark.parametrize("name", list(FIXTURE_PRESET))
def test_fixture_is_the_rendering(name: str) -> None:
    assert (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8") == fixture_text(name)


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
    native.write_text("".join(json.dumps(native_record(r, set(report.available))) + "\n"
                              for r in REQUESTS), encoding="utf-8")
    _, native_report = load_frame([str(native)])
    assert native_report.available == report.available
    expected = scan_groups(native)
    assert any(score > 0 for _, score, _ in expected[0])
    assert scan_groups(path) == expected  # auto-detected
    assert scan_groups(path, preset=preset) == expected


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


def test_langfuse_input_and_output_in_every_recorded_shape() -> None:
    frame, _ = load_frame([str(FIXTURES / "langfuse.jsonl")], preset=BUILTIN["langfuse"])
    lines = [json.loads(line) for line in fixture_text("langfuse").splitlines()]
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
    lines = [json.loads(line) for line in fixture_text("openai-batch").splitlines()]
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
