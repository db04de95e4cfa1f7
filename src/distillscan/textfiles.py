"""Reading the small text files a user names: allowlists, baselines, TOML configs.

Each is read whole, and a file that cannot be read is a usage error naming it (exit 2),
never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from distillscan.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]


def read_text_file(
    path: str | Path,
    what: str,
    *,
    error_type: type[UsageError] = UsageError,
    not_text: str = "not UTF-8 text",
) -> str:
    """The UTF-8 text of the `what` file at `path`; `error_type` when it cannot be read
    or is not UTF-8 (`not_text` says why, after the file's name)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise error_type(f"cannot read {what} {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise error_type(f"{what} {path}: {not_text}") from None


def load_toml(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of the config file at `path`; UsageError when it cannot be read
    or is not valid TOML."""
    try:
        with open(path, "rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read config {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config {path}: not valid TOML: {error}") from None
    return data
