"""Renderers depend on the result types of `model`, never on the engine: importing every
report module in a fresh interpreter loads no stage that reads, links or scores."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import distillscan.report

ENGINE: tuple[str, ...] = tuple(
    f"distillscan.{name}" for name in ("read", "fingerprint", "aggregate", "link", "score", "pipeline", "investigate")
)
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import distillscan.report
names = [info.name for info in pkgutil.walk_packages(distillscan.report.__path__, "distillscan.report.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_report_modules_load_no_engine_module() -> None:
    completed = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, check=True)
    found = json.loads(completed.stdout)
    expected = {info.name for info in pkgutil.walk_packages(distillscan.report.__path__, "distillscan.report.")}
    assert set(found["imported"]) == expected and "distillscan.report.drilldown.group" in expected
    engine = [
        name for name in found["loaded"] if any(name == stage or name.startswith(f"{stage}.") for stage in ENGINE)
    ]
    assert engine == []
