"""Corpora: files feed kinds by name, missing kinds come from the grammar, bad input is named."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from distillscan.errors import InputError
from distillscan.synth.corpus import KINDS, load_corpus


def _write(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    with gzip.open(folder / f"{name}.jsonl.gz", "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def _row(text: str, category: str | None = None) -> dict[str, object]:
    return {"text": text, "source": "owner/repo:path", "category": category}


def test_files_feed_kinds_by_name_and_keep_the_benchmark_order(tmp_path: Path) -> None:
    _write(tmp_path, "gsm8k-questions", [_row(f"q{i}", "test" if i % 2 else "train") for i in range(10)])
    _write(tmp_path, "humaneval-prompts", [_row(f"def f{i}():") for i in range(4)])
    _write(tmp_path, "hh-rlhf-followups", [_row("go on"), _row("why?")])
    _write(tmp_path, "t0-templated-prompts", [_row(f"passage {i}", f"template{i % 3}") for i in range(9)])
    _write(tmp_path, "arena-hard-questions", [_row("what is love?"), _row("")])
    corpus = load_corpus(tmp_path)
    assert sorted(corpus.pools["math"]) == sorted(f"q{i}" for i in range(10))
    assert corpus.bench_math == ("q1", "q3", "q5", "q7", "q9")
    assert corpus.bench_code == tuple(f"def f{i}():" for i in range(4))
    assert sorted(corpus.pools["followup"]) == ["go on", "why?"]
    assert corpus.pools["chat"] == ("what is love?",)
    assert len(corpus.pools["reading"]) == 9
    # No coding file besides HumanEval here: it still feeds coding, and nothing is missing.
    assert set(corpus.pools) == set(KINDS) and all(corpus.pools[kind] for kind in KINDS)


def test_without_a_folder_every_kind_comes_from_the_grammar() -> None:
    corpus = load_corpus(None)
    assert corpus.origin == "grammar"
    assert all(len(corpus.pools[kind]) >= 1000 for kind in KINDS)
    assert len(corpus.bench_math) == 1319 and len(corpus.bench_code) == 164


def test_bad_corpora_are_refused_with_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \*\.jsonl\.gz"):
        load_corpus(tmp_path)
    _write(tmp_path, "codealpaca", [_row("ok")])
    with gzip.open(tmp_path / "codealpaca.jsonl.gz", "at", encoding="utf-8") as handle:
        handle.write('{"text": 3}\n')
    with pytest.raises(InputError, match=r":2: field .text."):
        load_corpus(tmp_path)
    (tmp_path / "codealpaca.jsonl.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match="cannot read corpus"):
        load_corpus(tmp_path / ".")
