"""The account table (`accounts`): printed for a person, or as JSON, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from distillscan.model.scan import ScanResult
from distillscan.report.cells import count_cell, day, percent, quiet_hours_cell, top_topic_cell
from distillscan.report.documents import SCHEMA_VERSION, json_text, records, summary_document
from distillscan.report.formats import csv_text
from distillscan.report.safe import safe_text
from distillscan.report.table import SEVERITY_STYLES


def render_accounts(accounts: pl.DataFrame, console: Console, matching: int, total_accounts: int) -> None:
    """Print per-account figures for a person."""
    if accounts.height == 0:
        console.print(Text("No accounts."))
        return
    of = f"{matching:,}" if matching == total_accounts else f"{matching:,} matching; {total_accounts:,} in the log"
    table = Table(title=f"Accounts (showing {accounts.height:,} of {of})",
                  box=box.SIMPLE_HEAVY, title_justify="left")
    left = {"account", "group", "severity", "first seen", "last seen", "top topic"}
    for name in ("account", "group", "#", "severity", "score", "requests", "first seen", "last seen",
                 "templated", "CoT", "top topic", "quiet 6h", "IPs", "payments"):
        table.add_column(name, justify="left" if name in left else "right", no_wrap=name != "top topic")
    for row in accounts.iter_rows(named=True):
        table.add_row(
            safe_text(row["account_id"], 40),
            safe_text(row["group_id"]),
            str(row["rank"]),
            Text(row["severity"], style=SEVERITY_STYLES[row["severity"]]),
            f"{row['score']:.2f}",
            f"{row['n_requests']:,}",
            day(row["first_seen"]),
            day(row["last_seen"]),
            percent(row["templated_share"]),
            percent(row["cot_share"]),
            Text(top_topic_cell(row)),
            quiet_hours_cell(row),
            count_cell(row["n_ips"]),
            count_cell(row["n_payments"]),
        )
    console.print(table)


def render_accounts_json(result: ScanResult, accounts: pl.DataFrame) -> str:
    """The accounts as one JSON document, with the summary of the groups they are in."""
    shown = result.report.groups.filter(pl.col("group_id").is_in(accounts["group_id"].unique().implode()))
    document = {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, shown),
        "accounts": records(accounts),
    }
    return json_text(document, indent=2) + "\n"


def render_accounts_csv(accounts: pl.DataFrame) -> str:
    """One row per account, every column."""
    return csv_text(records(accounts), accounts.columns)


def write_accounts_parquet(accounts: pl.DataFrame, path: Path) -> None:
    """The accounts as a Parquet table, values exact."""
    accounts.write_parquet(path)
