"""Stage 6: turn scored groups into documents (JSON, JSONL, CSV, Parquet) and Rich tables.

Log text is hostile: an attacker writes the prompts we display. Every log-derived
string shown in a terminal passes through `terminal_safe` (escape sequences and
control characters removed) and is rendered as a Rich `Text`, which never parses
markup. Machine formats keep the data exact; their encoders escape it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from distillscan import __version__
from distillscan.pipeline import ScanResult
from distillscan.score import SEVERITIES, severity_rank, topic_mix

SCHEMA_VERSION: Final = 1

FEATURE_COLUMNS: Final[tuple[str, ...]] = (
    "templated_share", "top_template_share", "top3_template_share", "n_templates",
    "cot_share", "image_share", "tool_result_share", "high_value_share", "top_topic", "topic_focus", "n_topics", "topic_entropy",
    "multi_turn_share",
    "fixed_params_share", "member_quiet_share", "hour_entropy", "active_days",
    "account_volume_cv", "creation_burst_accounts", "creation_burst_share", "fresh_account_share",
    "templated_cot_share", "templated_cot_requests", "shared_cot_share",
    "n_ips", "n_subnets", "n_user_agents", "n_payments", "n_orgs",
    "input_tokens", "output_tokens", "pivot_lift", "new_model",
)
COMPONENT_COLUMNS: Final[tuple[str, ...]] = (
    "templated", "cot", "capability", "single_turn", "fixed_params", "automation",
    "shared_infra", "creation_burst", "load_balance", "scale", "coordination", "pivot",
    "fresh_accounts", "cot_stream", "shared_stream",
)
SEVERITY_STYLES: Final[dict[str, str]] = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}

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


@dataclass(frozen=True)
class Selection:
    """Which groups a report shows."""

    top: int | None = None
    min_score: float = 0.0
    min_severity: str = "info"


def select_groups(result: ScanResult, selection: Selection) -> pl.DataFrame:
    """The ranked groups that pass the selection, in rank order."""
    allowed = SEVERITIES[: severity_rank(selection.min_severity) + 1]
    chosen = result.report.groups.filter(
        (pl.col("score") >= selection.min_score) & pl.col("severity").is_in(list(allowed))
    ).sort("rank")
    return chosen.head(selection.top) if selection.top is not None else chosen


def skipped_location(record: Any) -> str:
    """One terminal-safe line for a skipped input record."""
    where = record.path
    if record.line is not None:
        where += f":{record.line}"
    elif record.row is not None:
        where += f" row {record.row}"
    field = f" field '{record.field}'" if record.field else ""
    return terminal_safe(f"{where}{field}: {record.reason} ({record.rows:,} rows)")


_C1_CONTROLS: Final = re.compile(r"[\x80-\x9f]")


def _json_text(document: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII text kept readable, but C1 controls (which terminals obey,
    e.g. U+009B as CSI) escaped; the decoded data is unchanged."""
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return _C1_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _plain(value: Any) -> Any:
    """JSON-ready value: floats rounded, NaN/inf as null, datetimes as RFC 3339."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, datetime):
        return _iso(value)
    return value


def summary_document(result: ScanResult, shown: pl.DataFrame) -> dict[str, Any]:
    """The `summary` object of the JSON report."""
    summary = result.summary
    by_severity = dict(result.report.groups.group_by("severity").agg(pl.len()).iter_rows())
    return {
        "tool": {"name": "distillscan", "version": __version__},
        "files": list(summary.files),
        "preset": summary.preset,
        "preset_reason": summary.preset_reason,
        "rows_in": summary.rows_in,
        "rows_read": summary.rows_read,
        "rows_skipped": summary.rows_skipped,
        "rows_duplicate": summary.rows_duplicate,
        "skipped": [
            {
                "path": record.path, "line": record.line, "row": record.row,
                "field": record.field, "reason": record.reason, "rows": record.rows,
            }
            for record in summary.skipped
        ],
        "accounts": summary.accounts,
        "groups_total": result.report.groups.height,
        "groups_reported": shown.height,
        "groups_by_severity": {name: int(by_severity.get(name, 0)) for name in SEVERITIES},
        "first_seen": _iso(summary.first_seen),
        "last_seen": _iso(summary.last_seen),
        "columns_available": list(summary.columns_available),
        "signals_available": sorted(name for name, on in summary.signals.items() if on),
        "signals_unavailable": sorted(name for name, on in summary.signals.items() if not on),
    }


def group_documents(result: ScanResult, shown: pl.DataFrame) -> list[dict[str, Any]]:
    """One JSON-ready object per shown group, in rank order."""
    members = (
        result.linkage.membership.filter(pl.col("group_id").is_in(shown["group_id"].implode()))
        .sort("account_id")
        .group_by("group_id", maintain_order=True)
        .agg(pl.col("account_id"))
    )
    accounts_by_group = dict(members.iter_rows())
    templates = result.report.templates.filter(pl.col("group_id").is_in(shown["group_id"].implode()))
    templates_by_group: dict[str, list[dict[str, Any]]] = {}
    for row in templates.iter_rows(named=True):
        templates_by_group.setdefault(row["group_id"], []).append(
            {
                "template": row["template"],
                "skeleton": row["skeleton"],
                "n_requests": row["n_requests"],
                "n_accounts": row["n_accounts"],
                "share": _plain(row["share"]),
            }
        )
    documents = []
    for row in shown.iter_rows(named=True):
        group_id = row["group_id"]
        documents.append(
            {
                "group_id": group_id,
                "rank": row["rank"],
                "score": _plain(row["score"]),
                "severity": row["severity"],
                "n_accounts": row["n_accounts"],
                "n_requests": row["n_requests"],
                "first_seen": _iso(row["first_seen"]),
                "last_seen": _iso(row["last_seen"]),
                "accounts": accounts_by_group.get(group_id, []),
                "templates": templates_by_group.get(group_id, []),
                "topics": topic_mix(row),
                "features": {name: _plain(row.get(name)) for name in FEATURE_COLUMNS},
                "components": {
                    "content": _plain(row["content"]),
                    "behaviour": _plain(row["behaviour"]),
                    **{name: _plain(row[f"c_{name}"]) for name in COMPONENT_COLUMNS},
                },
                "reasons": result.report.reasons.get(group_id, []),
            }
        )
    return documents


def render_json(result: ScanResult, shown: pl.DataFrame) -> str:
    """The full report as one JSON document, with a trailing newline."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, shown),
        "groups": group_documents(result, shown),
    }
    return _json_text(document, indent=2) + "\n"


def render_jsonl(result: ScanResult, shown: pl.DataFrame) -> str:
    """One group object per line (each with schema_version), trailing newline."""
    lines = [
        _json_text({"schema_version": SCHEMA_VERSION, **group})
        for group in group_documents(result, shown)
    ]
    return "".join(line + "\n" for line in lines)


CSV_COLUMNS: Final[tuple[str, ...]] = (
    "rank", "group_id", "severity", "score", "n_accounts", "n_requests", "first_seen",
    "last_seen", "top_template", "top_skeleton", "reasons", "accounts",
)


def _flat_rows(result: ScanResult, shown: pl.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for group in group_documents(result, shown):
        top = group["templates"][0] if group["templates"] else {}
        rows.append(
            {
                "rank": group["rank"],
                "group_id": group["group_id"],
                "severity": group["severity"],
                "score": group["score"],
                "n_accounts": group["n_accounts"],
                "n_requests": group["n_requests"],
                "first_seen": group["first_seen"],
                "last_seen": group["last_seen"],
                "top_template": top.get("template"),
                "top_skeleton": top.get("skeleton"),
                "reasons": " | ".join(group["reasons"]),
                "accounts": ";".join(group["accounts"]),
            }
        )
    return rows


def render_csv(result: ScanResult, shown: pl.DataFrame) -> str:
    """One row per group; lists joined with ';' (accounts) and ' | ' (reasons).

    CSV is read by spreadsheets, which run cells that look like formulas: every text
    cell passes through `spreadsheet_safe` and is quoted (so a carriage return inside
    one cannot end the row); numbers are written as they are.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writeheader()
    writer.writerows(
        {key: spreadsheet_safe(value) if isinstance(value, str) else value for key, value in row.items()}
        for row in _flat_rows(result, shown)
    )
    return buffer.getvalue()


def write_parquet(result: ScanResult, shown: pl.DataFrame, path: Path) -> None:
    """Groups as a Parquet table, lists kept as list columns."""
    documents = group_documents(result, shown)
    frame = pl.DataFrame(
        [
            {
                **{key: group[key] for key in ("rank", "group_id", "severity", "score",
                                               "n_accounts", "n_requests", "first_seen",
                                               "last_seen", "accounts", "reasons")},
                "templates": [template["template"] for template in group["templates"]],
            }
            for group in documents
        ],
        schema={
            "rank": pl.UInt32, "group_id": pl.String, "severity": pl.String,
            "score": pl.Float64, "n_accounts": pl.UInt32, "n_requests": pl.UInt32,
            "first_seen": pl.String, "last_seen": pl.String, "accounts": pl.List(pl.String),
            "reasons": pl.List(pl.String), "templates": pl.List(pl.String),
        },
    )
    frame.write_parquet(path)


def _span(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "—"
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M}–{last:%H:%M}"
    return f"{first:%Y-%m-%d} → {last:%Y-%m-%d}"


# Below this width the table gets too cramped; each group is printed as a block instead.
TABLE_MIN_WIDTH: Final = 110


def _top_skeletons(result: ScanResult) -> dict[str, str]:
    return {
        row["group_id"]: row["skeleton"]
        for row in result.report.templates.sort(["n_requests", "template"], descending=[True, False])
        .unique("group_id", keep="first", maintain_order=True)
        .iter_rows(named=True)
    }


def _summary_lines(result: ScanResult, shown: pl.DataFrame) -> list[Text]:
    summary = result.summary
    counts = summary_document(result, shown)["groups_by_severity"]
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
    lines = [facts, severity_line, Text(terminal_safe(f"read as {summary.preset}: {summary.preset_reason}"), style="dim")]
    lines.extend(Text(f"skipped: {skipped_location(record)}", style="yellow") for record in summary.skipped[:10])
    unavailable = sorted(name for name, on in summary.signals.items() if not on)
    if unavailable:
        lines.append(Text("signals off (columns missing): " + ", ".join(unavailable), style="dim"))
    return lines


def render_table(result: ScanResult, shown: pl.DataFrame, console: Console, reasons_per_group: int = 3) -> None:
    """Print the ranked groups and a short summary for a person.

    Every log-derived string goes through `terminal_safe` into a `Text`, never markup.
    """
    summary_lines = _summary_lines(result, shown)
    if shown.height == 0:
        console.print(Group(*summary_lines, Text("No groups at or above the chosen severity/score.")))
        return
    skeletons = _top_skeletons(result)
    rows = [
        (
            row,
            Text(terminal_safe(skeletons.get(row["group_id"], ""), limit=160), style="dim"),
            [terminal_safe(reason) for reason in result.report.reasons.get(row["group_id"], [])[:reasons_per_group]],
        )
        for row in shown.iter_rows(named=True)
    ]
    if console.width < TABLE_MIN_WIDTH:
        _render_blocks(rows, console)
    else:
        _render_wide(rows, console)
    console.print(Group(*summary_lines))


def _render_wide(rows: list[tuple[dict[str, Any], Text, list[str]]], console: Console) -> None:
    table = Table(title="Suspect account groups", box=box.SIMPLE_HEAVY, show_lines=True,
                  title_justify="left")
    for name, justify in (("#", "right"), ("severity", "left"), ("score", "right"),
                          ("accounts", "right"), ("requests", "right"), ("seen", "left")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("top template", ratio=2, overflow="fold")
    table.add_column("why", ratio=3, overflow="fold")
    for row, skeleton, reasons in rows:
        table.add_row(
            Text(str(row["rank"])),
            Text(row["severity"], style=SEVERITY_STYLES[row["severity"]]),
            Text(f"{row['score']:.2f}"),
            Text(f"{row['n_accounts']:,}"),
            Text(f"{row['n_requests']:,}"),
            Text(_span(row["first_seen"], row["last_seen"])),
            skeleton,
            Text("\n".join(f"• {reason}" for reason in reasons)),
        )
    console.print(table)


def _render_blocks(rows: list[tuple[dict[str, Any], Text, list[str]]], console: Console) -> None:
    console.print(Text("Suspect account groups", style="italic"))
    for row, skeleton, reasons in rows:
        header = Text(f"#{row['rank']} ")
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


def write_text(text: str, output: Path | None, stdout: Any) -> None:
    """Write a machine-readable document to a file, or to stdout."""
    if output is None:
        stdout.write(text)
        stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")

