"""The `distillscan` group: every command is there, with help and examples."""

from __future__ import annotations

from click.testing import CliRunner, Result

from distillscan.cli.main import main


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_command_has_help() -> None:
    assert {"scan", "explain", "templates", "accounts"} <= set(main.commands)
    for command in main.commands:
        result = _run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output, command
    assert "Examples" in _run("--help").output
