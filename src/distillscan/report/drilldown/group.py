"""One group's drill-down (`explain`): printed for a person, or as a JSON document."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from distillscan.model.scan import ScanResult
from distillscan.model.views import ActivityGrid, GroupView, activity_grid, link_summary
from distillscan.report.cells import (
    count_cell,
    example_prompt,
    lag_cell,
    minute,
    percent,
    quiet_hours_cell,
    top_topic_cell,
    topic_name,
)
from distillscan.report.documents import (
    SCHEMA_VERSION,
    group_documents,
    json_ready,
    json_text,
    records,
    summary_document,
)
from distillscan.report.safe import safe_text, terminal_safe
from distillscan.report.table import SEVERITY_STYLES

# Characters of an activity cell, from one request to the busiest hour.
LEVELS: Final = "▁▂▃▄▅▆▇█"
IDLE: Final = "·"
BAR_WIDTH: Final = 30
# Values of each infrastructure kind listed in the terminal.
VALUES_PER_KIND: Final = 5
# The strongest links listed under the kinds of evidence.
LINKS_SHOWN: Final = 5
# Columns of each example request in the JSON document.
EXAMPLE_COLUMNS: Final[tuple[str, ...]] = ("account_id", "timestamp", "model", "system", "prompt", "prompt_chars")


def _level(value: float, peak: float) -> str:
    """The block character for a positive `value` out of `peak`."""
    return LEVELS[min(len(LEVELS) - 1, math.ceil(len(LEVELS) * value / peak) - 1)]


def _cell(n: int, peak: int) -> str:
    return IDLE if n <= 0 or peak <= 0 else _level(n, peak)


def heat_strip(grid: ActivityGrid) -> list[Text]:
    """One line per row of days: a character per hour, darker for more requests."""
    peak = grid.peak
    header = Text("             " + "".join(f"{hour:<6}" for hour in range(0, 24, 6)) + "  requests", style="dim")
    lines = [header]
    for (first, days), cells, total in zip(grid.rows, grid.cells, grid.row_totals, strict=True):
        label = f"{first:%m-%d %a}" + (f" +{days - 1}d" if days > 1 else "")
        line = Text(f"{label:<13}")
        for n in cells:
            line.append(_cell(n, peak), style="dim" if n == 0 else "green")
        line.append(f"  {total:,}")
        lines.append(line)
    hours_peak = max(grid.hour_totals, default=0)
    footer = Text(f"{'all days':<13}")
    for n in grid.hour_totals:
        footer.append(_cell(n, hours_peak), style="dim" if n == 0 else "bold green")
    footer.append(f"  {sum(grid.row_totals):,}")
    lines.append(footer)
    return lines


def sparkline(values: Sequence[float]) -> str:
    """Values 0..max as block characters."""
    peak = max(values, default=0.0)
    return "".join(" " if value <= 0 or peak <= 0 else _level(value, peak) for value in values)


def _title(text: str) -> Text:
    return Text(text, style="bold underline")


def _component_table(view: GroupView) -> Table:
    table = Table(box=box.SIMPLE, title_justify="left", show_edge=False)
    for name, justify in (("component", "left"), ("value", "right"), ("weight", "right"),
                          ("feeds", "left"), ("meaning", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for part in view.components:
        strong = part.value is not None and part.value >= 0.5 and part.name not in {"scale"}
        table.add_row(
            Text(part.name, style="bold" if part.feeds == "score" else ""),
            Text("unknown" if part.value is None else f"{part.value:.2f}", style="bold" if strong else "dim"),
            Text("" if part.weight is None else f"{part.weight:.2f}"),
            Text(part.feeds, style="dim"),
            Text(part.meaning, style="dim"),
        )
    return table


def _short(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%m-%d %H:%M}"


def _accounts_table(view: GroupView, limit: int) -> Table:
    table = Table(box=box.SIMPLE, show_edge=False)
    left = {"account", "first seen", "last seen", "top topic"}
    for name in ("account", "requests", "first seen", "last seen", "days", "templated", "CoT",
                 "top topic", "quiet 6h", "new model 24h", "IPs", "payments", "UAs"):
        table.add_column(name, justify="left" if name in left else "right", no_wrap=name != "top topic")
    for row in view.accounts.head(limit).iter_rows(named=True):
        table.add_row(
            safe_text(row["account_id"], 40),
            f"{row['n_requests']:,}",
            _short(row["first_seen"]),
            _short(row["last_seen"]),
            str(row["active_days"] or 0),
            percent(row["templated_share"]),
            percent(row["cot_share"]),
            Text(top_topic_cell(row)),
            quiet_hours_cell(row),
            percent(row["new_model_share_24h"]),
            *[count_cell(row[name]) for name in ("n_ips", "n_payments", "n_user_agents")],
        )
    return table


def _templates_table(view: GroupView, limit: int) -> Table:
    table = Table(box=box.SIMPLE, show_edge=False, show_lines=False)
    for name, justify in (("template", "left"), ("requests", "right"), ("share", "right"),
                          ("accounts group/log", "right"), ("CoT", "right"), ("seen", "left")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("skeleton · examples", overflow="fold", ratio=1)
    examples = view.examples
    for row in view.templates.head(limit).iter_rows(named=True):
        body = safe_text(row["skeleton"], 220)
        if examples is not None:
            for example in examples.filter(pl.col("template_fp") == row["template_fp"]).iter_rows(named=True):
                who = f"{example['account_id']} {minute(example['timestamp'])} {example['model'] or ''}: "
                body.append("\n  ↳ ", style="dim")
                body.append(terminal_safe(who, 80), style="dim")
                body.append(terminal_safe(example_prompt(example), 200), style="italic")
        table.add_row(
            safe_text(row["template"]),
            f"{row['n_requests']:,}",
            percent(row["share"]),
            f"{row['n_accounts']:,}/{row['n_accounts_total']:,}",
            percent(row["cot_share"]),
            f"{row['first_seen']:%m-%d} → {row['last_seen']:%m-%d}",
            body,
        )
    return table


def _topic_lines(view: GroupView) -> list[Text]:
    lines = []
    for row in view.topics.iter_rows(named=True):
        filled = round(BAR_WIDTH * row["share"])
        line = Text(f"  {topic_name(row['topic']):<18}")
        line.append("█" * filled, style="magenta" if row["high_value"] else "blue")
        line.append("░" * (BAR_WIDTH - filled), style="dim")
        line.append(f" {percent(row['share']):>4}  {row['n']:,}")
        lines.append(line)
    return lines


def _infrastructure_table(view: GroupView) -> Table:
    table = Table(box=box.SIMPLE, show_edge=False)
    for name in ("kind", "value", "accounts in group", "accounts in log", "requests"):
        table.add_column(name, justify="left" if name in {"kind", "value"} else "right")
    for kind, rows in view.infrastructure.group_by("kind", maintain_order=True):
        shown = rows.head(VALUES_PER_KIND)
        for row in shown.iter_rows(named=True):
            shared = row["n_accounts"] >= 2
            table.add_row(
                Text(str(kind[0])),
                safe_text(row["value"], 60, style="bold" if shared else ""),
                f"{row['n_accounts']:,}",
                f"{row['n_accounts_total']:,}",
                f"{row['n_requests']:,}",
            )
        if rows.height > shown.height:
            table.add_row(Text(str(kind[0])), Text(f"… {rows.height - shown.height:,} more", style="dim"), "", "", "")
    return table


def _link_lines(view: GroupView) -> list[Text | Table]:
    """What ties the members together: the kinds of evidence their strongest links
    share, then the strongest links themselves."""
    if view.links.is_empty():
        return [Text("  no member is linked to another (a group of one, or accounts set apart)", style="dim")]
    table = Table(box=box.SIMPLE, show_edge=False)
    for name in ("evidence", "links", "members"):
        table.add_column(name, justify="left" if name == "evidence" else "right")
    for row in link_summary(view.links).iter_rows(named=True):
        table.add_row(row["label"], f"{row['links']:,}", f"{row['members']:,}")
    lines: list[Text | Table] = [table]
    for row in view.links.head(LINKS_SHOWN).iter_rows(named=True):
        line = Text("  ")
        line.append(terminal_safe(row["a"], 40), style="bold")
        line.append(" — ")
        line.append(terminal_safe(row["b"], 40), style="bold")
        line.append(f"  {row['similarity']:.2f}  {', '.join(row['kinds'])}", style="dim")
        lines.append(line)
    if view.links.height > LINKS_SHOWN:
        lines.append(Text(f"  … {view.links.height - LINKS_SHOWN:,} more links (--format json lists them all)",
                          style="dim"))
    return lines


def _model_lines(view: GroupView) -> list[Text | Table]:
    table = Table(box=box.SIMPLE, show_edge=False)
    for name in ("model", "requests", "share", "group's first use", "first in log", "lag"):
        table.add_column(name, justify="right" if name in {"requests", "share", "lag"} else "left")
    for row in view.models.iter_rows(named=True):
        table.add_row(
            safe_text(row["model"] if row["model"] is not None else "(none)", 40),
            f"{row['n_requests']:,}",
            percent(row["share"]),
            minute(row["first_seen"]),
            minute(row["log_first_seen"]),
            lag_cell(row["lag_hours"]),
        )
    lines: list[Text | Table] = [table]
    release = view.release
    if release is None:
        lines.append(Text("No model appeared after the log's first day.", style="dim"))
        return lines
    text = Text("newest model ")
    text.append(terminal_safe(release.model, 40), style="bold")
    text.append(f" first appeared {minute(release.released_at)} UTC; ")
    if release.group_first_use is None:
        text.append("this group never used it.")
    else:
        text.append(
            f"this group first used it {release.lag_hours:.1f} h later; "
            f"{percent(release.group_share_24h)} of its traffic in the next 24 h "
            f"(platform {percent(release.platform_share_24h)}; scored lift {release.pivot_lift:+.0%}"
            f"{'' if release.active_before else ', not counted: idle the week before'})."
        )
    lines.append(text)
    daily = view.model_days.group_by("day").agg(
        total=pl.col("n").sum(), new=pl.col("n").filter(pl.col("model") == release.model).sum()
    ).sort("day")
    if daily.height and release.group_first_use is not None:
        shares = [new / total if total else 0.0 for new, total in zip(daily["new"], daily["total"], strict=True)]
        line = Text(f"daily share on {terminal_safe(release.model, 40)}: ")
        line.append(sparkline(shares), style="green")
        line.append(f"  ({daily['day'][0]:%m-%d} → {daily['day'][-1]:%m-%d}, peak {percent(max(shares))})", style="dim")
        lines.append(line)
    return lines


def render_group(view: GroupView, console: Console, accounts_limit: int = 15, templates_limit: int = 10) -> None:
    """Print everything about one group for a person."""
    group = view.group
    header = Text(f"Group {view.group_id}  #{group['rank']}  ")
    header.append(group["severity"], style=SEVERITY_STYLES[group["severity"]])
    header.append(f"  score {group['score']:.2f}")
    console.print(header)
    console.print(Text(
        f"{group['n_accounts']:,} accounts · {group['n_requests']:,} requests · "
        f"{minute(group['first_seen'])} → {minute(group['last_seen'])} UTC", style="dim"))
    console.print()
    if view.reasons:
        console.print(_title("Why"))
        for reason in view.reasons:
            console.print(Text(f" • {terminal_safe(reason)}"))
        console.print()
    console.print(_title("Score components"))
    console.print(_component_table(view))
    shown = min(accounts_limit, view.accounts.height)
    console.print(_title(f"Accounts ({view.accounts.height:,}; busiest {shown} shown)"))
    console.print(_accounts_table(view, accounts_limit))
    if view.accounts.height > shown:
        console.print(Text(f"  all members: distillscan accounts LOGS --group {view.group_id}", style="dim"))
    console.print()
    console.print(_title("Links"))
    console.print(Text("  each linked member's strongest link to another member, by the evidence it shares "
                       "(a link sharing several kinds counts under each)", style="dim"))
    for item in _link_lines(view):
        console.print(item)
    console.print()
    shown = min(templates_limit, view.templates.height)
    console.print(_title(f"Templates ({view.templates.height:,}; top {shown} by requests)"))
    console.print(_templates_table(view, templates_limit))
    if view.one_off_requests:
        console.print(Text(f"  plus {view.one_off_requests:,} one-off request(s): prompts whose frame "
                           "appears once in the log", style="dim"))
    console.print(_title("Topic mix"))
    for line in _topic_lines(view):
        console.print(line)
    console.print()
    grid = activity_grid(view.activity)
    console.print(_title("Activity by day and hour (UTC)"))
    console.print(Text(f"  one character per hour, {LEVELS[0]}…{LEVELS[-1]} up to the busiest hour "
                       f"({grid.peak:,} requests); {IDLE} idle", style="dim"))
    for line in heat_strip(grid):
        console.print(line)
    console.print()
    console.print(_title("Shared infrastructure"))
    console.print(Text("  bold: used by two or more members; busiest values per kind first", style="dim"))
    if view.infrastructure.height:
        console.print(_infrastructure_table(view))
    else:
        console.print(Text("  no IP, user agent, payment or org columns in this log", style="dim"))
    console.print(_title("Models"))
    for item in _model_lines(view):
        console.print(item)


def group_document(result: ScanResult, view: GroupView, templates_limit: int | None = None) -> dict[str, Any]:
    """Everything about one group as a JSON-ready object."""
    shown = result.report.groups.filter(pl.col("group_id") == view.group_id)
    templates = view.templates if templates_limit is None else view.templates.head(templates_limit)
    examples = view.examples
    template_docs = []
    for row in templates.iter_rows(named=True):
        document = json_ready({key: value for key, value in row.items() if key != "template_fp"})
        if examples is not None:
            document["examples"] = records(
                examples.filter(pl.col("template_fp") == row["template_fp"]),
                list(EXAMPLE_COLUMNS),
            )
        template_docs.append(document)
    grid = activity_grid(view.activity, max_rows=None)
    infrastructure: dict[str, list[dict[str, Any]]] = {}
    for row in view.infrastructure.iter_rows(named=True):
        infrastructure.setdefault(row["kind"], []).append(
            json_ready({key: row[key] for key in ("value", "n_accounts", "n_accounts_total", "n_requests")})
        )
    release = view.release
    return {
        "schema_version": SCHEMA_VERSION,
        "summary": summary_document(result, shown),
        "group": group_documents(result, shown)[0],
        "members": records(view.accounts),
        "templates_total": view.templates.height,
        "templates": template_docs,
        "one_off_requests": view.one_off_requests,
        "topics": records(view.topics),
        "activity": {
            "timezone": "UTC",
            "days": [
                {"day": first.isoformat(), "n": total, "hours": cells}
                for (first, _), cells, total in zip(grid.rows, grid.cells, grid.row_totals, strict=True)
            ],
            "hours": grid.hour_totals,
        },
        "infrastructure": infrastructure,
        "links": {
            "by_kind": records(link_summary(view.links)),
            "strongest": records(view.links),
        },
        "models": records(view.models),
        "release": None if release is None else json_ready(dict(release.__dict__)),
        "components": [json_ready(dict(part.__dict__)) for part in view.components],
    }


def render_group_json(result: ScanResult, view: GroupView, templates_limit: int | None = None) -> str:
    """The group's JSON document (`group_document`) as text."""
    return json_text(group_document(result, view, templates_limit), indent=2) + "\n"
