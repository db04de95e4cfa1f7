"""Strict JSON: what Python's parser would take but RFC 8259 (and Polars) refuse."""

from __future__ import annotations

import json

import pytest

from distillscan.read import strict_json


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": -Infinity}', '{"a": 1e999}', "[-1e400]"])
def test_non_finite_numbers_are_not_json(text: str) -> None:
    json.loads(text)  # Python's own parser takes them
    with pytest.raises(ValueError, match=r"not valid JSON|out of range"):
        strict_json.loads(text)


def test_valid_json_is_parsed_as_python_parses_it() -> None:
    text = '{"a": [1, 2.5, -3e2, "é", null, true], "b": {"c": 1.7976931348623157e308}}'
    assert strict_json.loads(text.encode()) == json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads('{"a": 1} {"b": 2}')
