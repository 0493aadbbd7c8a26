"""A workflow's state diagram as SVG, drawn without any outside program.

States are laid out in columns by their distance from the first state (breadth first), in
rows within a column; each action is an arrow labelled with its title. Final states have a
double border. The SVG is text (titles escaped), small enough to inline in a page.
"""

from __future__ import annotations

from collections import deque
from html import escape

from engine.definitions.model import WorkflowSpec

BOX_W, BOX_H = 190, 48
GAP_X, GAP_Y = 90, 34
MARGIN = 20


def _columns(workflow: WorkflowSpec) -> dict[str, int]:
    depth = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for transition in workflow.transitions_from(state):
            if transition.to not in depth:
                depth[transition.to] = depth[state] + 1
                queue.append(transition.to)
    last = max(depth.values(), default=0)
    for state in workflow.states:  # states no action reaches go to a column of their own
        depth.setdefault(state, last + 1)
    return depth


def _wrap(text: str, width: int = 24) -> list[str]:
    if len(text) <= width:
        return [text]
    cut = text.rfind(" ", 0, width)
    cut = cut if cut > 0 else width
    rest = text[cut:].strip()
    return [text[:cut].strip(), (rest[: width - 1] + "…") if len(rest) > width else rest]


def to_svg(workflow: WorkflowSpec, language: str = "th") -> str:
    """The diagram of ``workflow`` with titles in ``language``."""
    columns = _columns(workflow)
    rows: dict[int, int] = {}
    position: dict[str, tuple[int, int]] = {}
    for state in workflow.states:
        column = columns[state]
        row = rows.get(column, 0)
        rows[column] = row + 1
        position[state] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + (max(columns.values(), default=0) + 1) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + max(rows.values(), default=1) * (BOX_H + GAP_Y) - GAP_Y + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="diagram-title" font-family="Sarabun, sans-serif" font-size="12">',
        '<title id="diagram-title">'
        + escape("แผนภาพสถานะ" if language == "th" else "State diagram")
        + "</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>',
    ]
    drawn: dict[tuple[str, str], int] = {}
    for transition in workflow.transitions:
        for source in transition.from_:
            if source not in position or transition.to not in position:
                continue
            nth = drawn.get((source, transition.to), 0)
            drawn[(source, transition.to)] = nth + 1
            (x1, y1), (x2, y2) = position[source], position[transition.to]
            start: tuple[float, float]
            end: tuple[float, float]
            if x2 > x1:
                start, end = (x1 + BOX_W, y1 + BOX_H / 2), (x2, y2 + BOX_H / 2)
            elif x2 < x1:
                start, end = (x1, y1 + BOX_H / 2 + 8), (x2 + BOX_W, y2 + BOX_H / 2 + 8)
            else:
                start, end = (
                    (x1 + BOX_W / 2 + 20, y1 + (BOX_H if y2 > y1 else 0)),
                    (x2 + BOX_W / 2 + 20, y2 + (0 if y2 > y1 else BOX_H)),
                )
            bend = 14 * nth
            middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 - 6 - bend)
            parts.append(
                f'<path d="M {start[0]:.0f} {start[1]:.0f} Q {middle[0]:.0f} {middle[1] - bend:.0f} {end[0]:.0f} {end[1]:.0f}" '
                'fill="none" stroke="#444" stroke-width="1.2" marker-end="url(#arrow)"/>'
            )
            label = escape(transition.title.get(language) if transition.title else transition.action)
            parts.append(
                f'<text x="{middle[0]:.0f}" y="{middle[1] - 4:.0f}" text-anchor="middle" fill="#1a1a1a">{label}</text>'
            )
    for state, (x, y) in position.items():
        spec = workflow.states[state]
        initial = state == workflow.initial
        parts.append(
            f'<g data-state="{escape(state)}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{"#e8f1fb" if initial else "#ffffff"}" stroke="#1d4f91" stroke-width="{2.5 if initial else 1.2}"/>'
        )
        if spec.final:
            parts.append(
                f'<rect x="{x + 4}" y="{y + 4}" width="{BOX_W - 8}" height="{BOX_H - 8}" rx="6" fill="none" stroke="#1d4f91"/>'
            )
        lines = _wrap(spec.title.get(language))
        for i, line in enumerate(lines):
            dy = BOX_H / 2 + (i - (len(lines) - 1) / 2) * 14 + 4
            parts.append(
                f'<text x="{x + BOX_W / 2:.0f}" y="{y + dy:.0f}" text-anchor="middle">{escape(line)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
