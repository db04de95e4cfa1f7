"""One self-contained HTML report: inline CSS and SVG drawn here, no scripts, nothing
fetched (no fonts, images or style sheets from anywhere).

Log text is hostile. Every log-derived string (account ids, skeletons, prompts, IPs,
user agents, model names…) passes through `terminal_safe` (control and bidi characters
removed) and `html.escape(quote=True)` (`html_safe`) before it lands in text or in an attribute;
every number is formatted here. A Content-Security-Policy meta tag forbids scripts and
every fetch, so even a missed escape could not run or load anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import polars as pl

from distillscan import __version__
from distillscan.model.scan import ScanResult
from distillscan.model.views import GroupView, activity_grid, link_summary
from distillscan.report.cells import (
    count_cell,
    example_prompt,
    lag_cell,
    minute,
    percent,
    top_skeletons,
    top_topic_cell,
    topic_name,
)
from distillscan.report.charts import daily_chart, heatmap, hour_chart
from distillscan.report.documents import groups_by_severity
from distillscan.report.safe import html_safe

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
)
SEVERITY_COLOURS: Final[dict[str, str]] = {
    "critical": "#991b1b", "high": "#dc2626", "medium": "#ca8a04", "low": "#0e7490", "info": "#6b7280",
}
# Groups a scan's page lists, and the first of them that get a section of their own:
# each section reads the group's aggregates (0.09 s a group at 1M requests), and a
# page of every group of a 10M-request log (100k) would take hours and be unreadable.
GROUP_ROWS_SHOWN: Final = 1_000
GROUP_SECTIONS: Final = 100
# Rows shown in the member and infrastructure tables of a group section.
MEMBERS_SHOWN: Final = 50
VALUES_PER_KIND: Final = 8

STYLE: Final = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;
color:#111827;background:#f9fafb;font-size:14px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0 0 6px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#4b5563;margin:2px 0}
section.group,section.overview{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px 20px;
margin:18px 0}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f0f0;vertical-align:top}
th{font-weight:600;color:#374151;background:#f9fafb}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;
word-break:break-word}
.sev{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:12px;font-weight:600}
ul.reasons{margin:6px 0 0 0;padding-left:20px}
ul.examples{margin:4px 0 0;padding-left:18px;color:#374151}
ul.examples li{margin:2px 0}
.who{color:#6b7280;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.chart{flex:0 0 auto}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.bar{height:10px;background:#7c3aed;display:inline-block;vertical-align:middle}
.bar.plain{background:#60a5fa}
.shared{font-weight:600}
.dim{color:#6b7280}
.id,.nowrap{white-space:nowrap}
figure{margin:0}figcaption{font-size:12px;color:#4b5563;margin:2px 0}
details summary{cursor:pointer;font-weight:600;margin:14px 0 4px}
svg text{font-family:inherit;font-size:11px;fill:#4b5563}
footer{color:#6b7280;font-size:12px;margin:24px 0}
"""


_e = html_safe


def _span(first: datetime | None, last: datetime | None) -> str:
    return f"{minute(first)} → {minute(last)}"


def _days(first: datetime | None, last: datetime | None) -> str:
    """First and last day, kept on one line."""
    if first is None or last is None:
        return "—"
    return f'<span class="nowrap">{first:%Y-%m-%d}</span> → <span class="nowrap">{last:%Y-%m-%d}</span>'


def _severity(name: str) -> str:
    colour = SEVERITY_COLOURS.get(name, "#6b7280")
    return f'<span class="sev" style="background:{colour}">{_e(name)}</span>'


def _anchor(group_id: str) -> str:
    return _e(f"group-{group_id}")


def _table(headers: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table; headers are (label, numeric); cells are already-escaped HTML."""
    head = "".join(f'<th class="n">{label}</th>' if numeric else f"<th>{label}</th>" for label, numeric in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="n">{cell}</td>' if numeric else f"<td>{cell}</td>"
            for cell, (_, numeric) in zip(row, headers, strict=True)
        ) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _topic_table(view: GroupView) -> str:
    rows = [
        [
            _e(topic_name(row["topic"])),
            f'<span class="bar{"" if row["high_value"] else " plain"}" style="width:{200 * row["share"]:.0f}px">'
            f"</span> {percent(row['share'])}",
            f"{row['n']:,}",
        ]
        for row in view.topics.iter_rows(named=True)
    ]
    return _table([("topic", False), ("share (purple: high-value capability)", False), ("requests", True)], rows)


def _templates_table(view: GroupView, limit: int) -> str:
    rows = []
    for row in view.templates.head(limit).iter_rows(named=True):
        cell = f"<code>{_e(row['skeleton'])}</code>"
        if view.examples is not None:
            items = [
                f'<li><span class="who">{_e(example["account_id"], 60)} · {minute(example["timestamp"])} · '
                f'{_e(example["model"] or "", 40)}</span><br>'
                f'<span class="mono">{_e(example_prompt(example))}</span></li>'
                for example in view.examples.filter(pl.col("template_fp") == row["template_fp"]).iter_rows(named=True)
            ]
            if items:
                cell += f'<ul class="examples">{"".join(items)}</ul>'
        rows.append([
            f'<span class="mono id">{_e(row["template"])}</span>',
            f"{row['n_requests']:,}",
            percent(row["share"]),
            f"{row['n_accounts']:,} / {row['n_accounts_total']:,}",
            percent(row["cot_share"]),
            _days(row["first_seen"], row["last_seen"]),
            cell,
        ])
    return _table(
        [("template", False), ("requests", True), ("share", True), ("accounts group / log", True),
         ("CoT", True), ("first → last seen", False), ("skeleton (masked slots) and examples", False)],
        rows,
    )


def _components_table(view: GroupView) -> str:
    rows = [
        [
            f"<b>{_e(part.name)}</b>" if part.feeds == "score" else _e(part.name),
            '<span class="dim">unknown</span>' if part.value is None
            else f'<span class="bar plain" style="width:{60 * part.value:.0f}px"></span> {part.value:.2f}',
            "" if part.weight is None else f"{part.weight:.2f}",
            _e(part.feeds),
            f'<span class="dim">{_e(part.meaning)}</span>',
        ]
        for part in view.components
    ]
    return _table([("component", False), ("value", True), ("weight", True), ("feeds", False), ("meaning", False)], rows)


def _infrastructure_table(view: GroupView) -> str:
    if view.infrastructure.height == 0:
        return '<p class="dim">No IP, user agent, payment or org columns in this log.</p>'
    rows = []
    for (kind,), values in view.infrastructure.group_by("kind", maintain_order=True):
        for row in values.head(VALUES_PER_KIND).iter_rows(named=True):
            shared = " shared" if row["n_accounts"] >= 2 else ""
            rows.append([
                _e(kind),
                f'<span class="mono{shared}">{_e(row["value"], 120)}</span>',
                f"{row['n_accounts']:,}",
                f"{row['n_accounts_total']:,}",
                f"{row['n_requests']:,}",
            ])
        if values.height > VALUES_PER_KIND:
            rows.append([_e(kind), f'<span class="dim">… {values.height - VALUES_PER_KIND:,} more</span>', "", "", ""])
    return _table(
        [("kind", False), ("value (bold: shared by members)", False), ("accounts in group", True),
         ("accounts in log", True), ("requests", True)],
        rows,
    )


def _models_html(view: GroupView) -> str:
    rows = [
        [
            _e(row["model"] if row["model"] is not None else "(no model)", 60),
            f"{row['n_requests']:,}",
            percent(row["share"]),
            minute(row["first_seen"]),
            minute(row["log_first_seen"]),
            lag_cell(row["lag_hours"]),
        ]
        for row in view.models.iter_rows(named=True)
    ]
    table = _table(
        [("model", False), ("requests", True), ("share", True), ("group's first use", False),
         ("first in log", False), ("lag", True)],
        rows,
    )
    release = view.release
    if release is None:
        return table + '<p class="dim">No model appeared after the log\'s first day.</p>'
    if release.group_first_use is None:
        story = "this group never used it."
    else:
        story = (
            f"this group first used it {release.lag_hours:.1f} h later and sent "
            f"{percent(release.group_share_24h)} of its traffic to it in the next 24 h (platform: "
            f"{percent(release.platform_share_24h)}; scored lift {release.pivot_lift:+.0%}"
            f"{'' if release.active_before else ', not counted: idle the week before'})."
        )
    return table + (
        f"<p>Newest model <b>{_e(release.model, 60)}</b> first appeared {minute(release.released_at)} UTC; "
        f"{story}</p>"
    )


def _members_table(view: GroupView) -> str:
    rows = [
        [
            f'<span class="mono id">{_e(row["account_id"], 60)}</span>',
            f"{row['n_requests']:,}",
            minute(row["first_seen"]),
            minute(row["last_seen"]),
            percent(row["templated_share"]),
            percent(row["cot_share"]),
            _e(top_topic_cell(row)),
            *[count_cell(row[name]) for name in ("n_ips", "n_payments", "n_user_agents")],
        ]
        for row in view.accounts.head(MEMBERS_SHOWN).iter_rows(named=True)
    ]
    more = view.accounts.height - len(rows)
    command = f"distillscan accounts LOGS --group {_e(view.group_id)}"
    note = f'<p class="dim">… {more:,} more: <code>{command}</code></p>' if more > 0 else ""
    return _table(
        [("account", False), ("requests", True), ("first seen", False), ("last seen", False),
         ("templated", True), ("CoT", True), ("top topic", False), ("IPs", True), ("payments", True),
         ("user agents", True)],
        rows,
    ) + note


def _links_html(view: GroupView) -> str:
    """The kinds of evidence the members' strongest links share, then those links."""
    if view.links.is_empty():
        return '<p class="dim">No member is linked to another (a group of one, or accounts set apart).</p>'
    kinds = _table(
        [("evidence", False), ("links", True), ("members", True)],
        [[_e(row["label"]), f"{row['links']:,}", f"{row['members']:,}"]
         for row in link_summary(view.links).iter_rows(named=True)],
    )
    strongest = _table(
        [("account", False), ("account", False), ("similarity", True), ("shared", False)],
        [[f'<span class="mono id">{_e(row["a"], 60)}</span>', f'<span class="mono id">{_e(row["b"], 60)}</span>',
          f"{row['similarity']:.2f}", _e(", ".join(row["kinds"]))]
         for row in view.links.head(MEMBERS_SHOWN).iter_rows(named=True)],
    )
    more = view.links.height - MEMBERS_SHOWN
    command = "distillscan explain GROUP LOGS --format json"
    note = f'<p class="dim">… {more:,} more links: <code>{command}</code></p>' if more > 0 else ""
    return kinds + strongest + note


def group_section(view: GroupView, templates_limit: int = 10) -> str:
    """Everything about one group as an HTML section."""
    group = view.group
    grid = activity_grid(view.activity)
    reasons = "".join(f"<li>{_e(reason)}</li>" for reason in view.reasons)
    shown = min(templates_limit, view.templates.height)
    heading = (
        f"#{group['rank']} {_severity(group['severity'])} "
        f'<span class="mono id">{_e(view.group_id)}</span> · score {group["score"]:.2f}'
    )
    counts = f"{group['n_accounts']:,} accounts · {group['n_requests']:,} requests"
    return f"""
<section class="group" id="{_anchor(view.group_id)}">
<h2>{heading}</h2>
<p class="meta">{counts} · {_span(group['first_seen'], group['last_seen'])} UTC</p>
{f'<ul class="reasons">{reasons}</ul>' if reasons else ''}
<h3>Activity over time and by hour of day</h3>
<div class="charts">{daily_chart(view)}{hour_chart(grid)}{heatmap(grid)}</div>
<h3>Topic mix</h3>
{_topic_table(view)}
<h3>Templates ({view.templates.height:,}; top {shown} by requests)</h3>
{_templates_table(view, templates_limit)}
<h3>Score components</h3>
{_components_table(view)}
<h3>Models</h3>
{_models_html(view)}
<details><summary>Shared infrastructure</summary>{_infrastructure_table(view)}</details>
<details><summary>Members ({view.accounts.height:,})</summary>{_members_table(view)}</details>
<details><summary>Links: each member's strongest link to another ({view.links.height:,})</summary>
{_links_html(view)}</details>
</section>"""


def _input_line(result: ScanResult) -> str:
    summary = result.summary
    return (
        f'<p class="meta">{summary.rows_read:,} requests from {summary.accounts:,} accounts in '
        f"{len(summary.files)} file(s); {_span(summary.first_seen, summary.last_seen)} UTC; "
        f"read as {_e(summary.preset)}</p>"
    )


def _group_cell(group_id: str, linked: set[str]) -> str:
    """A group's id, a link to its section where it has one."""
    if group_id in linked:
        return f'<a href="#{_anchor(group_id)}" class="mono id">{_e(group_id)}</a>'
    return f'<span class="mono id">{_e(group_id)}</span>'


def _overview(result: ScanResult, shown: pl.DataFrame, sections: set[str]) -> str:
    counts = groups_by_severity(result.report.groups)
    severity_line = " ".join(f"{_severity(name)} {count}" for name, count in counts.items())
    skeletons = top_skeletons(result)
    rows = [
        [
            f"{row['rank']}",
            _severity(row["severity"]),
            f"{row['score']:.2f}",
            _group_cell(row["group_id"], sections),
            f"{row['n_accounts']:,}",
            f"{row['n_requests']:,}",
            _days(row["first_seen"], row["last_seen"]),
            f"<code>{_e(skeletons.get(row['group_id'], ''), 160)}</code>",
            '<ul class="reasons">'
            + "".join(f"<li>{_e(reason)}</li>" for reason in result.report.reasons.get(row["group_id"], [])[:3])
            + "</ul>",
        ]
        for row in shown.head(GROUP_ROWS_SHOWN).iter_rows(named=True)
    ]
    table = _table(
        [("#", True), ("severity", False), ("score", True), ("group", False), ("accounts", True),
         ("requests", True), ("seen (UTC)", False), ("top template", False), ("why", False)],
        rows,
    ) if rows else "<p>No groups at or above the chosen severity/score.</p>"
    return f"""
<section class="overview">
<h1>Suspect account groups</h1>
{_input_line(result)}
<p class="meta">groups: {severity_line}</p>
{table}{_cut_note(shown.height, len(sections))}
</section>"""


def _cut_note(groups: int, sections: int) -> str:
    """What the page leaves out of the groups the report selected, if anything."""
    notes = []
    if groups > GROUP_ROWS_SHOWN:
        notes.append(f"the first {GROUP_ROWS_SHOWN:,} of {groups:,} groups are listed (--format json or csv lists all)")
    if groups > sections:
        notes.append(f"the first {sections:,} have a section below; "
                     "<code>distillscan explain GROUP LOGS</code> shows any other")
    return f'<p class="dim">{"; ".join(notes)}.</p>' if notes else ""


def _page(title: str, body: str, result: ScanResult) -> str:
    files = ", ".join(_e(path, 200) for path in result.summary.files[:10])
    more = f" and {len(result.summary.files) - 10} more" if len(result.summary.files) > 10 else ""
    footer = (
        f"distillscan {_e(__version__)} · input: {files}{more} · times in UTC · "
        "log text is shown escaped and cut, never interpreted"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
{body}
<footer>{footer}</footer>
</main>
</body>
</html>
"""


def render_scan_html(result: ScanResult, shown: pl.DataFrame, views: Sequence[GroupView]) -> str:
    """The scan report as one HTML page: the table of the `shown` groups (the first
    GROUP_ROWS_SHOWN) and a section for each of `views` (made for the first
    GROUP_SECTIONS of them, see `section_groups`)."""
    sections = "".join(group_section(view) for view in views)
    overview = _overview(result, shown, {view.group_id for view in views})
    return _page("distillscan: suspect account groups", overview + sections, result)


def section_groups(shown: pl.DataFrame) -> list[str]:
    """The ids of the shown groups that get a section of their own on the scan's page."""
    return shown.get_column("group_id").head(GROUP_SECTIONS).to_list()


def render_group_html(result: ScanResult, view: GroupView, templates_limit: int = 10) -> str:
    """One group's drill-down as an HTML page."""
    header = f'<section class="overview"><h1>Group {_e(view.group_id)}</h1>{_input_line(result)}</section>'
    return _page(f"distillscan: group {view.group_id}", header + group_section(view, templates_limit), result)
