"""Stage marks record wall time and peak memory only inside `recording()`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.stages import recording, resident_bytes, stage

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"


def test_stages_outside_a_recording_do_nothing() -> None:
    with stage("anything"):
        pass  # no log to write to, and no error


def test_a_recording_sums_calls_and_time_per_stage_and_keeps_nesting() -> None:
    with recording() as log:
        for _ in range(3):
            with stage("outer"), stage("inner"):
                ballast = bytearray(8 << 20)
                del ballast
    names = list(log.stages)
    assert names == ["outer", "inner"]
    assert log.stages["outer"].calls == 3 and log.stages["inner"].calls == 3
    assert log.stages["outer"].seconds >= log.stages["inner"].seconds > 0
    assert log.peak_bytes >= log.stages["inner"].peak_bytes > 0
    assert log.wall_seconds >= log.stages["outer"].seconds
    assert resident_bytes() > 0


def test_scan_profile_writes_every_stage(tmp_path: Path) -> None:
    profile = tmp_path / "stages.json"
    result = CliRunner().invoke(main, ["scan", str(SAMPLE), "-q", "--format", "json", "--profile", str(profile)])
    assert result.exit_code == 0, result.output
    document = json.loads(profile.read_text(encoding="utf-8"))
    stages = {row["stage"]: row for row in document["stages"]}
    for name in ("read and reduce", "annotate", "batch aggregates", "complete aggregates", "cluster templates",
                 "link accounts", "score groups", "render report"):
        assert stages[name]["calls"] >= 1 and stages[name]["peak_bytes"] > 0, name
    assert document["peak_bytes"] >= max(row["peak_bytes"] for row in document["stages"])
