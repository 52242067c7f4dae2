"""Server-rendered inline SVG charts (no scripts, no external assets): bars against a target, trends, heat colours."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#c0392b", "#2471a3", "#239b56", "#b9770e", "#7d3c98")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def kpi_bars(items: list[dict]) -> Markup:
    """One horizontal bar per KPI (0–100 %), a dashed mark at its target, green when met, red when missed."""
    row_h, width, label_w = 34, 640, 150
    bar_w = width - label_w - 70
    parts = [f'<svg class="chart" role="img" aria-label="指标与目标" viewBox="0 0 {width} {row_h * len(items) + 10}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, item in enumerate(items):
        y = 5 + i * row_h
        value = item["value"] or 0
        colour = "#239b56" if item["meets"] else ("#c0392b" if item["meets"] is False else "#7f8c8d")
        parts.append(f'<text x="0" y="{y + 19}" font-size="15">{escape(item["title"])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="20" fill="#eef1f4"/>')
        parts.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{bar_w * value:.1f}" height="20" '
                     f'fill="{colour}"><title>{escape(item["title"])} {_pct(item["value"])}</title></rect>')
        if item["target"] is not None:
            tx = label_w + bar_w * item["target"]
            parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y}" y2="{y + 28}" stroke="#222" '
                         f'stroke-dasharray="4 3"><title>目标 {_pct(item["target"])}</title></line>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 19}" font-size="14">{_pct(item["value"])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend(months: list[str], series: dict[str, list[float | None]], counts: list[int]) -> Markup:
    """Cases per month as bars, rates as lines (0–100 %) over them."""
    width, height, left, bottom, top = 640, 260, 40, 40, 20
    plot_w, plot_h = width - left - 20, height - bottom - top
    n = max(len(months), 1)
    step = plot_w / n
    most = max(counts or [1]) or 1
    parts = [f'<svg class="chart" role="img" aria-label="月度趋势" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 20}" y2="{top + plot_h}" stroke="#888"/>']
    for i, (month, count) in enumerate(zip(months, counts)):
        h = plot_h * count / most
        x = left + i * step
        parts.append(f'<rect class="bar" x="{x + step * 0.2:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.6:.1f}" '
                     f'height="{h:.1f}" fill="#d6eaf8"><title>{month} 受理 {count} 件</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 22}" font-size="11" text-anchor="middle">'
                     f'{month[2:]}</text>')
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        points = [f"{left + (i + 0.5) * step:.1f},{top + plot_h * (1 - v):.1f}"
                  for i, v in enumerate(values) if v is not None]
        if points:
            parts.append(f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2.5" '
                         f'points="{" ".join(points)}"><title>{escape(name)}</title></polyline>')
            parts.extend(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="4" fill="{colour}"/>'
                         for p in points)
        parts.append(f'<rect x="{left + k * 130}" y="{height - 12}" width="12" height="10" fill="{colour}"/>'
                     f'<text x="{left + k * 130 + 16}" y="{height - 3}" font-size="12">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_bars(rows: list[tuple[str, float | None]], target: float | None, title: str) -> Markup:
    """One vertical bar per row (a rate, 0–100 %), with the target as a dashed line."""
    width, height, bottom = 640, 240, 50
    n = max(len(rows), 1)
    step = (width - 20) / n
    plot_h = height - bottom - 10
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(rows):
        h = plot_h * (value or 0)
        x = 10 + i * step
        parts.append(f'<rect class="bar" x="{x + step * 0.15:.1f}" y="{10 + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="#2471a3"><title>{escape(label)} {_pct(value)}</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 30}" font-size="12" text-anchor="middle">'
                     f'{escape(label[:6])}</text>')
    if target is not None:
        y = 10 + plot_h * (1 - target)
        parts.append(f'<line x1="10" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c0392b" '
                     f'stroke-dasharray="5 4"/><text x="{width - 10}" y="{y - 4:.1f}" font-size="12" '
                     f'text-anchor="end">目标 {_pct(target)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heat(value: float | None, target: float | None = None, higher_is_better: bool = True) -> str:
    """A cell's background: green at or above target, shading to red the further below it."""
    if value is None:
        return "#f2f3f4"
    goodness = value if higher_is_better else 1 - value
    if target is not None and higher_is_better and value >= target:
        return "#a9dfbf"
    hue = int(120 * max(0.0, min(1.0, goodness)))
    return f"hsl({hue}, 65%, 78%)"


def pct(value: float | None) -> str:
    return _pct(value)
