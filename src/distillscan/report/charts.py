"""Inline SVG charts of a group's activity for the HTML report: requests per day stacked
by model, by hour of day, and a day × hour heat map. Every log-derived string in them
(model names) passes through `html_safe`; every number is formatted here."""

from __future__ import annotations

from datetime import date
from typing import Final

from distillscan.model.views import ActivityGrid, GroupView, activity_grid
from distillscan.report.safe import html_safe as _e

MODEL_COLOURS: Final[tuple[str, ...]] = (
    "#2563eb", "#f97316", "#16a34a", "#9333ea", "#e11d48", "#0d9488", "#a16207", "#475569",
)
OTHER_MODELS_COLOUR: Final = "#9ca3af"
HEAT_COLOUR: Final = "#15803d"


def _figure(caption: str, body: str) -> str:
    return f'<figure class="chart"><figcaption>{caption}</figcaption>{body}</figure>'


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_e(label)}"><title>{_e(label)}</title>{body}</svg>'
    )


def _model_colours(view: GroupView) -> dict[str | None, str]:
    models = view.models["model"].to_list()
    return {
        model: MODEL_COLOURS[index] if index < len(MODEL_COLOURS) else OTHER_MODELS_COLOUR
        for index, model in enumerate(models)
    }


def daily_chart(view: GroupView, width: int = 760, height: int = 190) -> str:
    """Requests per day, stacked by model, as inline SVG."""
    grid = activity_grid(view.activity, max_rows=None)
    if not grid.rows:
        return '<p class="dim">No activity.</p>'
    colours = _model_colours(view)
    per_day: dict[date, list[tuple[str | None, int]]] = {}
    for day, model, n in view.model_days.iter_rows():
        per_day.setdefault(day, []).append((model, int(n)))
    left, right, top, bottom = 48, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(grid.row_totals)
    slot = plot_w / len(grid.rows)
    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#9ca3af"/>',
        f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="#e5e7eb"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    order = {model: index for index, model in enumerate(colours)}
    for index, ((day, _), total) in enumerate(zip(grid.rows, grid.row_totals, strict=True)):
        x = left + index * slot
        y: float = top + plot_h
        for model, n in sorted(per_day.get(day, []), key=lambda item: order.get(item[0], len(order))):
            bar = plot_h * n / peak
            y -= bar
            parts.append(
                f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{bar:.1f}" '
                f'fill="{colours.get(model, OTHER_MODELS_COLOUR)}"><title>{day:%Y-%m-%d} '
                f'{_e(model if model is not None else "(no model)", 60)}: {n:,} requests</title></rect>'
            )
        if total == 0:
            parts.append(
                f'<rect x="{x + slot * 0.1:.1f}" y="{top + plot_h - 1}" width="{slot * 0.8:.1f}" height="1" '
                f'fill="#e5e7eb"><title>{day:%Y-%m-%d}: idle</title></rect>'
            )
    for index in sorted({0, len(grid.rows) // 2, len(grid.rows) - 1}):
        x = left + (index + 0.5) * slot
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{grid.rows[index][0]:%m-%d}</text>')
    legend = "".join(
        f'<span><i class="swatch" style="background:{colour}"></i>'
        f'{_e(model if model is not None else "(no model)", 60)}</span>'
        for model, colour in colours.items()
    )
    svg = _svg(width, height, "Requests per day (UTC), stacked by model", "".join(parts))
    return _figure("Requests per day (UTC), stacked by model", f'{svg}<div class="legend">{legend}</div>')


def hour_chart(grid: ActivityGrid, width: int = 360, height: int = 150) -> str:
    """Requests per hour of day (UTC), over the whole span, as inline SVG."""
    left, right, top, bottom = 40, 6, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(grid.hour_totals, default=0)
    slot = plot_w / 24
    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#9ca3af"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
    ]
    for hour, n in enumerate(grid.hour_totals):
        bar = plot_h * n / peak if peak else 0.0
        parts.append(
            f'<rect x="{left + hour * slot + 1:.1f}" y="{top + plot_h - bar:.1f}" width="{slot - 2:.1f}" '
            f'height="{bar:.1f}" fill="#2563eb"><title>{hour:02d}:00–{hour:02d}:59 UTC: {n:,} requests</title></rect>'
        )
    parts.extend(
        f'<text x="{left + (hour + 0.5) * slot:.1f}" y="{height - 6}" text-anchor="middle">{hour}</text>'
        for hour in (0, 6, 12, 18, 23)
    )
    svg = _svg(width, height, "Requests by hour of day (UTC)", "".join(parts))
    return _figure("By hour of day (UTC), all days", svg)


def heatmap(grid: ActivityGrid, cell: int = 14) -> str:
    """Day × hour-of-day activity as an inline SVG heat map (darker: more requests)."""
    if not grid.rows:
        return ""
    left, top = 92, 16
    width, height = left + 24 * cell + 8, top + len(grid.rows) * (cell - 2) + 4
    peak = grid.peak
    parts = [
        f'<text x="{left + (hour + 0.5) * cell:.1f}" y="11" text-anchor="middle">{hour}</text>'
        for hour in range(0, 24, 3)
    ]
    for index, ((first, days), cells) in enumerate(zip(grid.rows, grid.cells, strict=True)):
        y = top + index * (cell - 2)
        label = f"{first:%m-%d %a}" + (f" +{days - 1}d" if days > 1 else "")
        parts.append(f'<text x="{left - 6}" y="{y + cell - 5}" text-anchor="end">{label}</text>')
        for hour, n in enumerate(cells):
            opacity = 0.12 + 0.88 * n / peak if n and peak else 0.0
            fill = f'fill="{HEAT_COLOUR}" fill-opacity="{opacity:.2f}"' if n else 'fill="#f3f4f6"'
            parts.append(
                f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 1}" height="{cell - 3}" {fill}>'
                f"<title>{first:%Y-%m-%d} {hour:02d}h UTC: {n:,} requests</title></rect>"
            )
    return _figure(
        f"Day × hour of day (UTC): darker is busier, up to {peak:,} requests in an hour",
        _svg(width, height, "Activity by day and hour of day (UTC)", "".join(parts)),
    )
