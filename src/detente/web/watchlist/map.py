"""The watchlist's map: each unit coloured by its forecast probability of at least the threshold of deaths.

A country unit ("ISO3") is its country's outline, filled; a first-level unit ("ISO3:admin1") has no outline in the
data the project has, so it is a circle at the median of its events (``EventQueries.unit_anchors``), sized by the
deaths expected, filled like the countries, with its rank written in it. It reads only what the watchlist
document already holds (``units[].unit``, ``unit_name``, ``rank``, ``p_exceed``, ``forecast``) plus the explorer's
offline boundaries. Served as an image (``/watchlist/map.svg``) so the watchlist page includes it by one line
(``templates/watchlist/_map.html``); the table under it gives every figure as text. See docs/watchlist.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import escape

from detente.errors import AccessDenied, WarningDataError
from detente.services import events
from detente.services.watchlist import Pending, watchlist
from detente.web.deps import Ctx, User, page_guard
from detente.web.explorer.boundaries import Country, load_boundaries
from detente.web.explorer.svg import MAP_H, MAP_W, map_view
from detente.web.watchlist.routes import AsOf

__all__ = ["BINS", "bin_of", "router", "watchlist_map_svg"]

router = APIRouter(dependencies=[Depends(page_guard)], include_in_schema=False)

#: (lowest probability, fill, label) of each colour class, lowest first (ColorBrewer "OrRd", 5 classes)
BINS: tuple[tuple[float, str, str], ...] = (
    (0.0, "#fef0d9", "under 5 %"),
    (0.05, "#fdcc8a", "5–20 %"),
    (0.2, "#fc8d59", "20–50 %"),
    (0.5, "#e34a33", "50–80 %"),
    (0.8, "#b30000", "80 % or more"),
)
_NO_FORECAST = "#d9d9d9"


def bin_of(p: float | None) -> int | None:
    """The colour class of a probability (None without one)."""
    if p is None or not math.isfinite(p):
        return None
    return max(i for i, (low, _, _) in enumerate(BINS) if p >= low)


def _fill(p: float | None) -> str:
    i = bin_of(p)
    return _NO_FORECAST if i is None else BINS[i][1]


def _pct(p: float | None) -> str:
    return "no forecast" if p is None else f"{p * 100:.0f} %"


def _ring(view: Any, ring: Sequence[tuple[float, float]]) -> str:
    return "".join(
        f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y) in ((i, view.xy(*p)) for i, p in enumerate(ring))
    )


def _free_spot(x: float, y: float, r: float, taken: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    """Where a circle of radius ``r`` meant for (x, y) overlaps none already placed: (x, y) itself, else the first
    free point on a spiral around it (golden-angle steps), so units whose events share a centre stay visible."""
    for i in range(400):
        dist = 0.0 if i == 0 else 2.2 * math.sqrt(i) * r / 2
        angle = i * 2.399963
        cx, cy = x + dist * math.cos(angle), y + dist * math.sin(angle)
        if all(math.hypot(cx - tx, cy - ty) >= r + tr + 1 for tx, ty, tr in taken):
            return cx, cy
    return x, y


def watchlist_map_svg(
    units: Sequence[Mapping[str, Any]],
    countries: Sequence[Country],
    anchors: Mapping[tuple[str, str], tuple[float, float]],
    *,
    threshold: int,
) -> str:
    """The map as standalone SVG (presentation attributes only: it is shown as an image)."""
    by_iso3 = {c.iso3: c for c in countries}
    placed: list[tuple[Mapping[str, Any], tuple[float, float] | None, Country | None]] = []
    for u in units:
        iso3, _, admin1 = str(u["unit"]).partition(":")
        if admin1:
            placed.append((u, anchors.get((iso3, admin1)), None))
        else:
            placed.append((u, None, by_iso3.get(iso3)))
    xs: list[float] = []
    ys: list[float] = []
    for _, point, country in placed:
        if point is not None:
            xs.append(point[0])
            ys.append(point[1])
        if country is not None:
            xs += [country.bbox[0], country.bbox[2]]
            ys += [country.bbox[1], country.bbox[3]]
    view = map_view((min(xs), min(ys), max(xs), max(ys)) if xs else None)
    shown = [c for c in countries if view.intersects(c.bbox)]
    filled = {id(country): u for u, _, country in placed if country is not None}
    on_map = sum(1 for _, point, country in placed if point is not None or country is not None)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H}" width="{MAP_W}" height="{MAP_H}" '
        f'role="img" aria-labelledby="wl-map-title" data-units="{len(units)}" data-on-map="{on_map}" '
        f'data-box="{",".join(f"{v:.4f}" for v in view.box)}" data-k="{view.k:.6f}" data-scale="{view.scale:.6f}" '
        'font-family="sans-serif">',
        f'<title id="wl-map-title">Watchlist map: probability of at least {threshold} deaths per unit</title>',
        f'<rect width="{MAP_W}" height="{MAP_H}" fill="#eef3f7"/>',
        '<g class="countries">',
    ]
    for c in shown:
        d = "".join(_ring(view, r) for r in c.rings if len(r) >= 3)
        cu = filled.get(id(c))
        fill = _fill(cu.get("p_exceed")) if cu is not None else "#fbfaf5"
        attrs = f' data-unit="{escape(cu["unit"])}" data-p="{cu.get("p_exceed")}"' if cu is not None else ""
        out.append(f'<path class="country" data-iso3="{escape(c.iso3)}"{attrs} d="{d}" fill="{fill}" stroke="{fill}">')
        title = escape(c.name) if cu is None else escape(f"{cu.get('unit_name') or c.name}: {_pct(cu.get('p_exceed'))}")
        out.append(f"<title>{title}</title></path>")
    out.append('</g><g class="borders" fill="none" stroke="#4a545e" stroke-width="0.8">')
    for c in shown:
        d = "".join(_ring(view, line) for line in c.lines)
        if d:
            out.append(f'<path d="{d}"/>')
    out.append("</g>")
    top = max((float(u.get("forecast") or 0.0) for u, point, _ in placed if point is not None), default=0.0)
    circles: list[tuple[Mapping[str, Any], float, float, float, float, float]] = []  # unit, anchor x y, at x y, r
    for u, point, _ in sorted(placed, key=lambda t: int(t[0].get("rank") or 0)):  # the first rank keeps its place
        if point is None:
            continue
        ax, ay = view.xy(*point)
        expected = float(u.get("forecast") or 0.0)
        r = 6.0 + (10.0 * math.sqrt(expected / top) if top > 0 else 0.0)
        x, y = _free_spot(ax, ay, r, [(cx, cy, cr) for *_, cx, cy, cr in circles])
        circles.append((u, ax, ay, x, y, r))
    out.append('<g class="units">')
    for u, ax, ay, x, y, r in reversed(circles):  # the first rank drawn last, on top
        p = u.get("p_exceed")
        rank = int(u.get("rank") or 0)
        dark = (bin_of(p) or 0) >= 3
        expected = float(u.get("forecast") or 0.0)
        label = (
            f"{u.get('unit_name') or u['unit']}: rank {rank}, P(≥ {threshold} deaths) {_pct(p)}, "
            f"{expected:.1f} deaths expected"
        )
        out.append(f'<g class="unit" data-unit="{escape(u["unit"])}" data-p="{p}">')
        if math.hypot(x - ax, y - ay) > r:  # moved aside to be seen: a line back to where its events are
            out.append(
                f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#1b1f23" stroke-width="0.8"/>'
                f'<circle class="anchor" cx="{ax:.1f}" cy="{ay:.1f}" r="1.8" fill="#1b1f23"/>'
            )
        out.append(
            f'<circle class="disc" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{_fill(p)}" stroke="#1b1f23" '
            'stroke-width="1"/>'
        )
        if rank and rank <= 20:
            out.append(
                f'<text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle" font-size="10" font-weight="700" '
                f'fill="{"#fff" if dark else "#000"}">{rank}</text>'
            )
        out.append(f"<title>{escape(label)}</title></g>")
    out.append("</g>")
    if not on_map:
        out.append(
            f'<text x="{MAP_W / 2}" y="{MAP_H / 2}" text-anchor="middle" font-size="15" fill="#1b1f23">'
            "No unit of this watchlist has a place on the map.</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _svg_response(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def _message(text: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H}" width="{MAP_W}" height="{MAP_H}" '
        f'role="img" aria-label="{escape(text)}"><rect width="{MAP_W}" height="{MAP_H}" fill="#eef3f7"/>'
        f'<text x="{MAP_W / 2}" y="{MAP_H / 2}" text-anchor="middle" font-size="15" font-family="sans-serif">'
        f"{escape(text)}</text></svg>"
    )


@router.get("/watchlist/map.svg", name="watchlist_map")
def watchlist_map(request: Request, ctx: Ctx, p: User, as_of: AsOf = None) -> Response:
    """The map of the watchlist as of ``as_of`` (the page's own)."""
    try:
        doc = watchlist(ctx, p, as_of)
    except WarningDataError as exc:
        return _svg_response(_message(str(exc.reason)))
    if isinstance(doc, Pending):
        return _svg_response(_message("The watchlist is still being computed."), status=202)
    try:
        anchors = events.explorer(ctx, p, getattr(request.app.state, "settings", None)).unit_anchors()
    except AccessDenied:
        anchors = {}  # without the right to read events, first-level units have no place; countries still do
    countries = load_boundaries(Path(ctx.workspace) / "cache")
    return _svg_response(watchlist_map_svg(doc["units"], countries, anchors, threshold=int(doc["threshold"])))
