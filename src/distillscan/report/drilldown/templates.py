"""The template catalogue (`templates`): printed for a person, or as JSON or CSV."""

from __future__ import annotations

from typing import Final

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from distillscan.model.scan import ScanResult
from distillscan.report.cells import day, percent
from distillscan.report.documents import SCHEMA_VERSION, json_text, records, summary_document
from distillscan.report.formats import csv_text
from distillscan.report.safe import safe_text, terminal_safe
from distillscan.report.table import SEVERITY_STYLES

TEMPLATE_CSV_COLUMNS: Final[tuple[str, ...]] = (
    "template", "skeleton", "n_requests", "n_accounts", "share", "cot_share", "first_seen",
    "last_seen", "n_groups", "max_severity", "groups",
)


def _groups_cell(groups: list[str] | None, severity: str | None, limit: int = 2) -> Text:
    """The first groups sending a template, how many more, and the worst severity."""
    names = groups or []
    text = Text(terminal_safe(", ".join(names[:limit])))
    if len(names) > limit:
        text.append(f" +{len(names) - limit}", style="dim")
    if severity:
        text.append(f" ({severity})", style=SEVERITY_STYLES.get(severity, ""))
    return text


def render_templates(catalog: pl.DataFrame, console: Console, total_templates: int) -> None:
    """Print the template catalogue for a person."""
    if catalog.height == 0:
        console.print(Text("No templates with that many requests."))
        return
    title = f"Prompt templates (showing {catalog.height:,} of {total_templates:,})"
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", show_lines=True)
    for name, justify in (("template", "left"), ("requests", "right"), ("share", "right"),
                          ("accounts", "right"), ("CoT", "right"), ("first → last seen", "left")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("groups, most suspicious first", max_width=30)
    table.add_column("skeleton", overflow="fold", ratio=1, min_width=40)
    for row in catalog.iter_rows(named=True):
        table.add_row(
            safe_text(row["template"]),
            f"{row['n_requests']:,}",
            percent(row["share"]),
            f"{row['n_accounts']:,}",
            percent(row["cot_share"]),
            f"{day(row['first_seen'])} → {day(row['last_seen'])}",
            _groups_cell(row["groups"], row["max_severity"]),
            safe_text(row["skeleton"], 200, style="dim"),
        )
    console.print(table)


def render_templates_json(result: ScanResult, catalog: pl.DataFrame) -> str:
    """The catalogue as one JSON document, with the scan summary."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, result.report.groups),
        "templates": records(catalog, list(TEMPLATE_CSV_COLUMNS)),
    }
    return json_text(document, indent=2) + "\n"


def render_templates_csv(catalog: pl.DataFrame) -> str:
    """One row per template; `groups` joined with ';'."""
    rows = records(catalog, list(TEMPLATE_CSV_COLUMNS))
    for row in rows:
        row["groups"] = ";".join(row["groups"] or [])
    return csv_text(rows, TEMPLATE_CSV_COLUMNS)
