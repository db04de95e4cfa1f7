"""Logs for the engine tests: a generated log split into files, repeats planted across
files, and a Parquet file with a damaged row group."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from distillscan.synth import SynthConfig, write_synthetic

GROUP_ROWS = 1_000
"""Row group size of the Parquet files written here, so that files split into ranges."""


def write_part(rows: pl.DataFrame, path: Path) -> Path:
    """Parquet in row groups of GROUP_ROWS, or JSONL with RFC 3339 timestamps, by suffix."""
    if path.suffix == ".parquet":
        pq.write_table(rows.to_arrow(), path, row_group_size=GROUP_ROWS, compression="snappy", use_dictionary=False)
    else:
        rows.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")).write_ndjson(path)
    return path


def generated_rows(folder: Path, rows: int, seed: int) -> pl.DataFrame:
    """A generated log's rows, in the order written (day by day)."""
    path = folder / "generated.parquet"
    write_synthetic(SynthConfig(n_requests=rows, seed=seed), path)
    return pl.read_parquet(path)


def time_slices(rows: pl.DataFrame, parts: int = 6) -> list[pl.DataFrame]:
    """`rows` cut into `parts` consecutive stretches (of time, as generated logs are)."""
    size = -(-rows.height // parts)
    return [rows.slice(index * size, size) for index in range(parts)]


def write_parts(slices: list[pl.DataFrame], folder: Path) -> list[Path]:
    """Each slice in its own file, Parquet and JSONL in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_part(rows, folder / f"part-{index}.{'parquet' if index % 2 == 0 else 'jsonl'}")
        for index, rows in enumerate(slices)
    ]


def with_repeats(slices: list[pl.DataFrame], source: int, first: int, rows: int) -> list[pl.DataFrame]:
    """`rows` rows of slice `source` logged again at the end of the last slice and at
    the start of the first (which then holds their first sighting)."""
    again = slices[source].slice(first, rows)
    return [pl.concat([again, slices[0]]), *slices[1:-1], pl.concat([slices[-1], again])]


def damage(path: Path, column: str, group: int) -> Path:
    """Overwrite bytes in the middle of `column`'s data pages in row group `group`."""
    chunk = pq.read_metadata(path).row_group(group)
    index = [chunk.column(i).path_in_schema for i in range(chunk.num_columns)].index(column)
    column_chunk = chunk.column(index)
    middle = column_chunk.data_page_offset + column_chunk.total_compressed_size // 2
    data = bytearray(path.read_bytes())
    data[middle : middle + 16] = bytes(range(200, 216))
    path.write_bytes(bytes(data))
    return path
