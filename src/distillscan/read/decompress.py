"""A JSONL source's bytes, decompressed: gzip and zstd are detected from magic bytes.

`decompressed_chunks` streams a file (or standard input) in chunks of text, whatever its
compression and name; a stream that fails part-way (a truncated or corrupt file, an I/O
error) raises `StreamError`, so the reader can keep the lines read before it.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Generator, Iterator
from typing import IO, Final, cast

import zstandard

from distillscan.errors import InputError
from distillscan.model.inputs import LogSource
from distillscan.read.reader import SkipFile
from distillscan.read.stdin import STDIN_PATH, Prefixed, replay_of

PARQUET_MAGIC: Final = b"PAR1"
GZIP_MAGIC: Final = b"\x1f\x8b"
ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
BOM: Final = b"\xef\xbb\xbf"
READ_CHUNK: Final = 1 << 20
_ZSTD_INPUT_CHUNK: Final = 1 << 17


class StreamError(Exception):
    """The byte stream failed part-way (truncated or corrupt compression, I/O error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decompressed_head(raw: bytes) -> bytes:
    """The text a file's first (possibly compressed) bytes decompress to, as far as they go."""
    try:
        if raw.startswith(GZIP_MAGIC):
            return zlib.decompressobj(wbits=31).decompress(raw)
        if raw.startswith(ZSTD_MAGIC):
            return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    except (zlib.error, zstandard.ZstdError):
        return b""
    return raw


def _read_at_least(raw: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = raw.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _open_stream(source: LogSource) -> tuple[IO[bytes], bool]:
    """The source's raw bytes, and whether closing them is ours to do."""
    if source.path == STDIN_PATH:
        return replay_of(source).open(), False
    try:
        return open(source.path, "rb"), True
    except OSError as error:
        raise SkipFile(
            InputError(source.path, f"cannot open: {error.strerror or error}"), None
        ) from None


def decompressed_chunks(source: LogSource, chunk_size: int) -> Generator[bytes, None, None]:
    """The file's bytes, decompressed (gzip/zstd detected from magic bytes)."""
    raw, owned = _open_stream(source)
    try:
        try:
            head = _read_at_least(raw, 4)
        except OSError as error:
            raise StreamError(f"read error: {error.strerror or error}") from None
        if head.startswith(PARQUET_MAGIC):
            where = "standard input" if source.path == STDIN_PATH else "this file"
            raise SkipFile(
                InputError(
                    source.path, f"{where} holds Parquet, not JSONL; pass it as a Parquet file path"
                ),
                None,
            )
        stream = Prefixed(head, raw)
        if head.startswith(GZIP_MAGIC):
            yield from _gzip_chunks(stream, chunk_size)
        elif head.startswith(ZSTD_MAGIC):
            yield from _zstd_chunks(stream, chunk_size)
        else:
            try:
                while chunk := stream.read(chunk_size):
                    yield chunk
            except OSError as error:
                raise StreamError(f"read error: {error.strerror or error}") from None
    finally:
        if owned:
            raw.close()


def _gzip_chunks(stream: Prefixed, chunk_size: int) -> Iterator[bytes]:
    reader = gzip.GzipFile(fileobj=cast(IO[bytes], stream), mode="rb")
    try:
        while chunk := reader.read(chunk_size):
            yield chunk
    except EOFError:
        raise StreamError("gzip data is cut short (truncated file?)") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise StreamError(f"corrupt gzip data: {error}") from None
    except OSError as error:
        raise StreamError(f"read error: {error.strerror or error}") from None


def _zstd_chunks(stream: Prefixed, chunk_size: int) -> Iterator[bytes]:
    # zstandard's stream_reader returns short data on a truncated frame without an
    # error, so frames are decoded with decompressobj and their end checked.
    dctx = zstandard.ZstdDecompressor()
    decoder = dctx.decompressobj()
    in_frame = False
    try:
        while True:
            data = stream.read(_ZSTD_INPUT_CHUNK)
            if not data:
                if in_frame:
                    raise StreamError("zstd data is cut short (truncated file?)")
                return
            while data:
                in_frame = True
                out = decoder.decompress(data)
                for start in range(0, len(out), chunk_size):
                    yield out[start : start + chunk_size]
                if decoder.eof:
                    data = decoder.unused_data
                    decoder = dctx.decompressobj()
                    in_frame = False
                else:
                    data = b""
    except zstandard.ZstdError as error:
        raise StreamError(f"corrupt zstd data: {error}") from None
    except OSError as error:
        raise StreamError(f"read error: {error.strerror or error}") from None
