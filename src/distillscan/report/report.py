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
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from distillscan import __version__
from distillscan.model.groups import SEVERITIES, severity_rank
from distillscan.model.scan import ScanResult
from distillscan.score.rank import topic_mix

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


def select_suppressed(result: ScanResult, selection: Selection) -> pl.DataFrame | None:
    """The allowlisted groups that pass the selection (None without an allowlist)."""
    if result.suppression is None:
        return None
    return select_groups(replace(result, report=result.suppression.report), selection)


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


def json_text(document: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII text kept readable, but C1 controls (which terminals obey,
    e.g. U+009B as CSI) escaped; the decoded data is unchanged."""
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return _C1_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def iso_utc(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z suffix; None stays None."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def plain_value(value: Any) -> Any:
    """JSON-ready value: floats rounded, NaN/inf as null, datetimes as RFC 3339."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, datetime):
        return iso_utc(value)
    return value


def summary_document(result: ScanResult, shown: pl.DataFrame) -> dict[str, Any]:
    """The `summary` object of the JSON report."""
    summary = result.summary
    by_severity = dict(result.report.groups.group_by("severity").agg(pl.len()).iter_rows())
    document = {
        "tool": {"name": "distillscan", "version": __version__},
        "files": list(summary.files),
        "preset": summary.preset,
        "preset_reason": summary.preset_reason,
        "presets_by_file": dict(summary.presets_by_file),
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
        "first_seen": iso_utc(summary.first_seen),
        "last_seen": iso_utc(summary.last_seen),
        "columns_available": list(summary.columns_available),
        "signals_available": sorted(name for name, on in summary.signals.items() if on),
        "signals_unavailable": sorted(name for name, on in summary.signals.items() if not on),
    }
    if result.baseline is not None:
        document["baseline"] = result.baseline.summary_document(shown["group_id"].to_list())
    if result.suppression is not None:
        document["suppressed"] = result.suppression.summary_document()
    return document


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
                "share": plain_value(row["share"]),
            }
        )
    documents = []
    for row in shown.iter_rows(named=True):
        group_id = row["group_id"]
        documents.append(
            {
                "group_id": group_id,
                "rank": row["rank"],
                "score": plain_value(row["score"]),
                "severity": row["severity"],
                "n_accounts": row["n_accounts"],
                "n_requests": row["n_requests"],
                "first_seen": iso_utc(row["first_seen"]),
                "last_seen": iso_utc(row["last_seen"]),
                "accounts": accounts_by_group.get(group_id, []),
                "templates": templates_by_group.get(group_id, []),
                "topics": topic_mix(row),
                "features": {name: plain_value(row.get(name)) for name in FEATURE_COLUMNS},
                "components": {
                    "content": plain_value(row["content"]),
                    "behaviour": plain_value(row["behaviour"]),
                    **{name: plain_value(row[f"c_{name}"]) for name in COMPONENT_COLUMNS},
                },
                "reasons": result.report.reasons.get(group_id, []),
            }
        )
        if result.baseline is not None:
            documents[-1]["baseline"] = result.baseline.group_document(group_id)
    return documents


def suppressed_documents(result: ScanResult, suppressed: pl.DataFrame) -> list[dict[str, Any]]:
    """Group objects for allowlisted groups (`--show-suppressed`), each marked
    `suppressed` with the allow entries that matched its members."""
    if result.suppression is None:
        return []
    view = replace(result, report=result.suppression.report, linkage=result.suppression.linkage,
                   baseline=None, suppression=None)
    entries = result.suppression.group_entries()
    return [
        {**document, "suppressed": True, "allowed_by": entries.get(document["group_id"], [])}
        for document in group_documents(view, suppressed)
    ]


def render_json(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """The full report as one JSON document, with a trailing newline; `suppressed`
    (allowlisted groups to list) adds `suppressed_groups`."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, shown),
        "groups": group_documents(result, shown),
    }
    if suppressed is not None:
        document["suppressed_groups"] = suppressed_documents(result, suppressed)
    return json_text(document, indent=2) + "\n"


def render_jsonl(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """One group object per line (each with schema_version), trailing newline; listed
    suppressed groups follow, marked `"suppressed": true`."""
    groups = group_documents(result, shown)
    if suppressed is not None:
        groups += suppressed_documents(result, suppressed)
    lines = [json_text({"schema_version": SCHEMA_VERSION, **group}) for group in groups]
    return "".join(line + "\n" for line in lines)


CSV_COLUMNS: Final[tuple[str, ...]] = (
    "rank", "group_id", "severity", "score", "n_accounts", "n_requests", "first_seen",
    "last_seen", "top_template", "top_skeleton", "reasons", "accounts",
)


BASELINE_CSV_COLUMNS: Final[tuple[str, ...]] = ("baseline_status", "baseline_group_id")
SUPPRESSED_CSV_COLUMNS: Final[tuple[str, ...]] = ("suppressed", "allowed_by")


def _flat_rows(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    groups = group_documents(result, shown)
    if suppressed is not None:
        groups += suppressed_documents(result, suppressed)
    rows = []
    for group in groups:
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
        if result.baseline is not None:
            status = group.get("baseline", {})
            rows[-1].update(baseline_status=status.get("status"), baseline_group_id=status.get("matched_group_id"))
        if suppressed is not None:
            rows[-1].update(suppressed=str(group.get("suppressed", False)).lower(),
                            allowed_by=";".join(group.get("allowed_by", [])))
    return rows


def render_csv(result: ScanResult, shown: pl.DataFrame, suppressed: pl.DataFrame | None = None) -> str:
    """One row per group; lists joined with ';' (accounts) and ' | ' (reasons). A
    baseline adds its status columns; listed suppressed groups follow, marked.

    CSV is read by spreadsheets, which run cells that look like formulas: every text
    cell passes through `spreadsheet_safe` and is quoted (so a carriage return inside
    one cannot end the row); numbers are written as they are.
    """
    columns = list(CSV_COLUMNS)
    if result.baseline is not None:
        columns += BASELINE_CSV_COLUMNS
    if suppressed is not None:
        columns += SUPPRESSED_CSV_COLUMNS
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writeheader()
    writer.writerows(
        {key: spreadsheet_safe(value) if isinstance(value, str) else value for key, value in row.items()}
        for row in _flat_rows(result, shown, suppressed)
    )
    return buffer.getvalue()


def write_parquet(result: ScanResult, shown: pl.DataFrame, path: Path) -> None:
    """Groups as a Parquet table, lists kept as list columns."""
    documents = group_documents(result, shown)
    baseline_status = pl.Series("baseline_status", [group.get("baseline", {}).get("status") for group in documents],
                                dtype=pl.String)
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
    if result.baseline is not None:
        frame = frame.with_columns(baseline_status)
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
    lines = [line]
    for gone in document["gone"][:10]:
        lines.append(Text(terminal_safe(
            f"gone: {gone['group_id']} (was #{gone['rank']} {gone['severity']}, {gone['n_accounts']:,} accounts, "
            f"{gone['n_requests']:,} requests)"
        ), style="dim"))
    return lines


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
        view = replace(result, report=result.suppression.report, linkage=result.suppression.linkage,
                       baseline=None, suppression=None)
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


def _table_rows(result: ScanResult, shown: pl.DataFrame, reasons_per_group: int) -> list[tuple[dict[str, Any], Text, list[str]]]:
    """Each shown group with its top template and first reasons, terminal-safe."""
    skeletons = _top_skeletons(result)
    return [
        (
            row,
            Text(terminal_safe(skeletons.get(row["group_id"], ""), limit=160), style="dim"),
            [terminal_safe(reason) for reason in result.report.reasons.get(row["group_id"], [])[:reasons_per_group]],
        )
        for row in shown.iter_rows(named=True)
    ]


def _render_rows(rows: list[tuple[dict[str, Any], Text, list[str]]], console: Console, title: str,
                 statuses: dict[str, str] | None) -> None:
    if console.width < TABLE_MIN_WIDTH:
        _render_blocks(rows, console, title, statuses)
    else:
        _render_wide(rows, console, title, statuses)


BASELINE_STYLES: Final[dict[str, str]] = {"new": "bold red", "grown": "bold yellow", "unchanged": "dim"}


def _render_wide(rows: list[tuple[dict[str, Any], Text, list[str]]], console: Console,
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


def _render_blocks(rows: list[tuple[dict[str, Any], Text, list[str]]], console: Console,
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


def write_text(text: str, output: Path | None, stdout: Any) -> None:
    """Write a machine-readable document to a file, or to stdout."""
    if output is None:
        stdout.write(text)
        stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")

