"""Server-rendered inline SVG charts (no scripts, no external assets): bars against a target, and trends and
columns drawn by pygal (axes, values and labels), heat colours."""
from __future__ import annotations

import sys

from markupsafe import Markup, escape

PALETTE = ("#c0392b", "#2471a3", "#239b56", "#b9770e", "#7d3c98")
FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif"


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


def _pygal():
    """pygal, imported on first use. pygal puts a legacy import hook (for its `pygal.maps` plugins, unused here)
    on sys.meta_path, which answers every later failed import of the process with an ImportWarning: it is taken
    off again."""
    import pygal

    sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]
    return pygal


def _style():
    return _pygal().style.Style(
        background="transparent", plot_background="#ffffff", foreground="#222", foreground_strong="#222",
        foreground_subtle="#777", colors=PALETTE, font_family=FONTS, label_font_family=FONTS,
        major_label_font_family=FONTS, value_font_family=FONTS, value_label_font_family=FONTS,
        title_font_family=FONTS, legend_font_family=FONTS, tooltip_font_family=FONTS,
        label_font_size=13, major_label_font_size=13, value_font_size=12, legend_font_size=13, title_font_size=15)


def _render(chart, label: str) -> Markup:
    """The chart as inline SVG without pygal's script (no external asset: the page works offline and prints)."""
    svg = chart.render(is_unicode=True, disable_xml_declaration=True)
    return Markup(svg.replace("<svg ", f'<svg class="chart" role="img" aria-label="{escape(label)}" ', 1))


def _percent_axis(chart) -> None:
    chart.range = (0, 1)
    chart.y_labels = [i / 5 for i in range(6)]
    chart.value_formatter = _pct


def trend(months: list[str], series: dict[str, list[float | None]], counts: list[int]) -> Markup:
    """Rates by month (0–100 % on the y axis, each point's value printed), the month's cases under its label."""
    chart = _pygal().Line(style=_style(), width=720, height=300, js=[], print_values=True, show_y_guides=True,
                       legend_at_bottom=True, x_title="月份（括号内为受理件数）", y_title="比率", dots_size=4,
                       margin=12, truncate_legend=-1)
    _percent_axis(chart)
    chart.x_labels = [f"{m[2:]}（{c}件）" for m, c in zip(months, counts)]
    for name, values in series.items():
        chart.add(name, values)
    return _render(chart, "月度趋势")


def count_bars(labels: list[str], counts: list[int], title: str, *, target: int | None = None,
               unit: str = "") -> Markup:
    """One bar per label (a count, its value printed), with the target, when given, as a second series."""
    chart = _pygal().Bar(style=_style(), width=720, height=280, js=[], print_values=True, show_y_guides=True,
                      legend_at_bottom=True, y_title=unit or None, margin=12, truncate_label=-1, truncate_legend=-1)
    chart.x_labels = labels
    chart.value_formatter = lambda v: f"{v:g}"
    chart.add(title, list(counts) or [0])
    if target is not None:
        chart.add(f"目标 {target}{unit}", [{"value": target, "color": "rgba(0,0,0,0.15)"} for _ in labels])
    return _render(chart, title)


def column_bars(rows: list[tuple[str, float | None]], target: float | None, title: str) -> Markup:
    """One bar per row (a rate, 0–100 % on the y axis, its value printed), green at or above the target, red below;
    the target is drawn as a line."""
    chart = _pygal().Bar(style=_style(), width=720, height=300, js=[], print_values=True, show_y_guides=True,
                      legend_at_bottom=True, y_title="比率", margin=12, truncate_label=-1, truncate_legend=-1)
    _percent_axis(chart)
    chart.x_labels = [label for label, _ in rows]
    chart.add(title, [{"value": value or 0, "label": "暂无数据" if value is None else _pct(value),
                       "color": "#239b56" if target is not None and value is not None and value >= target
                       else "#c0392b"} for _, value in rows])
    if target is not None:
        chart.add(f"目标 {_pct(target)}", [{"value": target, "color": "rgba(0,0,0,0.15)"} for _ in rows])
    return _render(chart, title)


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
