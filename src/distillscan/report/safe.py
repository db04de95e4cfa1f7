"""Log text made harmless for where it is shown: a terminal or a spreadsheet cell.

Log text is hostile: an attacker writes the prompts we display. Every log-derived
string shown in a terminal passes through `terminal_safe` (escape sequences and
control characters removed) and is rendered as a Rich `Text`, which never parses
markup. Machine formats keep the data exact; their encoders escape it.
"""

from __future__ import annotations

import html
import re
from typing import Final

from rich.text import Text

# CSI, OSC (terminated by BEL or ST), other two-byte escapes, then C0/C1 controls.
_ESCAPE_SEQUENCES: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"
)
_CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(value: object, limit: int | None = None) -> str:
    """Log text made harmless for a terminal: no escape sequences, no control characters,
    newlines and tabs folded to spaces, optionally cut to `limit` characters with '…'."""
    text = "" if value is None else str(value)
    text = _ESCAPE_SEQUENCES.sub("", text)
    text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
    text = _CONTROL_CHARACTERS.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def safe_text(value: object, limit: int | None = None, style: str = "") -> Text:
    """Log text as an inert Rich `Text` (see `terminal_safe`)."""
    return Text(terminal_safe(value, limit=limit), style=style)


# Cells a spreadsheet would evaluate as a formula start with one of these (OWASP,
# "CSV Injection"); C0/C1 controls, DEL and bidi overrides have no place in a cell.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_CELL_UNSAFE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def spreadsheet_safe(text: str) -> str:
    """A CSV text cell that a spreadsheet shows as text and never runs: control and
    bidi characters become U+FFFD (tabs and newlines stay, quoted), and a cell
    starting like a formula gets a leading apostrophe. Exact values: JSON/Parquet."""
    text = _CELL_UNSAFE.sub("\ufffd", text)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def html_safe(value: object, limit: int | None = None) -> str:
    """Log text made inert for HTML text and attributes: `terminal_safe`, then escaped
    (quotes included)."""
    return html.escape(terminal_safe(value, limit=limit), quote=True)
