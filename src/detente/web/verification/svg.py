"""The track-record chart as SVG, drawn on the server: per party, the Beta posterior mean of "keeps a commitment"
after each assessment (a step line) inside its 90 % interval (a band). Readable without colour: each party has
its own dash pattern and marker, named in a legend and at the line's end; the numbers are in a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape

from detente.verification.track_record import RecordPoint

__all__ = ["track_record_svg"]

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 190, 16, 40
DASHES = ("", "8 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "diamond", "triangle")
SHADES = ("#1f4e79", "#7a3e00", "#2d5f2d", "#5b2a6e")


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "diamond":
        pts = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 4.5:.1f} {x - 4.5:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{colour}"/>'
    pts = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 4:.1f} {x - 4.5:.1f},{y + 4:.1f}"
    return f'<polygon points="{pts}" fill="{colour}"/>'


def track_record_svg(series: Mapping[str, Sequence[RecordPoint]], *, now: datetime, title: str) -> str:
    """An ``<svg>`` element (no script, no external reference) for the page."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    times = [pt.time for points in series.values() for pt in points]
    t0 = min(times) if times else now - timedelta(days=30)
    t1 = max([*times, now]) if times else now
    if t1 <= t0:
        t1 = t0 + timedelta(days=1)
    span = (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return LEFT + plot_w * (t - t0).total_seconds() / span

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="vchart" role="img" '
        f'aria-labelledby="vchart-title"><title id="vchart-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#57606a"/>',
    ]
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#d0d7de"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.2f}</text>')
    stamp = "%Y-%m-%d" if span > 3 * 86400 else "%m-%d %H:%M"
    for i in range(5):
        t = t0 + (t1 - t0) * i / 4
        parts.append(
            f'<text x="{x(t):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" font-size="11">{t:{stamp}}</text>'
        )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" font-size="11" transform="rotate(-90 14 {TOP + plot_h / 2:.0f})" '
        'text-anchor="middle">P(keeps a commitment), 90 % interval</text>'
    )
    for k, (party, points) in enumerate(sorted(series.items())):
        if not points:
            continue
        colour, dash, marker = SHADES[k % 4], DASHES[k % 4], MARKERS[k % 4]
        ends = [*[pt.time for pt in points[1:]], t1]
        upper, lower, line = [], [], []
        for pt, end in zip(points, ends, strict=True):
            upper += [(x(pt.time), y(pt.high)), (x(end), y(pt.high))]
            lower += [(x(pt.time), y(pt.low)), (x(end), y(pt.low))]
            line += [(x(pt.time), y(pt.mean)), (x(end), y(pt.mean))]
        band = " ".join(f"{a:.1f},{b:.1f}" for a, b in [*upper, *reversed(lower)])
        parts.append(
            f'<polygon points="{band}" fill="{colour}" fill-opacity="0.12" stroke="{colour}" '
            f'stroke-opacity="0.5" stroke-dasharray="{dash or "none"}" stroke-width="0.8"/>'
        )
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in line)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.2"{dash_attr}/>')
        parts += [_marker(marker, x(pt.time), y(pt.mean), colour) for pt in points]
        ly = TOP + 14 + 34 * k
        lx = LEFT + plot_w + 12
        parts.append(
            f'<line x1="{lx}" x2="{lx + 26}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2.2"{dash_attr}/>'
        )
        parts.append(_marker(marker, lx + 13, ly, colour))
        last = points[-1]
        parts.append(f'<text x="{lx + 32}" y="{ly + 4}" font-size="12">{escape(party[:26])}</text>')
        parts.append(
            f'<text x="{lx + 32}" y="{ly + 18}" font-size="11">{last.mean:.2f} [{last.low:.2f}, {last.high:.2f}]</text>'
        )
    if not any(series.values()):
        parts.append(
            f'<text x="{LEFT + plot_w / 2:.0f}" y="{TOP + plot_h / 2:.0f}" text-anchor="middle" font-size="13">'
            "No scored assessment you may read yet.</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
