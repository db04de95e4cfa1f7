"""Every error a command meets as one line on stderr and a documented exit code.

The codes are `distillscan.errors.ExitCode` (see the README's table): the library's
own errors carry theirs; file errors are the machine's doing (2); anything else is a
bug (70). `--debug` prints the traceback first.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

import polars as pl

from distillscan.cli.output import invocation_environment, note, silence_stdout
from distillscan.environment import Environment
from distillscan.errors import DistillscanError, ExitCode, Terminated

Command = Callable[..., ExitCode]
"""A command body: takes the invocation's Environment as `env`, returns its exit code."""


def handle_errors(command: Command) -> Callable[..., None]:
    """Run `command` with this invocation's Environment (`env`) and exit with the code it
    returns; turn every error into one line on stderr and its exit code, the traceback
    first only with `debug` (the `--debug` flag). Polars panics (a BaseException) count
    as bugs."""

    @functools.wraps(command)
    def run(*args: Any, debug: bool = False, **kwargs: Any) -> None:
        env = invocation_environment()
        try:
            with _terminate_by_raising():
                code = command(*args, env=env, **kwargs)
            # Flush here, so a reader that went away is noticed inside this handler and
            # not at exit, where click would turn it into exit code 1 ("--fail-on hit").
            env.stdout.flush()
        except Terminated:
            _fail(env, "terminated", ExitCode.TERMINATED, debug)
        except DistillscanError as error:
            _fail(env, str(error), error.exit_code, debug)
        except BrokenPipeError:
            silence_stdout(env.stdout)  # the reader went away (`| head`): stop quietly
            sys.exit(int(ExitCode.OK))
        except KeyboardInterrupt:
            _fail(env, "interrupted", ExitCode.INTERRUPTED, debug)
        except OSError as error:  # the machine's doing (disk, permissions, files removed), not a bug
            _fail(env, _os_error_message(error), ExitCode.USAGE_OR_INPUT, debug)
        except (Exception, pl.exceptions.PanicException) as error:  # a bug: say so, and how to report it
            first = str(error).strip().splitlines()
            _fail(
                env,
                f"internal error ({type(error).__name__}: {first[0] if first else ''}); "
                "rerun with --debug and report it",
                ExitCode.INTERNAL,
                debug,
            )
        if code is not ExitCode.OK:
            sys.exit(int(code))

    return run


@contextmanager
def _terminate_by_raising() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the main thread while the block runs. Python's
    default for SIGTERM ends the process at once, so the spill and table folders (up to
    a gigabyte at 10M requests) and a variant's rewritten log were left behind by every
    cancelled job. Off the main thread, where handlers cannot be set, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(env: Environment, message: str, code: ExitCode, debug: bool) -> NoReturn:
    """Print the error being handled (its traceback first with `debug`) and exit."""
    if debug:
        traceback.print_exc(file=env.stderr)
    note(env, f"distillscan: error: {message}")
    sys.exit(int(code))


def _os_error_message(error: OSError) -> str:
    """One line for a file error that reached the top; a scan's own temporary files
    removed while it ran (a cleaner sweeping /tmp) get a hint."""
    first = str(error).strip().splitlines()
    message = first[0] if first else type(error).__name__
    if "distillscan-" in message or "distillscan-" in str(error.filename or ""):
        message += (
            "; a temporary file of this run was removed while it ran: rerun with --temp-dir "
            "(or TMPDIR) on a folder nothing cleans"
        )
    return message
