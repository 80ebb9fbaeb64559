"""Server-side SVG charts of trust: the planned trajectory with quantile bands, and the recorded history.

Readable without colour: each pair has its own dash pattern and marker shape and is named at the end of its line;
bands are described in the caption. Every point carries a ``<title>`` (a tooltip, and text for screen readers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

from detente.cbm import SimulationResult, TrustState

__all__ = ["Series", "history_svg", "lines_svg", "trajectory_svg"]

_DASHES = ("", "7 4", "2 3", "10 3 2 3", "4 2", "12 4")
_TONES = ("#1f4e79", "#8a4b08", "#2e6b30", "#6b2e6b", "#444444", "#7a1f1f")
_MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square")


@dataclass(frozen=True)
class Series:
    name: str
    #: (x, y) points; y in [0, 1]
    points: Sequence[tuple[float, float]]
    #: optional (x, low, high) outer and inner bands
    outer: Sequence[tuple[float, float, float]] = ()
    inner: Sequence[tuple[float, float, float]] = ()
    #: tooltip per point
    notes: Sequence[str] = ()


def _marker(kind: str, x: float, y: float, tone: str, note: str) -> str:
    title = f"<title>{escape(note)}</title>" if note else ""
    if kind == "square":
        shape = f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{tone}">'
        return f"{shape}{title}</rect>"
    if kind == "triangle":
        pts = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f}"
        return f'<polygon points="{pts}" fill="{tone}">{title}</polygon>'
    if kind == "diamond":
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{tone}">{title}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.8" fill="{tone}">{title}</circle>'


def lines_svg(
    series: Sequence[Series],
    *,
    x_label: str,
    title: str,
    threshold: float | None = None,
    width: int = 760,
    height: int = 330,
    x_ticks: Sequence[float] | None = None,
    x_tick_labels: Sequence[str] | None = None,
) -> Markup:
    """A line chart with bands on a 0–1 vertical scale; ``x_tick_labels`` (one per tick) replace the numbers."""
    left, right, top, bottom = 52, 170, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + (1.0 - y) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="cbm-chart" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<g class="grid" stroke="#c9d1d9" stroke-width="1">',
    ]
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        y = py(tick)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#1b1f23" '
            f'stroke="none">{tick:.1f}</text>'
        )
    ticks = list(x_ticks) if x_ticks is not None else sorted({x for x, _ in series[0].points} if series else set())
    names = list(x_tick_labels) if x_tick_labels is not None else [f"{tick:g}" for tick in ticks]
    step = max(1, len(ticks) // 12)
    for tick, name in list(zip(ticks, names, strict=True))[::step]:
        x = px(tick)
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" fill="#1b1f23" '
            f'stroke="none">{escape(name)}</text>'
        )
    out.append("</g>")
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12">'
        f"{escape(x_label)}</text>"
    )
    out.append(
        f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" font-size="12">'
        "belief (0–1)</text>"
    )
    if threshold is not None:
        y = py(threshold)
        out.append(
            f'<line class="goal" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#1b1f23" '
            'stroke-width="1.5" stroke-dasharray="1 4" stroke-linecap="round"/>'
        )
        out.append(f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" font-size="11">goal {threshold:.2f}</text>')
    label_ys: list[float] = []
    for i, s in enumerate(series):
        tone, dash, marker = _TONES[i % 6], _DASHES[i % 6], _MARKERS[i % 6]
        for band, opacity in ((s.outer, 0.10), (s.inner, 0.20)):
            if band:
                upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in band)
                lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(band))
                out.append(f'<polygon points="{upper} {lower}" fill="{tone}" fill-opacity="{opacity}" stroke="none"/>')
        if not s.points:
            continue
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline class="pair" data-pair="{escape(s.name)}" points="{path}" fill="none" stroke="{tone}" '
            f'stroke-width="2.2"{dash_attr}/>'
        )
        notes = list(s.notes) or [""] * len(s.points)
        for (x, y), note in zip(s.points, notes, strict=False):
            out.append(_marker(marker, px(x), py(y), tone, note))
        end_y = py(s.points[-1][1])
        while any(abs(end_y - other) < 13 for other in label_ys):
            end_y += 13
        label_ys.append(end_y)
        legend_x = left + plot_w + 8
        out.append(
            f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{end_y:.1f}" y2="{end_y:.1f}" stroke="{tone}" '
            f'stroke-width="2.2"{dash_attr}/>'
        )
        out.append(_marker(marker, legend_x + 9, end_y, tone, ""))
        out.append(f'<text x="{legend_x + 22}" y="{end_y + 4:.1f}" font-size="11">{escape(s.name)}</text>')
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#1b1f23" stroke-width="1"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def _short(pair: str) -> str:
    truster, _, trustee = pair.partition("->")
    return f"{_cut(truster)} → {_cut(trustee)}"


def _cut(name: str) -> str:
    name = name.replace(" (fictional)", "")
    return name if len(name) <= 10 else name[:9] + "…"


def trajectory_svg(result: SimulationResult, title: str = "Expected trust trajectory") -> Markup:
    """Median belief per pair with 25–75 % and 5–95 % bands over the simulated worlds, and the goal line."""
    series = []
    for pair, bands in result.trajectory.items():
        points = [(float(b.step), b.quantiles[2]) for b in bands]
        notes = [
            f"{pair}, step {b.step}: median {b.quantiles[2]:.2f}, 50% within {b.quantiles[1]:.2f}–{b.quantiles[3]:.2f}"
            f", 90% within {b.quantiles[0]:.2f}–{b.quantiles[4]:.2f}"
            for b in bands
        ]
        series.append(
            Series(
                name=_short(pair),
                points=points,
                outer=[(float(b.step), b.quantiles[0], b.quantiles[4]) for b in bands],
                inner=[(float(b.step), b.quantiles[1], b.quantiles[3]) for b in bands],
                notes=notes,
            )
        )
    return lines_svg(series, x_label="step of the plan (0 = now)", title=title, threshold=result.goal.threshold)


def history_svg(state: TrustState, title: str = "Recorded trust") -> Markup:
    """Each pair's belief over time: the prior at the date of the first update, then the value after every update
    at that update's date; a pair keeps its value while other pairs are updated, so the lines stay level between
    its own updates. The horizontal axis is the calendar (dates), not the count of updates."""
    history = list(state.history)
    first = min((u.time for u in history), default=None)

    def day(time: datetime) -> float:
        return 0.0 if first is None else (time - first).total_seconds() / 86_400

    series = []
    for truster in state.parties:
        for trustee in state.parties:
            if truster == trustee:
                continue
            value = next(b.belief for b in state.priors if b.truster == truster and b.trustee == trustee)
            points = [(0.0, value)]
            notes = [f"{truster} → {trustee}: prior {value:.2f}"]
            for update in history:
                when = update.time.date().isoformat()
                if update.truster == truster and update.trustee == trustee:
                    value = update.after
                    notes.append(f"{when}: {update.explanation}")
                else:
                    notes.append(f"{when}: {truster} → {trustee} {value:.2f} (another pair was updated)")
                points.append((day(update.time), value))
            series.append(Series(name=_short(f"{truster}->{trustee}"), points=points, notes=notes))
    if first is None:
        return lines_svg(
            series, x_label="no update yet: the priors", title=title, x_ticks=[0.0], x_tick_labels=["prior"]
        )
    span = max(day(u.time) for u in history)
    count = 6 if span > 0 else 1
    ticks = [span * i / (count - 1) for i in range(count)] if count > 1 else [0.0]
    labels = [(first + timedelta(days=t)).date().isoformat() for t in ticks]
    return lines_svg(
        series,
        x_label="date (the prior is drawn at the first update)",
        title=title,
        x_ticks=ticks,
        x_tick_labels=labels,
    )
