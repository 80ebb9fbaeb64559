"""Server-side SVG for the actor pages: the power–interest grid and the network. No library, nothing fetched.

Both charts read without colour: quadrants carry their names, markers carry numbers (matched in the table below
the chart), node shapes tell kinds, a double ring marks a likely spoiler, and layers differ by dash pattern.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from detente.web.actors.network import NetworkView, Node

__all__ = ["changes_svg", "grid_svg", "network_svg", "shape_icon"]

_W, _H = 560, 392
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 56, 14, 14, 46


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def grid_svg(placements: Sequence[dict[str, Any]], link: str) -> str:
    """Power (up) against interest (right); ``link`` is a format string with ``{id}`` for each actor's page."""
    pw, ph = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def at(interest: float, power: float) -> tuple[float, float]:
        # values run over the middle 82 % of the box: markers at 0 or 1 never cover the corner names
        return _PAD_L + (0.09 + 0.82 * interest) * pw, _PAD_T + (0.09 + 0.82 * (1 - power)) * ph

    out = [
        f'<svg class="ac-grid" viewBox="0 0 {_W} {_H}" role="img" aria-labelledby="grid-title grid-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="grid-title">Power–interest grid</title>',
        '<desc id="grid-desc">Each numbered marker is an actor, placed by its power (up) and its interest in the '
        "process (right); the table below gives the numbers, names and reasons.</desc>",
    ]
    quads = (
        (0.0, 0.5, "keep satisfied", "q-satisfied"),
        (0.5, 0.5, "manage closely", "q-manage"),
        (0.0, 0.0, "monitor", "q-monitor"),
        (0.5, 0.0, "keep informed", "q-informed"),
    )
    for ix, py, name, cls in quads:
        x0 = _PAD_L + (0 if ix == 0 else pw / 2)
        y0 = _PAD_T + (0 if py > 0 else ph / 2)
        out.append(f'<rect class="quad {cls}" x="{x0:.1f}" y="{y0:.1f}" width="{pw / 2:.1f}" height="{ph / 2:.1f}"/>')
        tx = x0 + (8 if ix == 0 else pw / 2 - 8)
        anchor = "start" if ix == 0 else "end"
        ty = y0 + (18 if py > 0 else ph / 2 - 8)
        out.append(
            f'<text class="quad-name" x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}">{_e(name.upper())}</text>'
        )
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, _ = at(v, 0)
        _, y = at(0, v)
        y_bottom = _PAD_T + ph
        out.append(f'<line class="tickmark" x1="{x:.1f}" y1="{y_bottom:.1f}" x2="{x:.1f}" y2="{y_bottom + 4:.1f}"/>')
        out.append(f'<line class="tickmark" x1="{_PAD_L - 4}" y1="{y:.1f}" x2="{_PAD_L}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{x:.1f}" y="{y_bottom + 15:.1f}" text-anchor="middle">{v:.2g}</text>')
        out.append(f'<text class="tick" x="{_PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.2g}</text>')
    out.append(f'<line class="axis" x1="{_PAD_L}" y1="{_PAD_T + ph}" x2="{_PAD_L + pw}" y2="{_PAD_T + ph}"/>')
    out.append(f'<line class="axis" x1="{_PAD_L}" y1="{_PAD_T}" x2="{_PAD_L}" y2="{_PAD_T + ph}"/>')
    out.append(
        f'<text class="axis-name" x="{_PAD_L + pw / 2:.1f}" y="{_H - 8}" text-anchor="middle">'
        "interest in the process →</text>"
    )
    out.append(
        f'<text class="axis-name" transform="translate(16 {_PAD_T + ph / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">power →</text>'
    )
    seen: dict[tuple[int, int], int] = {}
    for i, g in enumerate(placements, start=1):
        x, y = at(float(g["interest"]), float(g["power"]))
        cell = (round(x / 9), round(y / 9))
        nudge = seen.get(cell, 0)  # markers on the same spot fan out so each number stays readable
        seen[cell] = nudge + 1
        if nudge:
            angle = nudge * 2.4
            x += 11 * math.cos(angle) * math.sqrt(nudge)
            y += 11 * math.sin(angle) * math.sqrt(nudge)
        shape = (
            f'<rect class="mark" x="{x - 9:.1f}" y="{y - 9:.1f}" width="18" height="18"/>'
            if g.get("from_profile")
            else f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="9.5"/>'
        )
        tip = f"{i}. {g['name']} — {g['quadrant']} (power {g['power']:.2f}, interest {g['interest']:.2f})"
        if g.get("reason"):
            tip += f"\n{g['reason']}"
        out.append(
            f'<a href="{_e(link.format(id=g["actor_id"]))}" class="pt" data-id="{_e(g["actor_id"])}">'
            f"<title>{_e(tip)}</title>{shape}"
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{i}</text></a>'
        )
    out.append("</svg>")
    return "".join(out)


_NW, _NH = 960, 560
_MARGIN = 70


def _shape(shape: str, x: float, y: float, r: float, cls: str) -> str:
    if shape == "circle":
        return f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
    if shape == "square":
        s = r * 0.9
        return f'<rect class="{cls}" x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}"/>'
    if shape == "diamond":
        pts = [(x, y - r * 1.2), (x + r * 1.2, y), (x, y + r * 1.2), (x - r * 1.2, y)]
    elif shape == "triangle":
        pts = [(x, y - r * 1.2), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)]
    else:  # hexagon
        pts = [(x + r * math.cos(math.pi / 3 * k), y + r * math.sin(math.pi / 3 * k)) for k in range(6)]
    return f'<polygon class="{cls}" points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}"/>'


def shape_icon(shape: str, *, spoiler: bool = False) -> str:
    """A small legend icon."""
    ring = '<circle class="ring" cx="11" cy="11" r="10"/>' if spoiler else ""
    return (
        '<svg class="ac-icon" viewBox="0 0 22 22" width="22" height="22" aria-hidden="true">'
        + ring
        + _shape(shape, 11, 11, 6 if spoiler else 7, "node-shape")
        + "</svg>"
    )


def _radius(n: Node) -> float:
    return 7 + 17 * math.sqrt(max(n.size, 0.0))


def network_svg(view: NetworkView, link: str) -> str:
    """The actors as shapes (size = influence), ties as curved lines (solid hostile, dashed cooperative)."""
    out = [
        f'<svg class="ac-net" viewBox="0 0 {_NW} {_NH}" role="img" aria-labelledby="net-title net-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="net-title">Actor network {_e(view.window)}</title>',
        '<desc id="net-desc">Shapes are actors (size: influence); solid arrows are hostile acts, dashed arrows '
        "cooperative ones, thicker for more events. The tables below list the same actors and ties.</desc>",
        "<defs>"
        '<marker id="arrow-h" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" '
        'markerUnits="userSpaceOnUse" orient="auto"><path class="arrow-h" d="M0,0 L10,5 L0,10 z"/></marker>'
        '<marker id="arrow-c" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" '
        'markerUnits="userSpaceOnUse" orient="auto"><path class="arrow-c" d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    if not view.nodes:
        out.append(f'<text class="empty" x="{_NW / 2}" y="{_NH / 2}" text-anchor="middle">No ties match.</text>')
        out.append("</svg>")
        return "".join(out)
    place = {
        n.id: (_MARGIN + n.x * (_NW - 2 * _MARGIN), _MARGIN * 0.6 + n.y * (_NH - 1.3 * _MARGIN)) for n in view.nodes
    }
    radius = {n.id: _radius(n) for n in view.nodes}
    names = {n.id: n.name for n in view.nodes}
    out.append('<g class="edges">')
    for e in sorted(view.edges, key=lambda e: (e.weight, e.source, e.target)):
        (x1, y1), (x2, y2) = place[e.source], place[e.target]
        dx, dy = x2 - x1, y2 - y1
        dist = math.hypot(dx, dy) or 1.0
        # bend to the right of the direction of travel: A→B and B→A never overlap; layers bend differently
        bend = (0.12 if e.layer == "hostile" else 0.24) * dist
        mx, my = (x1 + x2) / 2 + bend * dy / dist, (y1 + y2) / 2 - bend * dx / dist
        # stop the arrow at the target's edge
        tx, ty = x2 - mx, y2 - my
        tl = math.hypot(tx, ty) or 1.0
        ex, ey = x2 - tx / tl * (radius[e.target] + 3), y2 - ty / tl * (radius[e.target] + 3)
        width = 1.0 + 5.0 * e.weight / max(view.max_weight, 1)
        cls = "tie hostile" if e.layer == "hostile" else "tie cooperative"
        tip = f"{names[e.source]} → {names[e.target]}: {e.weight} {e.layer} events"
        if e.layer == "hostile":
            tip += f", {e.fatalities} fatalities, {e.trend}"
        out.append(
            f'<path class="{cls}" data-s="{_e(e.source)}" data-t="{_e(e.target)}" '
            f'd="M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {ex:.1f},{ey:.1f}" stroke-width="{width:.2f}" '
            f'marker-end="url(#arrow-{"h" if e.layer == "hostile" else "c"})"><title>{_e(tip)}</title></path>'
        )
    out.append('</g><g class="nodes">')
    for n in view.nodes:
        x, y = place[n.id]
        r = radius[n.id]
        tip = (
            f"{n.name} ({n.kind.replace('_', ' ')}): {n.events} events, influence {n.pagerank:.3f}, "
            f"brokerage {n.betweenness:.3f}, spoiler risk {n.spoiler_risk:.2f}"
        )
        ring = f'<circle class="ring" cx="{x:.1f}" cy="{y:.1f}" r="{r * 1.25 + 4:.1f}"/>' if n.likely_spoiler else ""
        label_y = y + r * 1.25 + (18 if n.likely_spoiler else 14)
        out.append(
            f'<a href="{_e(link.format(id=n.id))}" class="node" data-id="{_e(n.id)}">'
            f"<title>{_e(tip)}</title>{ring}{_shape(n.shape, x, y, r, 'node-shape')}"
            f'<text x="{x:.1f}" y="{label_y:.1f}" text-anchor="middle">{_e(n.name[:40])}</text></a>'
        )
    out.append("</g></svg>")
    return "".join(out)


def changes_svg(rows: Sequence[dict[str, Any]], *, limit: int = 20) -> str:
    """Events per actor before (hatched outline) and after (solid) as paired bars; the tables hold the numbers."""
    rows = list(rows)[:limit]
    if not rows:
        return ""
    label_w, bar_w, row_h = 210, 330, 26
    height = 30 + row_h * len(rows)
    top = max(max(int(r["before"]), int(r["after"])) for r in rows) or 1
    out = [
        f'<svg class="ac-changes" viewBox="0 0 {label_w + bar_w + 70} {height}" role="img" '
        'aria-labelledby="chg-title chg-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chg-title">Events before and after</title>',
        '<desc id="chg-desc">For each actor that turned hostile or went quiet, an outlined bar for its events in the '
        "first window and a solid bar for the second; the tables give the numbers.</desc>",
        '<rect class="bar before" x="4" y="6" width="14" height="8"/><text x="22" y="14">before</text>',
        '<rect class="bar after" x="84" y="6" width="14" height="8"/><text x="102" y="14">after</text>',
    ]
    for i, r in enumerate(rows):
        y = 26 + i * row_h
        name = str(r["name"])
        short = name if len(name) <= 30 else name[:29] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(short)}</text>')
        for j, key in enumerate(("before", "after")):
            n = int(r[key])
            w = max(bar_w * n / top, 1.0 if n else 0.0)
            by = y + 2 + j * 11
            out.append(f'<rect class="bar {key}" x="{label_w}" y="{by}" width="{w:.1f}" height="9"/>')
            out.append(f'<text class="count" x="{label_w + w + 4:.1f}" y="{by + 8}">{n}</text>')
    out.append("</svg>")
    return "".join(out)
