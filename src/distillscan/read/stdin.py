"""Standard input (`-`) as a source: JSONL whose first bytes can be peeked and read again.

Preset detection samples a source's first records before the scan reads it; a file can
be opened twice, standard input cannot. So the stdin source carries a `StdinReplay` over
the stream it was discovered with (`Environment.stdin`, or one a caller passes): sampling
peeks through it and keeps what it read, and the reader gets those bytes back in front of
the rest of the stream. Nothing is module-global: each discovery of `-` has its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, BinaryIO, Final, cast

from distillscan.environment import Environment
from distillscan.model.inputs import LogSource

STDIN_PATH: Final = "<stdin>"
_FIRST_PEEK_BYTES: Final = 1 << 20


class Prefixed:
    """A read-only stream that replays `head` before the rest of `raw`."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._raw.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._raw.read(size)


class StdinReplay:
    """The first bytes of one standard-input stream, read to detect the log's format
    and replayed to the reader so that nothing is lost."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._head = b""

    def peek(self, enough: Callable[[bytes], bool], limit: int) -> bytes:
        """Read (and keep) the stream's raw bytes until `enough` of them, EOF or `limit`."""
        size = _FIRST_PEEK_BYTES
        while len(self._head) < limit and not enough(self._head):
            chunk = self._stream.read(size)  # doubling: `enough` looks at the whole head each time
            if not chunk:
                break
            self._head += chunk
            size *= 2
        return self._head

    def open(self) -> IO[bytes]:
        """The stream, with what was peeked put back in front (once)."""
        head, self._head = self._head, b""
        return cast(IO[bytes], Prefixed(head, self._stream)) if head else self._stream


@dataclass(frozen=True)
class StdinSource(LogSource):
    """Standard input as a source: always JSONL (compression is detected as it is read)."""

    replay: StdinReplay = field(compare=False, repr=False)


def stdin_source(stream: BinaryIO) -> StdinSource:
    """The source `-` names: JSONL read from `stream`."""
    return StdinSource(STDIN_PATH, "jsonl", None, StdinReplay(stream))


def replay_of(source: LogSource) -> StdinReplay:
    """The replay a stdin source reads through. A `LogSource` for `<stdin>` made by hand
    (not by `discover_sources`) reads the process's standard input, with nothing peeked."""
    if isinstance(source, StdinSource):
        return source.replay
    return StdinReplay(Environment.from_process().stdin)
