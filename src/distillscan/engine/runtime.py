"""The Ray runtime a scan's tasks run on: a local one started for the scan, or a
cluster joined by address. Ray is an optional dependency (`distillscan[ray]`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from distillscan.errors import UsageError

INSTALL_HINT: Final = 'pip install "distillscan[ray]"'
TASK_THREADS: Final = 1
"""Polars threads per task: a task takes one CPU, and Ray runs one task per CPU."""


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
    here with `cpus` CPUs. A runtime started or joined here is left when done."""
    import ray

    if ray.is_initialized():
        yield
        return
    settings = {
        "logging_level": logging.ERROR,
        "log_to_driver": False,
        "runtime_env": {"env_vars": {"POLARS_MAX_THREADS": str(TASK_THREADS)}},
    }
    try:
        if address is None:
            ray.init(num_cpus=cpus, include_dashboard=False, **settings)  # type: ignore[arg-type]
        else:
            ray.init(address=address, **settings)  # type: ignore[arg-type]
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address is not None else "a local Ray runtime"
        lines = str(error).strip().splitlines()
        raise UsageError(f"cannot start or reach {where}: {lines[0] if lines else type(error).__name__}") from error
    try:
        yield
    finally:
        ray.shutdown()
