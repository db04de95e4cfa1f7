"""Choosing the engine: the command-line options and the config file, and the
messages when Ray cannot be used (no cluster needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.cli.options import LogInputs
from distillscan.engine.runtime import INSTALL_HINT
from distillscan.errors import ExitCode, UsageError

SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_logs")


@pytest.mark.parametrize("command", ["scan", "explain", "templates", "accounts"])
def test_engine_ray_without_ray_says_how_to_install_it(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    arguments = ["explain", "1", SAMPLE] if command == "explain" else [command, SAMPLE]
    result = CliRunner().invoke(main, [*arguments, "--engine", "ray", "-q"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert INSTALL_HINT in result.stderr and "Traceback" not in result.stderr


def test_config_chooses_the_engine_and_the_command_line_overrides_it(tmp_path: Path) -> None:
    config = tmp_path / "distillscan.toml"
    config.write_text('engine = "ray"\nray_address = "10.0.0.5:6379"\n', encoding="utf-8")
    options = LogInputs(config_path=config).scan_options()
    assert (options.engine, options.ray_address) == ("ray", "10.0.0.5:6379")
    assert LogInputs(config_path=config, ray_address="auto").scan_options().ray_address == "auto"
    assert LogInputs(config_path=config, engine="local").scan_options().engine == "local"
    assert LogInputs().scan_options().engine == "local"


def test_bad_engine_settings_are_usage_errors(tmp_path: Path) -> None:
    config = tmp_path / "distillscan.toml"
    config.write_text('engine = "spark"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="'engine' must be"):
        LogInputs(config_path=config).scan_options()
    result = CliRunner().invoke(main, ["scan", SAMPLE, "--ray-address", "auto", "-q"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "--ray-address is for --engine ray" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray installed")
def test_standard_input_needs_the_local_engine() -> None:
    result = CliRunner().invoke(main, ["scan", "-", "--engine", "ray", "-q"], input='{"account_id": "a"}\n')
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "--engine local" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray installed")
def test_an_address_nothing_listens_on_fails_fast() -> None:
    result = CliRunner().invoke(main, ["scan", SAMPLE, "--engine", "ray", "--ray-address", "127.0.0.1:1", "-q"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert "cannot start or reach the Ray cluster at 127.0.0.1:1" in result.stderr
