"""The console entry point applies --threads before Polars starts."""

from __future__ import annotations

import os

import pytest

import distillscan.cli.main as cli_module
from distillscan import launch


def test_threads_are_read_from_argv_before_polars_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert launch.threads_from_argv(["scan", "x", "--threads", "3"]) == 3
    assert launch.threads_from_argv(["scan", "--threads=2", "x"]) == 2
    assert launch.threads_from_argv(["scan", "--threads", "zero"]) is None
    assert launch.threads_from_argv(["scan", "--", "--threads", "2"]) is None
    called: list[bool] = []
    monkeypatch.setattr(cli_module, "main", lambda: called.append(True))
    monkeypatch.setattr("sys.argv", ["distillscan", "scan", "x", "--threads", "2"])
    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    launch.main()

    assert os.environ["POLARS_MAX_THREADS"] == "2" and called == [True]
