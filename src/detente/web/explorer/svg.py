"""Server-rendered SVG: the map (country boundaries, event points or grid cells) and the timeline (stacked bars
by category group). Written by hand: no chart or map library. The browser's script only adds interaction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from detente.events.explore import MapData, Timeline
from detente.events.geo_precision import COUNTRY
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
    "has_marks",
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
    """Lines and labels of round longitudes and latitudes, only real ones (never past 90° or 180°)."""
    x0, y0, x1, y1 = view.box
    step = _nice_step(max(x1 - x0, y1 - y0), 6)
    out = ['<g class="graticule" aria-hidden="true">']
    lon = max(math.ceil(x0 / step) * step, -180.0)
    while lon <= min(x1, 180.0):
        x, _ = view.xy(lon, y0)
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{MAP_H}"/>')
        out.append(f'<text x="{x + 3:.1f}" y="{MAP_H - 4}">{_degrees(lon, "E", "W")}</text>')
        lon += step
    lat = max(math.ceil(y0 / step) * step, -90.0)
    while lat <= min(y1, 90.0):
        _, y = view.xy(x0, lat)
        out.append(f'<line x1="0" y1="{y:.1f}" x2="{MAP_W}" y2="{y:.1f}"/>')
        out.append(f'<text x="3" y="{y - 3:.1f}">{_degrees(lat, "N", "S")}</text>')
        lat += step
    out.append("</g>")
    return out


def _degrees(v: float, positive: str, negative: str) -> str:
    if v == 0:
        return "0°"
    return f"{abs(v):g}°{positive if v > 0 else negative}"


def _level(count: int, top: int) -> int:
    """Shade level 1..5 of a cell, on a log scale of the busiest cell."""
    if top <= 1:
        return 5
    return 1 + min(4, int(4 * math.log(max(count, 1)) / math.log(top) + 0.0001))


def _cell_value(data: MapData, item: Sequence[object]) -> int:
    """What a cell's shade shows: its events, or its deaths."""
    return int(str(item[4] if data.measure == "deaths" else item[2]))


def _line_path(view: MapView, line: Sequence[tuple[float, float]]) -> str:
    parts = []
    for i, (lon, lat) in enumerate(line):
        x, y = view.xy(lon, lat)
        parts.append(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}")
    return "".join(parts)


class _Placer:
    """Keeps written labels from overlapping: a label whose box meets an earlier one is left out."""

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float, float, float]] = []

    def place(self, x: float, y: float, text: str, size: float, anchor: str = "middle") -> bool:
        w = len(text) * size * 0.56 + 4
        left = x - w / 2 if anchor == "middle" else x
        box = (left, y - size, left + w, y + 3)
        if box[0] < 0 or box[2] > MAP_W or box[1] < 0 or box[3] > MAP_H:
            return False
        if any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in self.boxes):
            return False
        self.boxes.append(box)
        return True


def _points(data: MapData, view: MapView) -> list[str]:
    out = []
    deadly = data.measure == "deaths"
    r = 5.0 if len(data.items) < 300 else 3.5
    for lon, lat, category, event_id, day, deaths in data.items:
        g = group_of(str(category))
        x, y = view.xy(float(lon), float(lat))
        size = min(14.0, 3.0 + 1.6 * math.sqrt(int(deaths))) if deadly else r
        dead = f" · {int(deaths)} death{'' if int(deaths) == 1 else 's'}" if int(deaths) else ""
        out.append(
            f'<path class="mark g-{g.key}" data-id="{_a(event_id)}" data-deaths="{int(deaths)}" '
            f'd="{_symbol(g.shape, x, y, size)}">'
            f"<title>{_a(day)} · {_a(category)}{dead} · {float(lat):.3f}, {float(lon):.3f}</title></path>"
        )
    return out


def _cells(data: MapData, view: MapView) -> list[str]:
    out = []
    size = data.cell_size or 1.0
    top = max((_cell_value(data, i) for i in data.items), default=1)
    for item in data.items:
        lon0, lat0, count, category, deaths = item
        value = _cell_value(data, item)
        ax, ay = view.xy(float(lon0), float(lat0) + size)
        bx, by = view.xy(float(lon0) + size, float(lat0))
        w, h = bx - ax, by - ay
        out.append(
            f'<g class="cell l{_level(value, top)}" data-events="{int(count)}" data-deaths="{int(deaths)}">'
            f'<rect x="{ax:.1f}" y="{ay:.1f}" width="{w:.1f}" height="{h:.1f}"/>'
            f"<title>{int(count)} events, {int(deaths)} deaths in the {size:g}° cell at {float(lat0):.2f}, "
            f"{float(lon0):.2f}; most: {_a(category)}</title>"
        )
        if w >= 22 and h >= 12:
            tx, ty = ax + w / 2, ay + h / 2 + 4
            out.append(f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="middle">{_compact(value)}</text>')
        out.append("</g>")
    return out


def _stacks(data: MapData, view: MapView, placer: _Placer) -> list[str]:
    """Events located only to a centroid: a dashed ring (country) or dotted ring (first-level unit) with the
    number, never mistaken for a busy cell or a point."""
    deadly = data.measure == "deaths"
    shown = [st for st in data.stacks if (st.deaths if deadly else st.events) > 0]
    top = max(((st.deaths if deadly else st.events) for st in shown), default=1)
    out = [f'<g class="stacks" data-count="{len(shown)}" data-events="{data.approximate}">']
    for st in shown:
        value = st.deaths if deadly else st.events
        x, y = view.xy(st.lon, st.lat)
        r = 9.0 + 13.0 * math.sqrt(value / top)
        placer.boxes.append((x - r, y - r, x + r, y + r))  # names keep off the stack
        kind = "country" if st.precision == COUNTRY else "admin1"
        noun = "deaths" if deadly else "events"
        out.append(
            f'<g class="stack centre-{kind}" data-precision="{st.precision}" data-iso3="{_a(st.iso3 or "")}" '
            f'data-events="{st.events}" data-deaths="{st.deaths}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{_compact(value)}</text>'
            f"<title>{value:,} {noun} located only to {_a(st.name)} "
            f"({'the country' if kind == 'country' else 'a first-level unit'}: drawn at its centre)</title></g>"
        )
    out.append("</g>")
    return out


def _labels(data: MapData, view: MapView, placer: _Placer) -> list[str]:
    out = ['<g class="place-labels" aria-hidden="true">']
    x0, y0, x1, y1 = view.box
    skip = {st.name for st in data.stacks}
    for label in data.labels:
        if label.name in skip or not (x0 <= label.lon <= x1 and y0 <= label.lat <= y1):
            continue
        x, y = view.xy(label.lon, label.lat)
        if label.kind == "admin1":
            if placer.place(x, y - 8, label.name, 11):
                out.append(
                    f'<text class="admin1" x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{_a(label.name)}</text>'
                )
        elif placer.place(x + 4, y + 4, label.name, 10, anchor="start"):
            out.append(
                f'<circle class="place" cx="{x:.1f}" cy="{y:.1f}" r="2"/>'
                f'<text class="place" x="{x + 4:.1f}" y="{y + 4:.1f}">{_a(label.name)}</text>'
            )
    out.append("</g>")
    return out


def has_marks(data: MapData) -> bool:
    """Whether the map has anything to draw in its measure (points, cells or centroid stacks)."""
    deadly = data.measure == "deaths"
    return bool(data.items) or any((st.deaths if deadly else st.events) for st in data.stacks)


def map_svg(
    data: MapData,
    countries: Sequence[Country],
    labelled: Sequence[str] = (),
    *,
    title: str = "Map of events",
    empty: str = "No events with a location match this filter.",
    around: Sequence[str] = (),
) -> str:
    """The map as SVG markup, in layers: country fills (no outline), the events located to a place (points or
    cells), the borders once, the events located only to a centroid (apart), then names. With nothing to draw
    it says so in the map, shown around the countries ``around`` (those filtered on) or the world."""
    bbox = data.bbox
    if bbox is None and around:
        boxes = [c.bbox for c in countries if c.iso3 in set(around)]
        if boxes:
            bbox = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
    view = map_view(bbox)
    x0, y0, x1, y1 = view.box
    nothing = not has_marks(data)
    out = [
        f'<svg class="ex-map" viewBox="0 0 {MAP_W} {MAP_H}" role="img" aria-labelledby="map-title" '
        f'data-box="{x0:.4f},{y0:.4f},{x1:.4f},{y1:.4f}" data-k="{view.k:.6f}" data-scale="{view.scale:.6f}" '
        f'data-mode="{data.mode}" data-measure="{data.measure}" data-approximate="{data.approximate}" '
        f'xmlns="http://www.w3.org/2000/svg">',
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
    out += _points(data, view) if data.mode == "points" else _cells(data, view)
    out.append("</g>")
    # every border once, over the cells: each country strokes only what no earlier country strokes
    out.append('<g class="borders" aria-hidden="true">')
    for c in shown:
        d = "".join(_line_path(view, line) for line in c.lines)
        if d:
            cls = ' class="fictional"' if c.fictional else ""
            out.append(f'<path{cls} data-iso3="{_a(c.iso3)}" d="{d}"/>')
    out.append("</g>")
    placer = _Placer()
    out += _stacks(data, view, placer)
    out.append('<g class="country-labels" aria-hidden="true">')
    wanted = set(labelled)
    for c in shown:
        if c.iso3 not in wanted:
            continue
        cx = (max(c.bbox[0], x0) + min(c.bbox[2], x1)) / 2
        cy = (max(c.bbox[1], y0) + min(c.bbox[3], y1)) / 2
        x, y = view.xy(cx, cy)
        if placer.place(x, y, c.name, 12):
            out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{_a(c.name)}</text>')
    out.append("</g>")
    out += _labels(data, view, placer)
    if nothing:
        out.append(
            f'<g class="empty-state"><rect x="{MAP_W / 2 - 190}" y="{MAP_H / 2 - 22}" width="380" height="40" rx="4"/>'
            f'<text x="{MAP_W / 2}" y="{MAP_H / 2 + 3}" text-anchor="middle">{_a(empty)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def cell_levels(data: MapData) -> list[tuple[int, int, int]]:
    """The legend of the cell shades: (level, lowest, highest value) of each level in use (events or deaths)."""
    top = max((_cell_value(data, i) for i in data.items), default=1)
    ranges: dict[int, list[int]] = {}
    for item in data.items:
        n = _cell_value(data, item)
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
