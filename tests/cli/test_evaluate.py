"""`distillscan evaluate`: truth text stays text; the input options are honoured."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.errors import ExitCode
from distillscan.synth import SynthConfig, write_synthetic


def test_evaluate_truth_text_is_not_markup(log_path: Path, tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("account_id,label,kind,entity_id\nacct_x,benign,[/oops] \x1b]0;pwned\x07,e1\n")
    result = CliRunner().invoke(main, ["evaluate", str(log_path), "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    assert "[/oops]" in result.stdout and "\x1b]0;" not in result.stdout


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A labelled log, the same log with `account_id` renamed to `customer`, and the truth."""
    folder = tmp_path_factory.mktemp("evaluate")
    log, renamed, truth = folder / "log.parquet", folder / "renamed.parquet", folder / "truth.csv"
    write_synthetic(SynthConfig(n_requests=10_000, seed=3), log, truth_path=truth)
    pl.read_parquet(log).rename({"account_id": "customer"}).write_parquet(renamed)
    return log, renamed, truth


def _evaluate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["evaluate", *args, "--format", "json", "-q"])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


@pytest.mark.parametrize("how", ["map", "preset"])
def test_evaluate_reads_a_renamed_column_log_as_told(
    labelled: tuple[Path, Path, Path], tmp_path: Path, how: str
) -> None:
    log, renamed, truth = labelled
    config = tmp_path / "renamed.toml"
    config.write_text('[presets.renamed]\nextends = "native"\ncolumns = {account_id = "customer"}\n')
    told = (["--map", "account_id=customer"] if how == "map"
            else ["--config", str(config), "--preset", "renamed"])
    code, expected = _evaluate(str(log), "--truth", str(truth))
    assert code == ExitCode.OK, expected
    figures = json.loads(expected)
    # The figures compared below depend on which column holds the accounts: every truth
    # account was read as one, and some were flagged.
    assert figures["truth_accounts_not_in_scan"] == 0 and figures["flagged_accounts"] > 0
    assert _evaluate(str(renamed), "--truth", str(truth), *told) == (ExitCode.OK, expected)
    code, error = _evaluate(str(renamed), "--truth", str(truth))
    assert code == ExitCode.USAGE_OR_INPUT and "account_id" in error  # untold, the log cannot be read


def test_the_campaign_table_says_how_many_of_a_campaigns_groups_are_flagged(
    labelled: tuple[Path, Path, Path]
) -> None:
    log, _, truth = labelled
    figures = json.loads(_evaluate(str(log), "--truth", str(truth))[1])
    # 80 columns, a pipe's width: nothing in the tables is cut short.
    result = CliRunner(env={"COLUMNS": "80"}).invoke(main, ["evaluate", str(log), "--truth", str(truth), "-q"])
    assert result.exit_code == ExitCode.OK, result.output
    assert "…" not in result.stdout
    lines = result.stdout.splitlines()
    header = next(index for index, line in enumerate(lines) if line.split()[:2] == ["campaign", "accounts"])
    assert lines[header - 1].split() == ["flagged", "largest"]
    assert lines[header].split()[1:] == ["accounts", "flagged", "recall", "groups", "groups", "share", "purity"]
    for campaign in figures["per_campaign"]:
        row = next(line for line in lines if line.startswith(campaign["entity_id"] + " "))
        assert row.split()[4:6] == [str(campaign["groups"]), str(campaign["flagged_groups"])]
