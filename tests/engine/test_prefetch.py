"""Prefetching: items arrive in order, a producer's failure is raised where its item
would have arrived, and closing the generator stops the producer before it returns."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest

from distillscan.engine.prefetch import prefetched
from distillscan.stages import recording, stage


def test_items_arrive_in_order_and_all_of_them() -> None:
    assert list(prefetched(iter(range(50)))) == list(range(50))
    assert list(prefetched(iter([]))) == []


def test_a_failure_in_the_producer_is_raised_in_the_caller_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("damaged page")

    items = prefetched(failing())
    assert [next(items), next(items)] == [1, 2]
    with pytest.raises(ValueError, match="damaged page"):
        next(items)


def test_closing_stops_the_producer_before_it_returns() -> None:
    produced: list[int] = []

    def slow() -> Iterator[int]:
        for item in range(1_000):
            produced.append(item)
            time.sleep(0.001)
            yield item

    with closing(prefetched(slow())) as items:
        assert next(items) == 0
    count = len(produced)
    time.sleep(0.05)
    # Stopped: the producer ran at most the queue's depth and one more item ahead.
    assert len(produced) == count <= 3
    assert not [thread for thread in threading.enumerate() if thread.name == "distillscan-prefetch"]


def test_a_failure_in_the_caller_stops_the_producer_once_closed() -> None:
    def endless() -> Iterator[int]:
        item = 0
        while True:
            yield item
            item += 1

    with pytest.raises(RuntimeError), closing(prefetched(endless())) as items:
        for item in items:
            if item == 3:
                raise RuntimeError("annotating failed")
    assert not [thread for thread in threading.enumerate() if thread.name == "distillscan-prefetch"]


def test_the_producers_stages_are_recorded_in_the_callers_run() -> None:
    def marked() -> Iterator[int]:
        for item in range(3):
            with stage("read"):
                yield item

    with recording() as log:
        assert list(prefetched(marked())) == [0, 1, 2]
    assert log.stages["read"].calls == 3
