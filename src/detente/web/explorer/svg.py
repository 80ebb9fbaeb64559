"""Server-rendered SVG: the map (country boundaries, event points or grid cells) and the timeline (stacked bars
by category group). Written by hand: no chart or map library. The browser's script only adds interaction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from detente.events.explore import MapData, Timeline
from detente.events.groups import GROUPS, Group, group_of
from detente.web.explorer.boundaries import Country

__all__ = [
    "MAP_H",
    "MAP_W",
    "TL_H",
    "TL_W",
    "MapView",
    "bucket_label",
    "cell_levels",
    "map_svg",
    "map_view",
    "pattern_defs",
    "timeline_svg",
]

MAP_W, MAP_H = 600, 380
TL_W, TL_H = 480, 230
_WORLD = (-180.0, -60.0, 180.0, 80.0)


def _a(value: object) -> str:
    return escape(str(value), quote=True)


class MapView:
    """An equirectangular projection of a lon/lat box onto the map's pixels (x scaled by cos of the mid latitude)."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.k = max(0.2, math.cos(math.radians((y0 + y1) / 2)))
        # widen the box to the map's aspect ratio
        w, h = (x1 - x0) * self.k, y1 - y0
        want = MAP_W / MAP_H
        if w / h < want:
            grow = (h * want / self.k - (x1 - x0)) / 2
            x0, x1 = x0 - grow, x1 + grow
        else:
            grow = (w / want - h) / 2
            y0, y1 = y0 - grow, y1 + grow
        self.box = (x0, y0, x1, y1)
        self.scale = MAP_W / ((x1 - x0) * self.k)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x0, _, _, y1 = self.box
        return ((lon - x0) * self.k * self.scale, (y1 - lat) * self.scale)

    def intersects(self, bbox: Sequence[float]) -> bool:
        x0, y0, x1, y1 = self.box
        return not (bbox[2] < x0 or bbox[0] > x1 or bbox[3] < y0 or bbox[1] > y1)


def map_view(bbox: tuple[float, float, float, float] | None) -> MapView:
    """The view around the data's extent, padded by 15 % and at least 3 degrees across."""
    if bbox is None:
        return MapView(*_WORLD)
    x0, y0, x1, y1 = bbox
    pad_x = max((x1 - x0) * 0.15, 1.5 - (x1 - x0) / 2)
    pad_y = max((y1 - y0) * 0.15, 1.5 - (y1 - y0) / 2)
    return MapView(max(-180.0, x0 - pad_x), max(-85.0, y0 - pad_y), min(180.0, x1 + pad_x), min(85.0, y1 + pad_y))


def _ring_path(view: MapView, ring: Sequence[tuple[float, float]]) -> str:
    parts = []
    for i, (lon, lat) in enumerate(ring):
        x, y = view.xy(lon, lat)
        parts.append(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}")
    return "".join(parts) + "Z"


def _symbol(shape: str, x: float, y: float, r: float) -> str:
    if shape == "triangle":
        return f"M{x:.1f} {y - r:.1f}L{x + r:.1f} {y + r * 0.8:.1f}L{x - r:.1f} {y + r * 0.8:.1f}Z"
    if shape == "square":
        s = r * 0.85
        return f"M{x - s:.1f} {y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    if shape == "diamond":
        return f"M{x:.1f} {y - r:.1f}L{x + r:.1f} {y:.1f}L{x:.1f} {y + r:.1f}L{x - r:.1f} {y:.1f}Z"
    if shape == "circle":
        return f"M{x - r:.1f} {y:.1f}a{r:.1f} {r:.1f} 0 1 0 {2 * r:.1f} 0a{r:.1f} {r:.1f} 0 1 0 {-2 * r:.1f} 0Z"
    t = r * 0.35  # cross
    return (
        f"M{x - t:.1f} {y - r:.1f}h{2 * t:.1f}v{r - t:.1f}h{r - t:.1f}v{2 * t:.1f}h{t - r:.1f}v{r - t:.1f}"
        f"h{-2 * t:.1f}v{t - r:.1f}h{t - r:.1f}v{-2 * t:.1f}h{r - t:.1f}Z"
    )


def _nice_step(span: float, target: int) -> float:
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _graticule(view: MapView) -> list[str]:
    x0, y0, x1, y1 = view.box
    step = _nice_step(max(x1 - x0, y1 - y0), 6)
    out = ['<g class="graticule" aria-hidden="true">']
    lon = math.ceil(x0 / step) * step
    while lon <= x1:
        x, _ = view.xy(lon, y0)
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{MAP_H}"/>')
        out.append(f'<text x="{x + 3:.1f}" y="{MAP_H - 4}">{abs(lon):g}°{"W" if lon < 0 else "E"}</text>')
        lon += step
    lat = math.ceil(y0 / step) * step
    while lat <= y1:
        _, y = view.xy(x0, lat)
        out.append(f'<line x1="0" y1="{y:.1f}" x2="{MAP_W}" y2="{y:.1f}"/>')
        out.append(f'<text x="3" y="{y - 3:.1f}">{abs(lat):g}°{"S" if lat < 0 else "N"}</text>')
        lat += step
    out.append("</g>")
    return out


def _level(count: int, top: int) -> int:
    """Shade level 1..5 of a cell, on a log scale of the busiest cell."""
    if top <= 1:
        return 5
    return 1 + min(4, int(4 * math.log(max(count, 1)) / math.log(top) + 0.0001))


def map_svg(
    data: MapData, countries: Sequence[Country], labelled: Sequence[str] = (), *, title: str = "Map of events"
) -> str:
    """The map as SVG markup: boundaries of the countries in view, then the events (points or cells)."""
    view = map_view(data.bbox)
    x0, y0, x1, y1 = view.box
    out = [
        f'<svg class="ex-map" viewBox="0 0 {MAP_W} {MAP_H}" role="img" aria-labelledby="map-title" '
        f'data-box="{x0:.4f},{y0:.4f},{x1:.4f},{y1:.4f}" data-k="{view.k:.6f}" data-scale="{view.scale:.6f}" '
        f'data-mode="{data.mode}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="map-title">{_a(title)}</title>',
        f'<rect class="sea" x="0" y="0" width="{MAP_W}" height="{MAP_H}"/>',
    ]
    out += _graticule(view)
    out.append('<g class="countries">')
    shown = [c for c in countries if view.intersects(c.bbox)]
    for c in shown:
        d = "".join(_ring_path(view, r) for r in c.rings if len(r) >= 3)
        cls = "country fictional" if c.fictional else "country"
        out.append(f'<path class="{cls}" data-iso3="{_a(c.iso3)}" d="{d}"><title>{_a(c.name)}</title></path>')
    out.append("</g>")
    out.append(f'<g class="events" data-count="{len(data.items)}">')
    if data.mode == "points":
        r = 5.0 if len(data.items) < 300 else 3.5
        for lon, lat, category, event_id, day in data.items:
            g = group_of(str(category))
            x, y = view.xy(float(lon), float(lat))
            out.append(
                f'<path class="mark g-{g.key}" data-id="{_a(event_id)}" d="{_symbol(g.shape, x, y, r)}">'
                f"<title>{_a(day)} · {_a(category)} · {float(lat):.3f}, {float(lon):.3f}</title></path>"
            )
    else:
        size = data.cell_size or 1.0
        top = max((int(i[2]) for i in data.items), default=1)
        for lon0, lat0, count, category in data.items:
            ax, ay = view.xy(float(lon0), float(lat0) + size)
            bx, by = view.xy(float(lon0) + size, float(lat0))
            w, h = bx - ax, by - ay
            level = _level(int(count), top)
            out.append(
                f'<g class="cell l{level}"><rect x="{ax:.1f}" y="{ay:.1f}" width="{w:.1f}" height="{h:.1f}"/>'
                f"<title>{int(count)} events in {size:g}° cell at {float(lat0):.2f}, {float(lon0):.2f}; "
                f"most: {_a(category)}</title>"
            )
            if w >= 22 and h >= 12:
                tx, ty = ax + w / 2, ay + h / 2 + 4
                out.append(f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="middle">{_compact(int(count))}</text>')
            out.append("</g>")
    out.append("</g>")
    if data.mode == "cells":  # cells hide the land: draw the borders again, over them
        out.append('<g class="borders" aria-hidden="true">')
        for c in shown:
            d = "".join(_ring_path(view, r) for r in c.rings if len(r) >= 3)
            out.append(f'<path d="{d}"/>')
        out.append("</g>")
    out.append('<g class="country-labels" aria-hidden="true">')
    wanted = set(labelled)
    for c in shown:
        if c.iso3 not in wanted:
            continue
        cx = (max(c.bbox[0], x0) + min(c.bbox[2], x1)) / 2
        cy = (max(c.bbox[1], y0) + min(c.bbox[3], y1)) / 2
        x, y = view.xy(cx, cy)
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{_a(c.name)}</text>')
    out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def cell_levels(data: MapData) -> list[tuple[int, int, int]]:
    """The legend of the cell shades: (level, lowest count, highest count) of each level in use."""
    top = max((int(i[2]) for i in data.items), default=1)
    ranges: dict[int, list[int]] = {}
    for item in data.items:
        n = int(item[2])
        level = _level(n, top)
        lo_hi = ranges.setdefault(level, [n, n])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], n), max(lo_hi[1], n)
    return [(lv, lo, hi) for lv, (lo, hi) in sorted(ranges.items())]


def _compact(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n // 1000}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


def _next(d: date, bucket: str) -> date:
    if bucket == "day":
        return d + timedelta(days=1)
    if bucket == "week":
        return d + timedelta(days=7)
    if bucket == "month":
        return date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)


def bucket_label(d: date, bucket: str) -> str:
    if bucket == "year":
        return str(d.year)
    if bucket == "month":
        return f"{d.year}-{d.month:02d}"
    return d.isoformat()


def _ticks(buckets: Sequence[date], bucket: str, most: int = 6) -> list[tuple[int, str]]:
    """Axis ticks at the starts of coarser periods (years for months, months for weeks and days), thinned."""
    if bucket == "year":
        marks = [(i, str(b.year)) for i, b in enumerate(buckets)]
    elif bucket == "month":
        marks = [(i, str(b.year)) for i, b in enumerate(buckets) if b.month == 1]
    else:
        marks = [
            (i, f"{b.year}-{b.month:02d}") for i, b in enumerate(buckets) if i == 0 or b.month != buckets[i - 1].month
        ]
        if bucket == "day" and len(marks) < 2:
            marks = [(i, b.isoformat()[5:]) for i, b in enumerate(buckets) if b.weekday() == 0]
    if len(marks) < 2:
        marks = [(0, bucket_label(buckets[0], bucket)), (len(buckets) - 1, bucket_label(buckets[-1], bucket))]
        if len(buckets) == 1:
            marks = marks[:1]
    step = max(1, math.ceil(len(marks) / most))
    return marks[::step]


def pattern_defs() -> str:
    """Fill patterns of the category groups (used by the timeline and its legend)."""
    p = {
        "solid": "",
        "hatch": '<path d="M-1 1l2-2M0 6l6-6M5 7l2-2"/>',
        "dots": '<circle cx="3" cy="3" r="1.3"/>',
        "lines": '<path d="M0 1.5h6M0 4.5h6"/>',
        "crosshatch": '<path d="M0 0l6 6M6 0l-6 6"/>',
    }
    out = ["<defs>"]
    for g in GROUPS:
        out.append(
            f'<pattern id="pat-{g.key}" class="pat g-{g.key}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect class="bg" width="6" height="6"/>{p[g.pattern]}</pattern>'
        )
    out.append("</defs>")
    return "".join(out)


def timeline_svg(tl: Timeline, *, title: str = "Events over time") -> str:
    """Stacked bars per bucket by category group, with axes, a written legend and a title per bar."""
    buckets: list[date] = []
    by_bucket: dict[date, dict[str, int]] = {}
    for day, category, n in tl.counts:
        per = by_bucket.setdefault(day, {})
        key = group_of(category).key
        per[key] = per.get(key, 0) + n
    if by_bucket:
        d, last = min(by_bucket), max(by_bucket)
        while d <= last and len(buckets) < 5000:
            buckets.append(d)
            d = _next(d, tl.bucket)
    left, right, top, bottom = 44, 8, 10, 30
    pw, ph = TL_W - left - right, TL_H - top - bottom
    peak = max((sum(v.values()) for v in by_bucket.values()), default=0)
    step = _nice_step(max(peak, 1), 4) if peak else 1
    ymax = max(step, math.ceil(peak / step) * step)
    out = [
        f'<svg class="ex-timeline" viewBox="0 0 {TL_W} {TL_H}" role="img" aria-labelledby="tl-title" '
        f'data-bucket="{tl.bucket}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="tl-title">{_a(title)} (per {tl.bucket})</title>',
        pattern_defs(),
        '<g class="axis y-axis">',
    ]
    v = 0.0
    while v <= ymax + 1e-9:
        y = top + ph - ph * v / ymax
        out.append(f'<line class="grid" x1="{left}" x2="{TL_W - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{_compact(int(v))}</text>')
        v += step
    out.append(
        f'<text class="axis-title" transform="translate(11 {top + ph / 2:.0f}) rotate(-90)" text-anchor="middle">'
        "events</text></g>"
    )
    out.append('<g class="bars">')
    n = max(1, len(buckets))
    slot = pw / n
    bar = max(1.0, slot * 0.85) if slot > 3 else slot
    for i, b in enumerate(buckets):
        per = by_bucket.get(b, {})
        total = sum(per.values())
        x = left + i * slot + (slot - bar) / 2
        end = _next(b, tl.bucket) - timedelta(days=1)
        label = bucket_label(b, tl.bucket)
        out.append(
            f'<g class="bar" data-start="{b.isoformat()}" data-end="{end.isoformat()}" data-total="{total}">'
            f'<rect class="hit" x="{left + i * slot:.2f}" y="{top}" width="{slot:.2f}" height="{ph}"/>'
        )
        y = top + ph
        parts = []
        for g in GROUPS:
            k = per.get(g.key, 0)
            if not k:
                continue
            h = ph * k / ymax
            y -= h
            out.append(
                f'<rect class="seg g-{g.key}" x="{x:.2f}" y="{y:.2f}" width="{bar:.2f}" height="{h:.2f}" '
                f'fill="url(#pat-{g.key})"/>'
            )
            parts.append(f"{g.label}: {k}")
        out.append(f"<title>{_a(label)}: {total} events{'; ' if parts else ''}{_a('; '.join(parts))}</title></g>")
    out.append("</g>")
    out.append(f'<g class="axis x-axis"><line x1="{left}" x2="{TL_W - right}" y1="{top + ph}" y2="{top + ph}"/>')
    if buckets:
        for j, text in _ticks(buckets, tl.bucket):
            x = left + j * slot + slot / 2
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}"/>')
            out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{text}</text>')
    else:
        out.append(f'<text x="{left + pw / 2:.0f}" y="{top + ph / 2:.0f}" text-anchor="middle">no events</text>')
    out.append("</g></svg>")
    return "".join(out)


def legend_groups() -> Sequence[Group]:
    return GROUPS
