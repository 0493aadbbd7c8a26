"""Charts drawn on the server as inline SVG: they need no JavaScript and no inline style.

Colours and fonts come from the stylesheet through class names (the Content-Security-Policy
forbids ``style`` attributes); the numbers are also in a table next to the chart, which is
what screen readers are pointed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
