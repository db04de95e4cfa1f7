"""Annotation time per 200k-row batch: the Polars annotator it replaced against the compiled core.

Two texts: (a) the project's generator (`distillscan synth`), (b) real prompt text from
../shared/corpora/*.jsonl.gz when that folder is present (read in place, never copied):
its prompts drawn at random, with random accounts and a few system prompts of the
generator. Each annotator runs on the same batch `--repeat` times; the best wall time
and the process CPU time of that run are reported.

    python benchmarks/annotate_speed.py --rows 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from distillscan.fingerprint.annotate import annotate_requests  # noqa: E402
from distillscan.synth import SynthConfig, generate_batches  # noqa: E402
from tests.fingerprint.polars_reference import annotate_requests_polars  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"


def generated_batch(rows: int) -> pl.DataFrame:
    batch = next(generate_batches(SynthConfig(n_requests=max(rows, 10_000), seed=7), batch_rows=rows))
    return batch.select("account_id", "prompt", "system")


def corpus_batch(rows: int, systems: list[str | None]) -> pl.DataFrame | None:
    files = sorted(CORPORA.glob("*.jsonl.gz"))
    if not files:
        return None
    texts: list[str] = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line in lines)
    rng = random.Random(7)
    return pl.DataFrame({
        "account_id": [f"acct_{rng.randrange(5_000)}" for _ in range(rows)],
        "prompt": [rng.choice(texts) for _ in range(rows)],
        "system": [rng.choice(systems) for _ in range(rows)],
    })


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(annotate: Callable[[pl.LazyFrame], pl.LazyFrame], batch: pl.DataFrame, repeat: int) -> tuple[float, float]:
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), cpu_seconds()
        annotate(batch.lazy()).collect()
        best = min(best, (time.perf_counter() - wall, cpu_seconds() - cpu))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    generated = generated_batch(args.rows)
    batches = {"generated": generated}
    corpus = corpus_batch(args.rows, generated["system"].unique().to_list()[:50])
    if corpus is not None:
        batches["corpus"] = corpus
    print(f"{'text':<10} {'rows':>8} {'distinct prompts':>17} {'annotator':<8} {'wall s':>7} {'cpu s':>7}")
    for name, batch in batches.items():
        for label, annotate in (("polars", annotate_requests_polars), ("core", annotate_requests)):
            wall, cpu = timed(annotate, batch, args.repeat)
            print(f"{name:<10} {batch.height:>8} {batch['prompt'].n_unique():>17} {label:<8} {wall:>7.3f} {cpu:>7.3f}")


if __name__ == "__main__":
    main()
