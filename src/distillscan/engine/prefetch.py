"""Produce the next item of an iterator in a background thread while the caller works
on the current one.

Reading a batch (Parquet decoding) and dropping its repeated requests run on one core,
while annotating and aggregating the batch before it keep both cores busy only part of
the time (a 1M-request scan used 155% of 200%): running the two side by side fills
the idle core. Both sides spend their time in Polars or the compiled core, which
release the GIL.

Memory: `depth` items waiting, one being produced and the caller's current one.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Generator, Iterator
from contextlib import suppress
from typing import Final, TypeVar

T = TypeVar("T")

_POLL_SECONDS: Final = 0.1
"""How often a producer blocked on a full queue checks whether the caller stopped."""


def prefetched(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """The items of `items`, in order, each produced in a background thread while the
    caller works on the one before.

    An exception raised by `items` is raised here, in the caller's thread, where that
    item would have been yielded. Closing the generator (or an exception in the caller,
    once the generator is closed) stops the producer at its next item and waits for
    it, so nothing touches shared state afterwards: close it explicitly
    (`contextlib.closing`) where the caller restores such state after a failure.
    The producer runs in a copy of the caller's context, so stage marks (`stages`)
    are recorded in the caller's run.
    """
    # An item goes as a one-item tuple, a failure as the exception, the end as None.
    handoff: queue.Queue[tuple[T] | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[T] | BaseException | None) -> bool:
        while not stop.is_set():
            with suppress(queue.Full):
                handoff.put(message, timeout=_POLL_SECONDS)
                return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item,)):
                    return
        except BaseException as error:  # handed to the caller, who raises it
            put(error)
            return
        put(None)

    producer = threading.Thread(
        target=contextvars.copy_context().run, args=(produce,), name="distillscan-prefetch", daemon=True
    )
    producer.start()
    try:
        while True:
            message = handoff.get()
            if message is None:
                return
            if isinstance(message, BaseException):
                raise message
            yield message[0]
    finally:
        stop.set()
        producer.join()
