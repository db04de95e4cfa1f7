"""Golden reports: the same input gives byte-identical JSON, CSV and table output.

The goldens under `tests/golden/` were written by the code before the package was cut
into stage subpackages; a change that alters them must say why in its commit and
rewrite them with `DISTILLSCAN_REGOLD=1 pytest tests/test_golden.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from tests.conftest import SynthLog

GOLDEN = Path(__file__).parent / "golden"
SAMPLE = Path(__file__).parent.parent / "sample_logs" / "requests.parquet"
FORMATS = {"json": "json", "csv": "csv", "table": "txt"}


@pytest.fixture(scope="module")
def generated_log(synth_log: SynthLog) -> Path:
    return synth_log(200_000, 7)


def _report(path: Path, output_format: str) -> str:
    """The report of `path` in one format, the file's location written as `<LOG>`."""
    result = CliRunner().invoke(
        main, ["scan", str(path), "--format", output_format, "--top", "25", "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout.replace(str(path), "<LOG>")


def _check(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("DISTILLSCAN_REGOLD"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} differs from its golden"


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_sample_log_report_is_golden(output_format: str) -> None:
    _check(f"sample_logs.{FORMATS[output_format]}", _report(SAMPLE, output_format))


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_generated_log_report_is_golden(generated_log: Path, output_format: str) -> None:
    _check(f"synth200k.{FORMATS[output_format]}", _report(generated_log, output_format))
