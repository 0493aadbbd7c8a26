"""Charts drawn on the server as inline SVG: they need no JavaScript and no inline style.

Colours and fonts come from the stylesheet through class names (the Content-Security-Policy
forbids ``style`` attributes); the numbers are also in a table next to the chart, which is
what screen readers are pointed to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

WIDTH = 640
ROW = 44  # label line + bar
BAR = 16
VALUE_ROOM = 60  # room right of the longest bar for its number


@dataclass(frozen=True)
class Bar:
    key: str  # ties the bar to its table row (data-key)
    label: str
    value: int


def bar_chart(bars: Sequence[Bar], title: str, description: str, *, chart_id: str = "chart") -> Markup:
    """A horizontal bar chart: each bar's label above it and its value at its end."""
    height = max(ROW * len(bars), ROW)
    largest = max((b.value for b in bars), default=0) or 1
    span = WIDTH - VALUE_ROOM
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        top = i * ROW
        width = round(span * bar.value / largest) if bar.value else 0
        label = escape(bar.label)
        parts.append(
            f'<g class="bar-group" data-key="{escape(bar.key)}" tabindex="0">'
            f"<title>{label}: {bar.value:,}</title>"
            f'<text class="bar-label" x="0" y="{top + 15}">{label}</text>'
            f'<rect class="bar" x="0" y="{top + 21}" width="{max(width, 2)}" height="{BAR}" rx="2"></rect>'
            f'<text class="bar-value" x="{max(width, 2) + 6}" y="{top + 34}">{bar.value:,}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class BarGroup:
    """One row of a grouped chart: a label and one value per series (e.g. billed, collected)."""

    key: str  # ties the group to its table row (data-key)
    label: str
    values: tuple[Decimal | int | float, ...]


GROUP_GAP = 12
LEGEND = 28


def _plain(value: Decimal | int | float) -> str:
    return f"{value:,}"


def grouped_bar_chart(
    groups: Sequence[BarGroup],
    series: Sequence[str],
    title: str,
    description: str,
    *,
    chart_id: str = "chart",
    value_text: Callable[[Any], str] = _plain,
) -> Markup:
    """Horizontal bars in groups: each group's label, then one bar per series, and a legend on top.

    Series are told apart by class (``series-0``, ``series-1``, ...) and by the legend's
    words; every bar also carries its series and value in its ``<title>``.
    """
    per_group = 20 + len(series) * (BAR + 4) + GROUP_GAP
    height = LEGEND + max(per_group * len(groups), ROW)
    largest = max((float(v) for g in groups for v in g.values), default=0.0) or 1.0
    span = WIDTH - VALUE_ROOM - 40  # money needs more room than counts
    parts = [
        f'<svg class="chart grouped" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        '<g class="legend">',
    ]
    x = 0
    for index, name in enumerate(series):
        parts.append(
            f'<rect class="bar series-{index}" x="{x}" y="4" width="14" height="14" rx="2"></rect>'
            f'<text class="bar-label" x="{x + 20}" y="16">{escape(name)}</text>'
        )
        x += 20 + 10 * len(name) + 24
    parts.append("</g>")
    for i, group in enumerate(groups):
        top = LEGEND + i * per_group
        label = escape(group.label)
        parts.append(
            f'<g class="bar-group" data-key="{escape(group.key)}" tabindex="0">'
            f'<text class="bar-label" x="0" y="{top + 15}">{label}</text>'
        )
        for index, value in enumerate(group.values):
            y = top + 20 + index * (BAR + 4)
            width = max(round(span * float(value) / largest) if value else 0, 2)
            name = escape(series[index]) if index < len(series) else ""
            shown = escape(value_text(value))
            parts.append(
                f"<g><title>{label} · {name}: {shown}</title>"
                f'<rect class="bar series-{index}" x="0" y="{y}" width="{width}" height="{BAR}" rx="2"></rect>'
                f'<text class="bar-value" x="{width + 6}" y="{y + 13}">{shown}</text></g>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
