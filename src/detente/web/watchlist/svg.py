"""Server-side SVG for the watchlist: a sparkline per unit and the reliability diagram. No library, no script;
marks differ by shape and dash as well as colour, and every chart carries a text alternative."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import escape

__all__ = ["reliability_svg", "sparkline_svg"]


def _f(v: float) -> str:
    return f"{v:.1f}"


def sparkline_svg(points: Sequence[dict[str, Any]], *, width: int = 132, height: int = 30) -> str:
    """Deaths per month (``month``, ``value``) as a line with a dot per month; the latest month drawn larger. A month
    without data (``value`` None) has no dot and breaks the line: no data is not zero."""
    if not points:
        return ""
    values = [None if p["value"] is None else float(p["value"]) for p in points]
    known = [v for v in values if v is not None]
    top = (max(known) if known else 0.0) or 1.0
    pad = 3.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + i * step, height - pad - (height - 2 * pad) * v / top

    def said(v: float | None) -> str:
        return "no data" if v is None else f"{int(v)}"

    first, last = points[0], points[-1]
    label = (
        f"Deaths per month, {first['month']} to {last['month']}: "
        + ", ".join(said(v) for v in values)
        + f" (highest {int(max(known)) if known else 'none'})"
    )
    dots: list[str] = []
    lines: list[list[str]] = []
    run: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if len(run) > 1:
                lines.append(run)
            run = []
            continue
        x, y = xy(i, v)
        run.append(f"{_f(x)},{_f(y)}")
        is_last = i == len(values) - 1
        dots.append(
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{2.6 if is_last else 1.3}"'
            f"{' class=' + chr(34) + 'last' + chr(34) if is_last else ''}>"
            f"<title>{escape(points[i]['month'])}: {said(v)}</title></circle>"
        )
    if len(run) > 1:
        lines.append(run)
    base = height - pad
    polylines = "".join(f'<polyline points="{" ".join(r)}"/>' for r in lines)
    return (
        f'<svg class="wl-spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><line class="base" x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}"/>'
        f"{polylines}{''.join(dots)}</svg>"
    )


#: marker shapes per model (readable without colour)
_SHAPES = ("circle", "square", "triangle", "diamond", "cross")


def _marker(shape: str, x: float, y: float, title: str) -> str:
    t = f"<title>{escape(title)}</title>"
    if shape == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4.5">{t}</circle>'
    if shape == "square":
        return f'<rect x="{_f(x - 4)}" y="{_f(y - 4)}" width="8" height="8">{t}</rect>'
    if shape == "triangle":
        return f'<path d="M{_f(x)} {_f(y - 5)}L{_f(x + 5)} {_f(y + 4)}L{_f(x - 5)} {_f(y + 4)}Z">{t}</path>'
    if shape == "diamond":
        return f'<path d="M{_f(x)} {_f(y - 5)}L{_f(x + 5)} {_f(y)}L{_f(x)} {_f(y + 5)}L{_f(x - 5)} {_f(y)}Z">{t}</path>'
    a, b = f"{_f(x - 4)} {_f(y - 4)}", f"{_f(x + 4)} {_f(y + 4)}"
    c, d = f"{_f(x - 4)} {_f(y + 4)}", f"{_f(x + 4)} {_f(y - 4)}"
    return f'<path class="x" d="M{a}L{b}M{c}L{d}">{t}</path>'


def reliability_svg(tables: dict[str, list[dict[str, float]]], *, size: int = 360) -> str:
    """Observed frequency against mean forecast per probability bin, one marked line per model, the diagonal
    dashed. Models whose forecasts fall in one bin only (constant baselines) have no curve and are left out, and so
    are the deciles and the bin of the highest 5 % of forecasts (``decile``, ``top_share`` > 0), which overlap them."""
    left, bottom, right, top = 52, 44, 12, 12
    w, h = size - left - right, size - top - bottom

    def px(p: float) -> float:
        return left + w * p

    def py(p: float) -> float:
        return top + h * (1 - p)

    parts = [
        f'<svg class="wl-reliability" viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        f'aria-labelledby="rel-title"><title id="rel-title">Reliability diagram: observed frequency against '
        f"forecast probability, per model</title>"
    ]
    for k in range(6):
        v = k / 5
        parts.append(
            f'<g class="grid"><line x1="{_f(px(v))}" y1="{top}" x2="{_f(px(v))}" y2="{top + h}"/>'
            f'<line x1="{left}" y1="{_f(py(v))}" x2="{left + w}" y2="{_f(py(v))}"/></g>'
            f'<text class="tick" x="{_f(px(v))}" y="{top + h + 16}" text-anchor="middle">{v:.1f}</text>'
            f'<text class="tick" x="{left - 6}" y="{_f(py(v) + 4)}" text-anchor="end">{v:.1f}</text>'
        )
    parts.append(
        f'<line class="diagonal" x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}"/>'
        f'<rect class="frame" x="{left}" y="{top}" width="{w}" height="{h}"/>'
        f'<text class="axis" x="{left + w / 2}" y="{size - 6}" text-anchor="middle">forecast probability</text>'
        f'<text class="axis" transform="translate(14 {top + h / 2}) rotate(-90)" text-anchor="middle">'
        f"observed frequency</text>"
    )
    # the probability-scale bins only: deciles and the top-5 % bin overlap them
    scale = {name: [r for r in rows if not r.get("top_share") and not r.get("decile")] for name, rows in tables.items()}
    shown = [(name, rows) for name, rows in scale.items() if len(rows) > 1]
    for i, (name, rows) in enumerate(shown):
        shape = _SHAPES[i % len(_SHAPES)]
        pts = [(px(r["mean_forecast"]), py(r["observed_frequency"]), r) for r in rows]
        line = " ".join(f"{_f(x)},{_f(y)}" for x, y, _ in pts)
        marks = "".join(
            _marker(
                shape,
                x,
                y,
                f"{name}: forecast {r['mean_forecast']:.2f}, observed {r['observed_frequency']:.2f} "
                f"({int(r['count'])} unit-months)",
            )
            for x, y, r in pts
        )
        parts.append(f'<g class="model m{i}" data-model="{escape(name)}"><polyline points="{line}"/>{marks}</g>')
    parts.append("</svg>")
    return "".join(parts)
