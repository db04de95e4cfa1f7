"""CSV output: cells a spreadsheet would run as formulas are defused, control and
bidi characters are replaced; JSON keeps the same values exact."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.report.safe import spreadsheet_safe
from tests.helpers import at, requests_frame

HOSTILE_ACCOUNTS = [
    '=HYPERLINK("http://evil.example","open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB",
    "\rCR",
    "esc\x1b[2Jnul\x00c1\x9bbidi\u202ezz",
]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("plain text", "plain text"),
        ("two\nlines\tand tab", "two\nlines\tand tab"),
        ("\x1b[31mred\x00\x9b\u202e\u2066", "\ufffd[31mred\ufffd\ufffd\ufffd\ufffd"),
        ("\x00=1", "\ufffd=1"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(cell: str, expected: str) -> None:
    assert spreadsheet_safe(cell) == expected


def test_csv_defuses_formulas_and_controls_json_stays_exact(tmp_path: Path) -> None:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
    rows = [  # a prompt of its own per account: no shared template links them
        {"account_id": account, "timestamp": at(hours=hour), "prompt": f"=1+{hour} " + f"{words[index]} " * 8}
        for index, account in enumerate(HOSTILE_ACCOUNTS)
        for hour in range(3)
    ]
    path = tmp_path / "hostile.parquet"
    requests_frame(rows).write_parquet(path)
    args = ["scan", str(path), "--min-severity", "info"]
    as_csv = CliRunner().invoke(main, [*args, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(table) == len(HOSTILE_ACCOUNTS)
    for row in table:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
            assert not any(ch in cell for ch in "\x00\x1b\x9b\u202e"), (column, cell)
    accounts = sorted(row["accounts"] for row in table)
    assert accounts == sorted(spreadsheet_safe(account) for account in HOSTILE_ACCOUNTS)
    assert all(float(row["score"]) >= 0 and int(row["n_requests"]) == 3 for row in table)

    as_json = CliRunner().invoke(main, [*args, "--format", "json"])
    exact = sorted(account for group in json.loads(as_json.stdout)["groups"] for account in group["accounts"])
    assert exact == sorted(HOSTILE_ACCOUNTS)
