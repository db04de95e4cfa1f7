"""Writing a generated log: Parquet or JSONL rows, ground truth, and a summary of what was written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from distillscan.synth.config import CAMPAIGN_KINDS, KIND_CODES, SynthConfig
from distillscan.synth.generate import auto_workers, labelled_batches
from distillscan.synth.population import build_world
from distillscan.synth.world import World


@dataclass(frozen=True)
class KindCount:
    """Accounts and rows written for one entity kind."""

    accounts: int
    rows: int


@dataclass(frozen=True)
class SynthSummary:
    """What `write_synthetic` wrote."""

    rows: int
    accounts: int
    kinds: Mapping[str, KindCount]


def _truth_frame(world: World) -> pl.DataFrame:
    """One row per account of `world`, sorted by account id."""
    accounts = world.accounts
    return pl.DataFrame({
        "account_id": [a.account_id for a in accounts],
        "label": ["campaign" if a.kind in CAMPAIGN_KINDS else "benign" for a in accounts],
        "kind": [a.kind for a in accounts],
        "entity_id": [a.entity_id for a in accounts],
    }, schema=dict.fromkeys(("account_id", "label", "kind", "entity_id"), pl.String)).sort("account_id")


def ground_truth(config: SynthConfig) -> pl.DataFrame:
    """One row per account: account_id, label ('campaign'|'benign'), kind, entity_id."""
    return _truth_frame(build_world(config))


_WRITE_BATCH: Final = 200_000
_DICTIONARY_COLUMNS: Final = ("account_id", "org_id", "model", "system", "ip", "user_agent", "payment_fingerprint")
_RFC3339: Final = "%Y-%m-%dT%H:%M:%S%.6fZ"


def write_synthetic(config: SynthConfig, out_path: Path, fmt: Literal["parquet", "jsonl"] = "parquet",
                    truth_path: Path | None = None, *, workers: int | None = None) -> SynthSummary:
    """Stream batches to Parquet (one row group per batch) or JSONL; write ground truth CSV if `truth_path`.

    JSONL holds one JSON object per line with a trailing newline; timestamps are RFC 3339
    strings in UTC with a 'Z' suffix.
    """
    if fmt not in ("parquet", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}; expected 'parquet' or 'jsonl'")
    world = build_world(config)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    kind_rows = [0] * len(KIND_CODES)
    rows = 0
    writer: pq.ParquetWriter | None = None
    with open(out_path, "wb") as handle:
        for frame, kinds in labelled_batches(world, _WRITE_BATCH, auto_workers(config, workers)):
            rows += frame.height
            for code, count in kinds.value_counts().iter_rows():
                kind_rows[code] += count
            if fmt == "parquet":
                table = frame.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(handle, table.schema, compression="zstd",
                                              use_dictionary=list(_DICTIONARY_COLUMNS))
                writer.write_table(table, row_group_size=frame.height)
            else:
                frame.with_columns(pl.col("timestamp", "account_created_at").dt.strftime(_RFC3339)).write_ndjson(handle)
        if writer is not None:
            writer.close()
    truth = _truth_frame(world)
    if truth_path is not None:
        Path(truth_path).parent.mkdir(parents=True, exist_ok=True)
        truth.write_csv(truth_path)
    kind_accounts = dict(truth.group_by("kind").len().iter_rows())
    return SynthSummary(
        rows=rows,
        accounts=truth.height,
        kinds={kind: KindCount(accounts=kind_accounts.get(kind, 0), rows=kind_rows[code])
               for kind, code in KIND_CODES.items()},
    )
