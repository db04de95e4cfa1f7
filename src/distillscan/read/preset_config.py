"""Presets from a config file: `distillscan.toml`, or the file `--config` names.

`[presets.NAME]` tables define presets in the same terms as the built-in ones (see
`preset.Preset`); `extends = "BASE"` starts from another preset's paths (but not its
detection signatures, which would tie with the base's). `preset = NAME` at the top
picks the default; `engine = "ray"` and `ray_address = "HOST:PORT"` where the shard
stage runs (see `distillscan.engine`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from distillscan.errors import UsageError
from distillscan.read.builtin_presets import builtin_presets
from distillscan.read.preset import Preset, make_preset
from distillscan.schema import MESSAGES_COLUMN
from distillscan.textfiles import load_toml

CONFIG_FILE: Final = "distillscan.toml"


@dataclass(frozen=True)
class Config:
    """The presets a scan can use, and the one the config file names."""

    presets: dict[str, Preset]
    """Built-in presets plus the config file's."""
    default: str | None = None
    """`preset = NAME` at the top of the file."""
    path: str | None = None
    """The config file read; None when there is none."""
    engine: str | None = None
    """`engine = "local" | "ray"` at the top."""
    ray_address: str | None = None
    """`ray_address = "auto" | "HOST:PORT"` at the top."""


def load_config(path: str | Path | None) -> Config:
    """Presets from `path`, else from ./distillscan.toml when it exists."""
    if path is None:
        if not Path(CONFIG_FILE).is_file():
            return Config(builtin_presets())
        path = CONFIG_FILE
    data = load_toml(path)
    engine = _opt_str(data.get("engine"), str(path), "engine")
    if engine not in (None, "local", "ray"):
        raise UsageError(f"config {path}: 'engine' must be \"local\" or \"ray\", got {engine!r}")
    return Config(parse_presets(data, str(path)), _opt_str(data.get("preset"), str(path), "preset"),
                  str(path), engine, _opt_str(data.get("ray_address"), str(path), "ray_address"))


def _opt_str(value: Any, where: str, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UsageError(f"config {where}: '{key}' must be a string")


def _paths(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(f"config {where}: expected a path or a list of paths")


def parse_presets(data: Mapping[str, Any], where: str = "config") -> dict[str, Preset]:
    """Built-ins plus the `[presets.NAME]` tables of a parsed config."""
    presets = builtin_presets()
    tables = data.get("presets", {})
    if not isinstance(tables, dict):
        raise UsageError(f"config {where}: [presets] must be a table")
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise UsageError(f"config {where}: presets.{name} must be a table")
        known = {"extends", "description", "columns", "messages", "text_blocks", "detect",
                 "exclude", "loose_messages", "envelope", "hints"}
        unknown = set(table) - known
        if unknown:
            raise UsageError(f"config {where}: presets.{name}: unknown keys {sorted(unknown)}")
        base_name = table.get("extends")
        if base_name is not None and base_name not in presets:
            raise UsageError(f"config {where}: presets.{name} extends unknown {base_name!r}")
        base = presets.get(base_name) if base_name else None
        columns_table = table.get("columns", {})
        if not isinstance(columns_table, dict):
            raise UsageError(f"config {where}: presets.{name}.columns must be a table")
        columns: dict[str, list[str]] = (
            {k: list(v) for k, v in base.columns.items()} if base else {}
        )
        for column, value in columns_table.items():
            columns[column] = _paths(value, f"{where}: presets.{name}.columns.{column}")
        messages = (
            _paths(table["messages"], f"{where}: presets.{name}.messages")
            if "messages" in table
            else list(base.messages if base else (MESSAGES_COLUMN,))
        )
        detect_value = table.get("detect")
        if detect_value is None:
            detect = []  # inherited signatures would tie with the base preset's
        elif isinstance(detect_value, list) and all(isinstance(s, list) for s in detect_value):
            detect = [set(_paths(s, f"{where}: presets.{name}.detect")) for s in detect_value]
        else:
            raise UsageError(f"config {where}: presets.{name}.detect must be a list of lists")
        hints = table.get("hints", dict(base.hints) if base else {})
        if not isinstance(hints, dict) or not all(isinstance(v, str) for v in hints.values()):
            raise UsageError(f"config {where}: presets.{name}.hints must map columns to text")
        presets[name] = make_preset(
            name,
            str(table.get("description", f"custom preset from {where}")),
            columns,
            messages,
            table.get("text_blocks", sorted(base.text_blocks) if base else []),
            detect,
            table.get("exclude", sorted(base.exclude) if base else []),
            (_paths(table["loose_messages"], f"{where}: presets.{name}.loose_messages")
             if "loose_messages" in table
             else sorted(base.loose_messages & set(messages)) if base else []),
            _opt_str(table.get("envelope", base.envelope if base else None), where,
                     f"presets.{name}.envelope"),
            hints,
        )
    return presets
