"""`distillscan synth`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner, Result

from distillscan.cli.main import main
from distillscan.errors import ExitCode


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_synth_volume_keeps_the_accounts_and_multiplies_the_rows(tmp_path: Path) -> None:
    counts = {}
    for volume in ("1", "2"):
        out, truth = tmp_path / f"v{volume}.parquet", tmp_path / f"v{volume}.csv"
        result = _run("synth", str(out), "--rows", "10000", "--seed", "4", "--volume", volume,
                      "--truth", str(truth))
        assert result.exit_code == 0, result.output
        counts[volume] = pl.read_parquet(out).height
        assert f"{counts[volume]:,} requests" in result.stderr
    assert (tmp_path / "v1.csv").read_bytes() == (tmp_path / "v2.csv").read_bytes()
    assert 1.8 * counts["1"] <= counts["2"] <= 2.2 * counts["1"]
    assert _run("synth", str(tmp_path / "x.parquet"), "--volume", "0").exit_code == ExitCode.USAGE_OR_INPUT
