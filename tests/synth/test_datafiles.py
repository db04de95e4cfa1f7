"""Rule data files: every file loads with its shapes, texts may be lines, files ship in the package."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from distillscan.synth import datafiles
from distillscan.synth.datafiles import load_rules, load_strings, load_text

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DATA = Path(datafiles.__file__).parent / "data"
PYPROJECT = Path(__file__).parent.parent.parent / "pyproject.toml"


def test_every_entry_of_every_file_loads_as_a_text_alternatives_or_rules() -> None:
    files = sorted(DATA.glob("*.json"))
    assert files
    for path in files:
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(value, dict):
                loaded = load_rules(path.stem, key)
                assert list(loaded) == list(value) and all(loaded.values()), (path.stem, key)
            elif isinstance(value, str) or all(isinstance(item, str) for item in value):
                assert load_text(path.stem, key) if isinstance(value, str) else load_strings(path.stem, key)
            else:
                assert len(load_strings(path.stem, key)) == len(value), (path.stem, key)


def test_a_text_written_as_lines_is_joined_with_newlines() -> None:
    raw = json.loads((DATA / "products.json").read_text(encoding="utf-8"))["tool_system"]
    assert isinstance(raw, list)
    assert load_text("products", "tool_system") == "\n".join(raw)
    assert "\n\n# Tools\n" in load_text("products", "tool_system")
    wrap = load_strings("products", "tool_wrap")
    assert wrap[0] == "<user_request>\n" and wrap[1].startswith("\n</user_request>\n\n")


def test_wrong_shapes_and_missing_entries_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    document = {"rules": {"a": ["x"]}, "text": "t", "numbers": [1, 2]}
    monkeypatch.setattr(datafiles, "_document", lambda name: document)
    with pytest.raises(ValueError):
        load_text("fake", "rules")
    with pytest.raises(ValueError):
        load_strings("fake", "text")
    with pytest.raises(ValueError):
        load_strings("fake", "numbers")
    with pytest.raises(ValueError):
        load_rules("fake", "text")
    with pytest.raises(KeyError):
        load_text("fake", "absent")


def test_the_data_files_ship_inside_the_package() -> None:
    # maturin packages every file under `python-source`: the data must live there, and
    # the package's own resource lookup (what `datafiles` reads through) must find it.
    build = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["maturin"]
    source = PYPROJECT.parent / build["python-source"]
    names = {path.name for path in DATA.glob("*.json")}
    assert names and all(path.is_relative_to(source) for path in DATA.glob("*.json"))
    shipped = resources.files("distillscan.synth") / "data"
    assert {entry.name for entry in shipped.iterdir() if entry.name.endswith(".json")} == names
