"""Hostile log text never reaches the terminal as live escape sequences or markup."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from distillscan.report.safe import terminal_safe

HOSTILE = (
    "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J\x1b[31mred\x1b[0m [red]x[/red] [link=http://evil]y[/link] "
    "\x07\x00\x9b2J"
)


def test_terminal_safe_strips_sequences_and_controls() -> None:
    cleaned = terminal_safe(HOSTILE)
    assert "\x1b" not in cleaned and "\x07" not in cleaned and "\x00" not in cleaned and "\x9b" not in cleaned
    assert "click" in cleaned and "red" in cleaned
    assert "[red]x[/red]" in cleaned  # markup text is kept as text, rendered literally below


def test_rendered_table_has_no_live_sequences_or_markup() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=200, color_system="truecolor")
    table = Table()
    table.add_column("template")
    table.add_row(Text(terminal_safe(HOSTILE)))
    console.print(table)
    rendered = buffer.getvalue()
    assert "\x1b]8;" not in rendered  # no hyperlinks
    assert "\x1b[2J" not in rendered  # no screen clears
    assert "[red]x[/red]" in rendered  # markup shown literally, not interpreted
    assert "[link=http://evil]y[/link]" in rendered


def test_terminal_safe_truncates() -> None:
    assert terminal_safe("abcdef", limit=4) == "abc…"
    assert terminal_safe(None) == ""
