"""Geographic commitments: a ceasefire zone (polygon), a period and the event categories that would breach it.

Events from the event store that fall inside the zone, in the period and in those categories are surfaced as
*candidate* violations for a person to assess — never judged automatically. Point-in-polygon is the even-odd
ray-casting rule on WGS84 longitude/latitude treated as a plane (fine for zones of a few hundred km that do not
cross the antimeridian; such zones are refused). A point on the boundary counts as inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from detente.errors import InputError

__all__ = ["CandidateEvent", "GeoScope", "candidate_violations", "point_in_polygon"]

Point = tuple[float, float]  # (longitude, latitude)


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    if abs(cross) > 1e-12:
        return False
    return min(x1, x2) - 1e-12 <= x <= max(x1, x2) + 1e-12 and min(y1, y2) - 1e-12 <= y <= max(y1, y2) + 1e-12


def point_in_polygon(point: Point, ring: Sequence[Point]) -> bool:
    """Whether *point* lies inside or on the closed *ring* (even-odd rule)."""
    x, y = point
    inside = False
    n = len(ring)
    for i in range(n):
        a, b = ring[i], ring[(i + 1) % n]
        if _on_segment(point, a, b):
            return True
        (x1, y1), (x2, y2) = a, b
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def _coordinate(value: object, lo: int, hi: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise InputError(f"{value!r} is not a coordinate", field="geo.polygon") from exc
    if not number.is_finite() or not lo <= number <= hi:
        raise InputError(f"coordinate {value} is outside {lo}..{hi}", field="geo.polygon")
    return number


@dataclass(frozen=True)
class GeoScope:
    """A zone: a ring of ``(longitude, latitude)`` decimal strings, a period (dates, inclusive), categories."""

    ring: tuple[tuple[str, str], ...]
    start: date
    end: date
    categories: tuple[str, ...]

    def __post_init__(self) -> None:
        ring = list(self.ring)
        if len(ring) >= 2 and ring[0] == ring[-1]:
            ring = ring[:-1]
        if len(ring) < 3:
            raise InputError("a zone needs at least three distinct corners", field="geo.polygon")
        clean = tuple((str(_coordinate(lon, -180, 180)), str(_coordinate(lat, -90, 90))) for lon, lat in ring)
        lons = [float(lon) for lon, _ in clean]
        if max(lons) - min(lons) > 180:
            raise InputError("zones crossing the antimeridian are not supported", field="geo.polygon")
        object.__setattr__(self, "ring", clean)
        if self.end < self.start:
            raise InputError("the zone's period ends before it starts", field="geo.period")
        if not self.categories:
            raise InputError("name the event categories that would breach the zone", field="geo.categories")

    @property
    def points(self) -> list[Point]:
        return [(float(lon), float(lat)) for lon, lat in self.ring]

    def bbox(self) -> tuple[float, float, float, float]:
        pts = self.points
        return min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)

    def contains(self, longitude: float, latitude: float) -> bool:
        return point_in_polygon((longitude, latitude), self.points)

    def to_body(self) -> dict[str, Any]:
        return {
            "polygon": [[lon, lat] for lon, lat in self.ring],
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "categories": list(self.categories),
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> GeoScope:
        try:
            return cls(
                ring=tuple((str(p[0]), str(p[1])) for p in body["polygon"]),
                start=date.fromisoformat(body["start"]),
                end=date.fromisoformat(body["end"]),
                categories=tuple(body["categories"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"bad zone: {exc}", field="geo") from exc


@dataclass(frozen=True)
class CandidateEvent:
    """An event that may breach the zone: for a person to assess, with the facts needed to do so."""

    event_id: str
    date_start: date
    category: str
    latitude: float
    longitude: float
    place: str | None
    actors: tuple[str, ...]
    fatalities: int | None


def candidate_violations(scope: GeoScope, events: Any) -> list[CandidateEvent]:
    """Events of the Ibis table *events* (the event store) that fall in the zone, its period and categories.

    The period, categories and the zone's bounding box are pushed down to the engine; the exact polygon test runs
    on the few rows left. Sorted by date then id.
    """
    lon0, lat0, lon1, lat1 = scope.bbox()
    t = events
    query = t.filter(
        t.date_start <= scope.end,
        t.date_end >= scope.start,
        t.category.isin(list(scope.categories)),
        t.longitude.between(lon0, lon1),
        t.latitude.between(lat0, lat1),
    ).select(
        "event_id",
        "date_start",
        "category",
        "latitude",
        "longitude",
        "place",
        "actor1_name",
        "actor2_name",
        "fatalities_best",
    )
    rows: Iterable[dict[str, Any]] = query.to_pyarrow().to_pylist()
    found = [
        CandidateEvent(
            event_id=r["event_id"],
            date_start=r["date_start"],
            category=r["category"],
            latitude=r["latitude"],
            longitude=r["longitude"],
            place=r["place"],
            actors=tuple(a for a in (r["actor1_name"], r["actor2_name"]) if a),
            fatalities=r["fatalities_best"],
        )
        for r in rows
        if scope.contains(r["longitude"], r["latitude"])
    ]
    return sorted(found, key=lambda c: (c.date_start, c.event_id))
