"""The scan report for a person: a Rich table of the ranked groups (blocks on a narrow
terminal) and a short summary of the input, the baseline and the allowlist.

Every log-derived string goes through `terminal_safe` into a `Text`, never markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import polars as pl
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from distillscan.model.groups import SEVERITIES
from distillscan.model.inputs import SkippedInput
from distillscan.model.scan import ScanResult
from distillscan.report.cells import top_skeletons
from distillscan.report.documents import groups_by_severity
from distillscan.report.safe import terminal_safe
from distillscan.report.selection import suppressed_scan

SEVERITY_STYLES: Final[dict[str, str]] = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
BASELINE_STYLES: Final[dict[str, str]] = {"new": "bold red", "grown": "bold yellow", "unchanged": "dim"}
# Below this width the table gets too cramped; each group is printed as a block instead.
TABLE_MIN_WIDTH: Final = 110

Row = tuple[dict[str, Any], Text, list[str]]
"""A group's row of the report, its top template's skeleton and its first reasons."""


def skipped_location(record: SkippedInput) -> str:
    """One terminal-safe line for a skipped input record."""
    where = record.path
    if record.line is not None:
        where += f":{record.line}"
    elif record.row is not None:
        where += f" row {record.row}"
    field = f" field '{record.field}'" if record.field else ""
    return terminal_safe(f"{where}{field}: {record.reason} ({record.rows:,} rows)")


def _span(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "—"
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M}–{last:%H:%M}"
    return f"{first:%Y-%m-%d} → {last:%Y-%m-%d}"


def _summary_lines(result: ScanResult, shown: pl.DataFrame) -> list[Text]:
    summary = result.summary
    counts = groups_by_severity(result.report.groups)
    severity_line = Text("groups: ")
    for name in SEVERITIES:
        severity_line.append(f"{name} {counts[name]}", style=SEVERITY_STYLES[name])
        severity_line.append("  ")
    facts = Text(
        f"{summary.rows_read:,} requests from {summary.accounts:,} accounts in "
        f"{len(summary.files)} file(s); {_span(summary.first_seen, summary.last_seen)}"
    )
    if summary.skipped:
        facts.append(f"; {summary.rows_skipped:,} rows skipped", style="bold yellow")
    if summary.rows_duplicate:
        facts.append(f"; {summary.rows_duplicate:,} duplicate rows dropped")
    read_as = Text(terminal_safe(f"read as {summary.preset}: {summary.preset_reason}"), style="dim")
    lines = [facts, severity_line, read_as]
    lines.extend(Text(f"skipped: {skipped_location(record)}", style="yellow") for record in summary.skipped[:10])
    unavailable = sorted(name for name, on in summary.signals.items() if not on)
    if unavailable:
        lines.append(Text("signals off (columns missing): " + ", ".join(unavailable), style="dim"))
    if summary.signals_unknown:
        lines.append(Text(
            "evidence unknown, left out of scores: " + "; ".join(
                f"{family.replace('_', ' ')} ({reason})" for family, reason in summary.signals_unknown.items()
            ),
            style="dim",
        ))
    lines.extend(_baseline_lines(result, shown))
    lines.extend(_suppressed_lines(result))
    return lines


def _baseline_lines(result: ScanResult, shown: pl.DataFrame) -> list[Text]:
    """The baseline's status counts over the shown groups, and the groups gone."""
    if result.baseline is None:
        return []
    document = result.baseline.summary_document(shown["group_id"].to_list())
    counts = ", ".join(f"{count} {status}" for status, count in document["reported"].items())
    suppressed = f"; {len(document['now_suppressed'])} now allowlisted" if document["now_suppressed"] else ""
    line = Text(terminal_safe(f"baseline {document['file']}: {counts}; {len(document['gone'])} gone{suppressed}"))
    gone_lines = [
        Text(terminal_safe(
            f"gone: {gone['group_id']} (was #{gone['rank']} {gone['severity']}, {gone['n_accounts']:,} accounts, "
            f"{gone['n_requests']:,} requests)"
        ), style="dim")
        for gone in document["gone"][:10]
    ]
    return [line, *gone_lines]


def _suppressed_lines(result: ScanResult) -> list[Text]:
    """What the allowlist suppressed: accounts, groups by severity, entries that matched."""
    if result.suppression is None:
        return []
    document = result.suppression.summary_document()
    severities = "  ".join(f"{name} {count}" for name, count in document["groups_by_severity"].items() if count)
    entries = document["entries"]
    shown_entries = ", ".join(f"{entry['entry']} ({entry['accounts']})" for entry in entries[:5])
    more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
    return [Text(terminal_safe(
        f"suppressed (allowlisted): {document['accounts']:,} accounts in {document['groups']:,} group(s)"
        f"{': ' + severities if severities else ''}; matched {shown_entries or 'nothing'}{more}"
    ), style="magenta")]


def render_table(result: ScanResult, shown: pl.DataFrame, console: Console, reasons_per_group: int = 3,
                 suppressed: pl.DataFrame | None = None) -> None:
    """Print the ranked groups and a short summary for a person; `suppressed` lists
    allowlisted groups in a second table.

    Every log-derived string goes through `terminal_safe` into a `Text`, never markup.
    """
    summary_lines = _summary_lines(result, shown)
    listed_suppressed = suppressed is not None and suppressed.height > 0 and result.suppression is not None
    if shown.height == 0 and not listed_suppressed:
        console.print(Group(*summary_lines, Text("No groups at or above the chosen severity/score.")))
        return
    statuses = result.baseline.status_of(shown["group_id"].to_list()) if result.baseline is not None else None
    if shown.height:
        _render_rows(_table_rows(result, shown, reasons_per_group), console, "Suspect account groups", statuses)
    else:
        console.print(Text("No groups at or above the chosen severity/score."))
    if listed_suppressed:
        assert suppressed is not None and result.suppression is not None
        view = suppressed_scan(result, result.suppression)
        entries = result.suppression.group_entries()
        rows = [
            (row, skeleton, [_allowed_by(entries.get(row["group_id"], [])), *reasons])
            for row, skeleton, reasons in _table_rows(view, suppressed, reasons_per_group)
        ]
        _render_rows(rows, console, "Suppressed groups (allowlisted; they never fail the gate)", None)
    console.print(Group(*summary_lines))


def _allowed_by(entries: list[str], limit: int = 3) -> str:
    """'allowed by ...' for a suppressed group, terminal-safe (entries quote log ids)."""
    more = f" and {len(entries) - limit} more" if len(entries) > limit else ""
    return terminal_safe("allowed by " + ", ".join(entries[:limit]) + more)


def _table_rows(result: ScanResult, shown: pl.DataFrame, reasons_per_group: int) -> list[Row]:
    """Each shown group with its top template and first reasons, terminal-safe."""
    skeletons = top_skeletons(result)
    return [
        (
            row,
            Text(terminal_safe(skeletons.get(row["group_id"], ""), limit=160), style="dim"),
            [terminal_safe(reason) for reason in result.report.reasons.get(row["group_id"], [])[:reasons_per_group]],
        )
        for row in shown.iter_rows(named=True)
    ]


def _render_rows(rows: list[Row], console: Console, title: str,
                 statuses: dict[str, str] | None) -> None:
    if console.width < TABLE_MIN_WIDTH:
        _render_blocks(rows, console, title, statuses)
    else:
        _render_wide(rows, console, title, statuses)


def _render_wide(rows: list[Row], console: Console,
                 title: str = "Suspect account groups", statuses: dict[str, str] | None = None) -> None:
    table = Table(title=title, box=box.SIMPLE_HEAVY, show_lines=True,
                  title_justify="left")
    columns = [("#", "right"), ("severity", "left"), ("score", "right"),
               ("accounts", "right"), ("requests", "right"), ("seen", "left")]
    if statuses is not None:
        columns.insert(1, ("baseline", "left"))
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("top template", ratio=2, overflow="fold")
    table.add_column("why", ratio=3, overflow="fold")
    for row, skeleton, reasons in rows:
        status = [] if statuses is None else [_status_text(statuses, row["group_id"])]
        table.add_row(
            Text(str(row["rank"])),
            *status,
            Text(row["severity"], style=SEVERITY_STYLES[row["severity"]]),
            Text(f"{row['score']:.2f}"),
            Text(f"{row['n_accounts']:,}"),
            Text(f"{row['n_requests']:,}"),
            Text(_span(row["first_seen"], row["last_seen"])),
            skeleton,
            Text("\n".join(f"• {reason}" for reason in reasons)),
        )
    console.print(table)


def _status_text(statuses: dict[str, str], group_id: str) -> Text:
    status = statuses.get(group_id, "new")
    return Text(status, style=BASELINE_STYLES[status])


def _render_blocks(rows: list[Row], console: Console,
                   title: str = "Suspect account groups", statuses: dict[str, str] | None = None) -> None:
    console.print(Text(title, style="italic"))
    for row, skeleton, reasons in rows:
        header = Text(f"#{row['rank']} ")
        if statuses is not None:
            header.append(_status_text(statuses, row["group_id"])).append(" ")
        header.append(row["severity"], style=SEVERITY_STYLES[row["severity"]])
        header.append(
            f" {row['score']:.2f}  {row['n_accounts']:,} accounts  {row['n_requests']:,} requests  "
            f"{_span(row['first_seen'], row['last_seen'])}  {row['group_id']}"
        )
        console.print(header)
        console.print(Text("  template: ").append(skeleton))
        for reason in reasons:
            console.print(Text(f"  • {reason}"))
        console.print()
