"""Country boundaries for the explorer's map, offline.

Real countries come from the ``pyworldatlas-mapdata-overview`` package (CC0; outlines from Natural Earth 1:10m
Admin 0 map units, sampled at 20 arc-minutes), which ships them inside its wheel: nothing is fetched at run time.
They are simplified here (Douglas-Peucker, 0.1 degree), keyed by ISO 3166 alpha-3, and cached as JSON in the
workspace (``cache/boundaries-v2.json``). The demo's fictional states (``XAR``, ``XBO``) have no real outline:
theirs are generated from their bounding boxes (``detente.events.demo.DEMO_COUNTRIES``).

``python -m detente.web.explorer.boundaries --workspace WS`` writes the cache ahead of time.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import itertools
import json
import math
import sqlite3
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from detente.events.demo import DEMO_COUNTRIES
from detente.workspace import atomic_write_bytes

__all__ = [
    "BOUNDARY_PACKAGE",
    "CACHE_NAME",
    "Country",
    "border_lines",
    "boundaries_available",
    "build_boundaries",
    "demo_outlines",
    "load_boundaries",
    "main",
    "simplify_ring",
]

BOUNDARY_PACKAGE = "pyworldatlas_mapdata_overview"
CACHE_NAME = "boundaries-v2.json"
#: simplification tolerance in degrees (the source is sampled at 1/3 degree; a map of a region needs no more)
TOLERANCE = 0.1
#: two neighbours' outlines of one border, sampled apart, run up to about this far from each other (degrees)
SHARED = 0.2

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Country:
    """One country's outline: rings of (lon, lat) and their bounding box."""

    iso3: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    bbox: tuple[float, float, float, float]
    fictional: bool = False
    #: the outline to stroke: the rings' parts that an earlier country (by ISO3) does not already draw
    lines: tuple[tuple[tuple[float, float], ...], ...] = ()


def _perpendicular(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == 0 and dy == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    return abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / math.hypot(dx, dy)


def simplify_ring(points: Sequence[tuple[float, float]], tolerance: float = TOLERANCE) -> Ring:
    """Douglas-Peucker simplification of one ring (iterative, so long rings do not recurse deeply)."""
    n = len(points)
    if n < 4:
        return list(points)
    keep = [False] * n
    keep[0] = keep[n - 1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, -1
        for i in range(first + 1, last):
            d = _perpendicular(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep, strict=True) if k]


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """From point ``p`` to the segment ``a``–``b`` (degrees, flat)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


Segment = tuple[tuple[float, float], tuple[float, float]]


def _straighten(line: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """A kept stretch without the points its cutting into pieces added (those on a straight run)."""
    out = [line[0]]
    for i in range(1, len(line) - 1):
        a, b, c = out[-1], line[i], line[i + 1]
        if abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) > 1e-9:
            out.append(b)
    out.append(line[-1])
    return tuple((round(x, 4), round(y, 4)) for x, y in out)


def border_lines(countries: Sequence[Country], shared: float = SHARED) -> list[Country]:
    """Each country with ``lines``: its outline without the stretches an earlier country (by ISO3) already
    draws. Neighbours' outlines of one border come from separate samplings, so they run side by side a few
    hundredths of a degree apart; stroking both draws every land border twice. A segment is left out when both
    its ends and its middle lie within ``shared`` degrees of an earlier country's outline."""
    grid: dict[tuple[int, int], list[Segment]] = {}  # earlier countries' segments by the cells they cross
    cell = max(shared, 0.25)  # a point's neighbours within ``shared`` are in its cell or the eight around it

    def near(p: tuple[float, float]) -> bool:
        gx, gy = math.floor(p[0] / cell), math.floor(p[1] / cell)
        for cx in (gx - 1, gx, gx + 1):
            for cy in (gy - 1, gy, gy + 1):
                for a, b in grid.get((cx, cy), ()):
                    if _distance(p, a, b) <= shared:
                        return True
        return False

    out: list[Country] = []
    for c in sorted(countries, key=lambda c: c.iso3):
        lines: list[tuple[tuple[float, float], ...]] = []
        for ring in c.rings:
            current: list[tuple[float, float]] = []
            for a, b in itertools.pairwise(ring):
                # in pieces of at most a quarter of ``shared``: a long segment may run along a border for part
                # of its length only
                n = max(1, math.ceil(math.hypot(b[0] - a[0], b[1] - a[1]) / (shared / 4)))
                for i in range(n):
                    p = (a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n)
                    q = b if i == n - 1 else (a[0] + (b[0] - a[0]) * (i + 1) / n, a[1] + (b[1] - a[1]) * (i + 1) / n)
                    mid = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
                    if near(mid) and near(p) and near(q):
                        if len(current) >= 2:
                            lines.append(_straighten(current))
                        current = []
                        continue
                    if not current:
                        current = [p]
                    current.append(q)
            if len(current) >= 2:
                lines.append(_straighten(current))
        for ring in c.rings:  # only now: a country's own rings never hide each other
            for a, b in itertools.pairwise(ring):
                for cx in range(math.floor(min(a[0], b[0]) / cell), math.floor(max(a[0], b[0]) / cell) + 1):
                    for cy in range(math.floor(min(a[1], b[1]) / cell), math.floor(max(a[1], b[1]) / cell) + 1):
                        grid.setdefault((cx, cy), []).append((a, b))
        out.append(dataclasses.replace(c, lines=tuple(lines)))
    return out


def _alpha2_to_alpha3() -> dict[str, str]:
    text = resources.files("detente.events").joinpath("countries.csv").read_text(encoding="utf-8")
    return {row["iso2"]: row["iso3"] for row in csv.DictReader(text.splitlines()) if row["iso2"]}


def boundaries_available() -> bool:
    """Whether the package carrying real boundaries is installed."""
    try:
        return resources.files(BOUNDARY_PACKAGE).joinpath("data", "maps.sqlite3").is_file()
    except ModuleNotFoundError:
        return False


def _bbox(rings: Sequence[Sequence[tuple[float, float]]]) -> tuple[float, float, float, float]:
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    return (min(xs), min(ys), max(xs), max(ys))


def build_boundaries(tolerance: float = TOLERANCE) -> list[Country]:
    """Read and simplify the real boundaries from the installed package (empty when it is absent)."""
    if not boundaries_available():
        return []
    to3 = _alpha2_to_alpha3()
    source = resources.files(BOUNDARY_PACKAGE).joinpath("data", "maps.sqlite3")
    with resources.as_file(source) as path:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT alpha2, name, payload FROM country_map ORDER BY alpha2").fetchall()
        finally:
            con.close()
    countries: list[Country] = []
    for alpha2, name, payload in rows:
        iso3 = to3.get(str(alpha2))
        if iso3 is None:
            continue
        doc = json.loads(zlib.decompress(payload))
        rings: list[tuple[tuple[float, float], ...]] = []
        for raw in doc.get("boundary", []):
            ring = simplify_ring([(float(x), float(y)) for x, y in raw], tolerance)
            if len(ring) >= 4:
                rings.append(tuple((round(x, 3), round(y, 3)) for x, y in ring))
        if rings:
            countries.append(Country(iso3, str(name), tuple(rings), _bbox(rings)))
    return countries


def demo_outlines() -> list[Country]:
    """Outlines of the demo's fictional states, generated from their bounding boxes: the box with each side
    bowed slightly outward (the demo's events fill the box, so they all fall inside)."""
    out = []
    for c in DEMO_COUNTRIES:
        x0, y0, x1, y1 = c.bbox
        w, h = x1 - x0, y1 - y0
        bow = 0.04 * min(w, h)
        ring = (
            (x0, y0),
            (x0 + 0.35 * w, y0 - bow),
            (x0 + 0.7 * w, y0 - 0.5 * bow),
            (x1, y0),
            (x1 + bow, y0 + 0.4 * h),
            (x1 + 0.5 * bow, y0 + 0.75 * h),
            (x1, y1),
            (x0 + 0.6 * w, y1 + bow),
            (x0 + 0.25 * w, y1 + 0.5 * bow),
            (x0, y1),
            (x0 - bow, y0 + 0.6 * h),
            (x0 - 0.5 * bow, y0 + 0.3 * h),
            (x0, y0),
        )
        bbox = (x0 - bow, y0 - bow, x1 + bow, y1 + bow)
        out.append(Country(c.iso3, c.name, (ring,), bbox, fictional=True))
    return out


def _to_json(countries: Sequence[Country]) -> bytes:
    doc = {
        "format": "detente-boundaries",
        "version": 2,
        "source": "Natural Earth 1:10m Admin 0 map units via pyworldatlas-mapdata-overview (CC0), simplified",
        "countries": [
            {
                "iso3": c.iso3,
                "name": c.name,
                "rings": c.rings,
                "bbox": c.bbox,
                "fictional": c.fictional,
                "lines": c.lines,
            }
            for c in countries
        ],
    }
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def _from_json(data: bytes) -> list[Country]:
    doc = json.loads(data)
    if doc.get("format") != "detente-boundaries" or doc.get("version") != 2:
        raise ValueError("not a version 2 boundaries cache")
    return [
        Country(
            c["iso3"],
            c["name"],
            tuple(tuple((float(x), float(y)) for x, y in r) for r in c["rings"]),
            tuple(c["bbox"]),
            bool(c["fictional"]),
            tuple(tuple((float(x), float(y)) for x, y in line) for line in c["lines"]),
        )
        for c in doc["countries"]
    ]


@functools.cache
def _built() -> list[Country]:
    """The boundaries built from the installed package, once per process (the package's data does not change)."""
    return border_lines(build_boundaries() + demo_outlines())


_memo: dict[str, list[Country]] = {}
_memo_lock = threading.Lock()


def load_boundaries(cache_dir: Path | None = None) -> list[Country]:
    """Real boundaries plus the demo outlines: from the workspace cache when present, else built from the
    installed package (and then written to the cache). Kept in memory after the first call."""
    key = str(cache_dir)
    with _memo_lock:
        if key in _memo:
            return _memo[key]
        countries: list[Country] | None = None
        cache = cache_dir / CACHE_NAME if cache_dir is not None else None
        if cache is not None and cache.is_file():
            try:
                countries = _from_json(cache.read_bytes())
            except (ValueError, KeyError, TypeError):
                countries = None
        if countries is None:
            countries = _built()
            real = any(not c.fictional for c in countries)
            if cache is not None and real:
                cache.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(cache, _to_json(countries))
        _memo[key] = countries
        return countries


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the explorer's simplified country boundaries to a workspace")
    parser.add_argument("--workspace", type=Path, required=True)
    args = parser.parse_args(argv)
    if not boundaries_available():
        print(f"the package {BOUNDARY_PACKAGE} is not installed: pip install pyworldatlas-mapdata-overview")
        return 1
    cache = args.workspace / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    countries = border_lines(build_boundaries() + demo_outlines())
    atomic_write_bytes(cache / CACHE_NAME, _to_json(countries))
    points = sum(len(r) for c in countries for r in c.rings)
    print(f"wrote {len(countries)} countries ({points} points) to {cache / CACHE_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
