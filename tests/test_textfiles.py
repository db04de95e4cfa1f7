"""The small text files a user names: read whole, or a usage error naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillscan.errors import UsageError
from distillscan.textfiles import load_toml, read_text_file


class NotAReport(UsageError):
    pass


def test_read_text_file(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("account:a é\n", encoding="utf-8")
    assert read_text_file(path, "allowlist") == "account:a é\n"
    with pytest.raises(UsageError, match=r"^cannot read allowlist .*missing\.txt: "):
        read_text_file(tmp_path / "missing.txt", "allowlist")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UsageError, match=r"allowlist .*list\.txt: not UTF-8 text$"):
        read_text_file(path, "allowlist")
    with pytest.raises(NotAReport, match=r"baseline .*list\.txt: not a report$"):
        read_text_file(path, "baseline", error_type=NotAReport, not_text="not a report")


def test_load_toml(tmp_path: Path) -> None:
    path = tmp_path / "distillscan.toml"
    path.write_text('preset = "litellm"\nallow = ["org:o1"]\n', encoding="utf-8")
    assert load_toml(path) == {"preset": "litellm", "allow": ["org:o1"]}
    with pytest.raises(UsageError, match=r"^cannot read config "):
        load_toml(tmp_path / "missing.toml")
    path.write_text("preset = \n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"distillscan\.toml: not valid TOML: "):
        load_toml(path)
