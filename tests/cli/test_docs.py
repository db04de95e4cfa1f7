"""The README documents every command and every `scan` option; the example CI workflow
is well-formed and runs the gate it promises."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from distillscan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WORKFLOW = ROOT / "examples" / "github-actions-daily-scan.yml"


def _mentioned(flag: str, text: str) -> bool:
    """`flag` appears as a whole option (`--fail-on` is not found inside `--fail-on-new`)."""
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


def test_the_readme_shows_what_the_sample_scan_prints() -> None:
    """The example output under the README's quick start is today's, not an old release's."""
    intro = "What `distillscan scan sample_logs/ --top 3` prints"
    shown = README.split(intro, 1)[1].split("```text\n", 1)[1].split("\n```", 1)[0]
    result = CliRunner().invoke(main, ["scan", str(ROOT / "sample_logs"), "--top", "3"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = "\n".join(line.rstrip() for line in result.output.rstrip("\n").split("\n"))
    assert printed == shown


def test_every_command_is_in_the_readme() -> None:
    assert isinstance(main, click.Group)
    missing = [name for name in main.commands if f"distillscan {name}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_every_scan_option_is_in_the_readme() -> None:
    scan = main.commands["scan"]
    flags = [
        flag
        for param in scan.params
        if isinstance(param, click.Option)
        for flag in param.opts
        if flag.startswith("--")
    ]
    assert "--export" in flags and "--baseline" in flags  # the walk sees the options
    missing = [flag for flag in flags if not _mentioned(flag, README)]
    assert not missing, f"scan options not documented in README.md: {missing}"


def test_mention_check_tells_options_apart() -> None:
    assert not _mentioned("--fail-on", "use --fail-on-new here")
    assert _mentioned("--fail-on", "`--fail-on S` and --fail-on-new")


def _structure_without_yaml(text: str) -> dict[str, Any]:
    """A structural reading of the workflow for when PyYAML is not installed: no tabs,
    two-space indentation, the top-level keys, and each step's `uses`/`run` text."""
    assert "\t" not in text
    top: dict[str, Any] = {}
    steps: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0, f"odd indentation: {line!r}"
        if indent == 0:
            key, separator, _ = line.partition(":")
            assert separator, f"top-level line is not a key: {line!r}"
            top[key] = True
        if re.match(r"^ {6}- (uses|name|run|id|if):", line):
            steps.append(line.strip())
    top["steps"] = steps
    return top


def test_example_workflow_is_valid_and_gates_on_new_high_groups() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    try:
        import yaml  # test-only: not a dependency of distillscan
    except ImportError:
        structure = _structure_without_yaml(text)
        assert {"name", "on", "jobs"} <= set(structure)
        assert len(structure["steps"]) >= 6
    else:
        document = yaml.safe_load(text)
        triggers = document.get("on", document.get(True))  # YAML 1.1 reads the key `on` as true
        assert "schedule" in triggers
        steps = document["jobs"]["scan"]["steps"]
        assert all(("uses" in step) != ("run" in step) for step in steps)
        uses = {step["uses"].split("@")[0] for step in steps if "uses" in step}
        assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact"} <= uses
    start = text.index("- name: Scan and gate")
    scan_step = text[start:text.index("- name:", start + 1)]
    assert "distillscan scan" in scan_step
    for flag in ("--baseline", "--fail-on-new", "--fail-on", "--export", "--format", "--allow"):
        assert _mentioned(flag, scan_step), flag
    assert "pip install" in text and "gh run download" in text and "upload-artifact" in text


@pytest.mark.parametrize("name", ["github-actions-daily-scan.yml"])
def test_examples_are_mentioned_in_the_readme(name: str) -> None:
    assert f"examples/{name}" in README
