"""Discovery: files, folders, globs and pipes become sources, format from content."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from distillscan.environment import Environment
from distillscan.model.inputs import LogSource
from distillscan.read import STDIN_PATH, discover_sources, iter_shards, load_frame
from tests.read.helpers import (
    NOON,
    RECORDS,
    assert_canonical,
    jsonl_bytes,
    load,
    raises_input,
    typed_frame,
    write_jsonl,
    write_parquet,
)


def test_parquet_and_jsonl_plain_gzip_zstd_give_identical_frames(tmp_path: Path) -> None:
    parquet = write_parquet(tmp_path / "a.parquet", typed_frame(RECORDS))
    plain = write_jsonl(tmp_path / "a.jsonl", RECORDS)
    gz = write_jsonl(tmp_path / "a.jsonl.gz", RECORDS, "gzip")
    zst = write_jsonl(tmp_path / "a.jsonl.zst", RECORDS, "zstd")

    expected = load([parquet])
    assert_canonical(expected)
    assert expected.height == 3
    assert expected["timestamp"][0] == NOON
    assert expected["prompt"].to_list() == [r["prompt"] for r in RECORDS]
    for path in (plain, gz, zst):
        assert_frame_equal(load([path]), expected)

    sources = discover_sources([str(p) for p in (parquet, plain, gz, zst)])
    assert [(s.format, s.compression) for s in sources] == [
        ("parquet", None),
        ("jsonl", None),
        ("jsonl", "gzip"),
        ("jsonl", "zstd"),
    ]


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    parquet_named_jsonl = write_parquet(tmp_path / "really.jsonl", typed_frame(RECORDS))
    jsonl_no_suffix = write_jsonl(tmp_path / "dump.dat", RECORDS)
    gz_no_suffix = write_jsonl(tmp_path / "dump2", RECORDS, "gzip")
    sources = discover_sources([str(parquet_named_jsonl), str(jsonl_no_suffix), str(gz_no_suffix)])
    assert [(s.format, s.compression) for s in sources] == [
        ("parquet", None),
        ("jsonl", None),
        ("jsonl", "gzip"),
    ]
    frames = [load([p]) for p in (parquet_named_jsonl, jsonl_no_suffix, gz_no_suffix)]
    assert_frame_equal(frames[0], frames[1])
    assert_frame_equal(frames[0], frames[2])


def test_fmt_overrides_detection(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.parquet", RECORDS)  # misleading name
    assert discover_sources([str(path)])[0].format == "jsonl"
    assert discover_sources([str(path)], fmt="jsonl")[0].format == "jsonl"
    forced = discover_sources([str(path)], fmt="parquet")[0]
    assert forced.format == "parquet"
    with raises_input("Parquet"):
        list(iter_shards([forced]))


def test_folder_recursion_hive_layout_and_non_log_files(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    write_parquet(root / "date=2026-05-02" / "part-0.parquet", typed_frame(RECORDS[2:]))
    write_parquet(root / "date=2026-05-01" / "part-1.parquet", typed_frame(RECORDS[1:2]))
    write_parquet(root / "date=2026-05-01" / "part-0.parquet", typed_frame(RECORDS[:1]))
    write_jsonl(root / "date=2026-05-03" / "extra" / "more.jsonl.gz", RECORDS[:1], "gzip")
    (root / "_SUCCESS").write_bytes(b"")
    (root / "date=2026-05-01" / ".part-0.parquet.crc").write_bytes(b"crc")
    (root / "date=2026-05-01" / "part-0.parquet.crc").write_bytes(b"crc")
    (root / "README.md").write_text("# daily dumps\n")
    (root / "_delta_log").mkdir()
    (root / "_delta_log" / "0.json").write_text('{"commitInfo": {}}\n')
    (root / ".hidden").mkdir()
    write_jsonl(root / ".hidden" / "x.jsonl", RECORDS)

    sources = discover_sources([str(root)])
    assert [os.path.relpath(s.path, root) for s in sources] == [
        os.path.join("date=2026-05-01", "part-0.parquet"),
        os.path.join("date=2026-05-01", "part-1.parquet"),
        os.path.join("date=2026-05-02", "part-0.parquet"),
        os.path.join("date=2026-05-03", "extra", "more.jsonl.gz"),
    ]
    frame, report = load_frame([str(root)])
    assert_canonical(frame)  # no `date` partition column
    assert frame["request_id"].to_list() == ["r1", "r2", "r3", "r1"]
    assert report.rows_in == 4 and report.rows_read == 4
    assert report.files == tuple(s.path for s in sources)


def test_folder_without_logs_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / "notes.txt").write_text("nothing here\n")
    with raises_input("no Parquet or JSONL files found") as caught:
        discover_sources([str(folder)])
    assert caught.value.path == str(folder)


def test_glob(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "logs" / "b.jsonl.gz", RECORDS[1:], "gzip")
    write_jsonl(tmp_path / "logs" / "a.jsonl.gz", RECORDS[:1], "gzip")
    write_jsonl(tmp_path / "logs" / "c.jsonl", RECORDS)  # not matched
    pattern = str(tmp_path / "logs" / "*.jsonl.gz")
    sources = discover_sources([pattern])
    assert [Path(s.path).name for s in sources] == ["a.jsonl.gz", "b.jsonl.gz"]
    assert load([pattern])["request_id"].to_list() == ["r1", "r2", "r3"]
    with raises_input("no files match") as caught:
        discover_sources([str(tmp_path / "logs" / "*.parquet")])
    assert caught.value.path.endswith("*.parquet")


def test_missing_path_and_non_log_file(tmp_path: Path) -> None:
    with raises_input("no such file") as caught:
        discover_sources([str(tmp_path / "nope.jsonl")])
    assert caught.value.path == str(tmp_path / "nope.jsonl")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello, not a log\n")
    with raises_input("not a Parquet or JSONL file"):
        discover_sources([str(notes)])


def test_duplicate_paths_are_read_once(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d" / "a.jsonl", RECORDS)
    same = str(tmp_path / "d" / ".." / "d" / "a.jsonl")
    stdin = Environment.of(stdin=b"").stdin
    sources = discover_sources([str(path), same, str(tmp_path / "d"), "-", "-"], stdin=stdin)
    assert [s.path for s in sources] == [str(path), STDIN_PATH]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_streamed_not_sniffed(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = gzip.compress(jsonl_bytes(RECORDS))

    def feed() -> None:
        with open(fifo, "wb") as writer:
            writer.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        sources = discover_sources([str(fifo)])
        assert sources == [LogSource(str(fifo), "jsonl", None)]
        frame = load_frame([str(fifo)])[0]
    finally:
        feeder.join(timeout=10)
    assert frame["request_id"].to_list() == ["r1", "r2", "r3"]


def test_log_source_is_plain_data() -> None:
    source = LogSource("x.jsonl", "jsonl", None)
    assert source == LogSource("x.jsonl", "jsonl", None)
    with pytest.raises(AttributeError):
        source.path = "y"  # type: ignore[misc]
