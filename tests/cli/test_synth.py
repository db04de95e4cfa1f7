"""`distillscan synth`."""

from __future__ import annotations

import gzip
import json
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


def test_synth_takes_text_from_a_corpora_folder_and_a_fixed_campaign_scale(tmp_path: Path) -> None:
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    questions = [f"A shop sells {i} apples a day. How many does it sell in a week?" for i in range(200)]
    with gzip.open(corpora / "gsm8k-questions.jsonl.gz", "wt", encoding="utf-8") as handle:
        for question in questions:
            handle.write(json.dumps({"text": question, "source": "s", "category": "test"}) + "\n")
    out, truth = tmp_path / "log.parquet", tmp_path / "truth.csv"
    result = _run("synth", str(out), "--rows", "12000", "--seed", "4", "--campaign-scale", "10000",
                  "--text-from", str(corpora), "--truth", str(truth))
    assert result.exit_code == 0, result.output
    prompts = pl.read_parquet(out)["prompt"]
    assert prompts.str.contains("apples a day").sum() > 100
    assert "entity_id" in pl.read_csv(truth).columns


def test_synth_refuses_a_campaign_scale_above_the_rows_and_a_missing_corpora_folder(tmp_path: Path) -> None:
    result = _run("synth", str(tmp_path / "x.parquet"), "--rows", "10000", "--campaign-scale", "20000")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "--campaign-scale" in result.stderr
    result = _run("synth", str(tmp_path / "x.parquet"), "--text-from", str(tmp_path / "missing"))
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    (tmp_path / "empty").mkdir()
    result = _run("synth", str(tmp_path / "x.parquet"), "--rows", "10000", "--text-from", str(tmp_path / "empty"))
    assert result.exit_code == ExitCode.USAGE_OR_INPUT and "no *.jsonl.gz" in result.stderr
