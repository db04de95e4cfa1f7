"""The Ray runtime a scan's tasks run on: a local one started for the scan, or a
cluster joined by address. Ray is an optional dependency (`distillscan[ray]`)."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from distillscan.errors import UsageError

INSTALL_HINT: Final = 'pip install "distillscan[ray]"'
TASK_THREADS: Final = 1
"""Polars threads per task: a task takes one CPU, and Ray runs one task per CPU."""
CONNECT_SECONDS: Final = 10


def require_ray() -> None:
    """Raise a usage error (exit 2) saying how to install Ray when it is missing."""
    try:
        import ray  # noqa: F401
    except ImportError as error:
        raise UsageError(f"--engine ray needs Ray, which is not installed: {INSTALL_HINT}") from error


@contextmanager
def ray_runtime(address: str | None, cpus: int) -> Iterator[None]:
    """Ray, ready for tasks: already running in this process (a notebook, the tests),
    else joined at `address` (`auto`: the cluster this machine belongs to), else started
    here with `cpus` CPUs. A runtime started or joined here is left when done.

    Ray prints the cluster's errors (a worker that died, say) on the driver's standard
    output, where the report goes: while Ray is in use here, they go to stderr."""
    import ray

    with contextlib.redirect_stdout(sys.stderr):
        if ray.is_initialized():
            yield
            return
        with _started(address, cpus):
            yield


@contextmanager
def _started(address: str | None, cpus: int) -> Iterator[None]:
    """Ray started (`address` None) or joined for the duration of the block; its tasks
    run Polars on TASK_THREADS threads, and their output stays in the cluster's logs."""
    import ray

    task_env = {"env_vars": {"POLARS_MAX_THREADS": str(TASK_THREADS)}}
    try:
        if address is not None:
            _check_reachable(address)
        if address is None:
            ray.init(num_cpus=cpus, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False,
                     runtime_env=task_env)
        else:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False, runtime_env=task_env)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address is not None else "a local Ray runtime"
        lines = str(error).strip().splitlines()
        raise UsageError(f"cannot start or reach {where}: {lines[0] if lines else type(error).__name__}") from error
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nothing listens on: Ray would retry it for minutes.
    (`auto` and other forms are left to Ray, which rejects them quickly.)"""
    host, separator, port = address.removeprefix("ray://").rpartition(":")
    if not separator or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        raise ConnectionError(error.strerror or str(error)) from error
