"""The generator's rule data: JSON files under `data/`, each read once.

Values are texts, lists of alternatives, or named rule sets (objects of lists). A text may
be written as a list of lines, joined with newlines on reading, so that long prompts and
code stay readable in the file.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

_PACKAGE = "distillscan.synth"


@functools.cache
def _document(name: str) -> dict[str, object]:
    path = resources.files(_PACKAGE) / "data" / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"data/{name}.json: expected an object")
    return document


def _text(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    raise ValueError(f"{where}: expected a text or a list of lines")


def _alternatives(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of alternatives")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(value))


def _entry(name: str, key: str) -> object:
    document = _document(name)
    if key not in document:
        raise KeyError(f"data/{name}.json has no {key!r}")
    return document[key]


def load_text(name: str, key: str) -> str:
    """The text `key` of data file `name`."""
    return _text(_entry(name, key), f"data/{name}.json:{key}")


def load_strings(name: str, key: str) -> tuple[str, ...]:
    """The list of alternatives `key` of data file `name`."""
    return _alternatives(_entry(name, key), f"data/{name}.json:{key}")


def load_rules(name: str, key: str) -> dict[str, tuple[str, ...]]:
    """The rule set `key` of data file `name`: each rule's alternatives, in file order."""
    where = f"data/{name}.json:{key}"
    value = _entry(name, key)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object of rules")
    return {rule: _alternatives(alts, f"{where}.{rule}") for rule, alts in value.items()}
