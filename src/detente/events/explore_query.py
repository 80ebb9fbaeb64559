"""The explorer's query parameters: parsed once, validated, named by field when wrong.

Repeated or comma-separated values both work: ``?country=XAR&country=XBO`` or ``?country=XAR,XBO``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from detente.errors import InputError
from detente.events.query import EventFilter, parse_date

__all__ = ["MAX_PAGE", "MAX_PAGE_SIZE", "MEASURES", "ExplorerQuery", "parse_query"]

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 25
#: deepest page reachable by paging (beyond it, narrow the filter or export)
MAX_PAGE = 10_000
#: what the map counts: events, or deaths (``fatalities_best``); a way of showing, not a filter
MEASURES = ("events", "deaths")
_MAX_VALUES = 300
_MAX_TEXT = 200


@dataclass(frozen=True)
class ExplorerQuery:
    """A filter (:class:`EventFilter`) plus paging and what the map shows (``measure``)."""

    countries: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    actor: str | None = None
    sources: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    measure: str = "events"

    def event_filter(self) -> EventFilter:
        return EventFilter(
            countries=self.countries,
            start=self.start,
            end=self.end,
            categories=self.categories,
            actor=self.actor,
            sources=self.sources,
            bbox=self.bbox,
        )

    def params(self, *, paging: bool = False, **override: object) -> list[tuple[str, str]]:
        """The query as URL parameters (for links), without paging unless asked."""
        out: list[tuple[str, str]] = []
        out += [("country", c) for c in self.countries]
        if self.start:
            out.append(("start", self.start.isoformat()))
        if self.end:
            out.append(("end", self.end.isoformat()))
        out += [("category", c) for c in self.categories]
        if self.actor:
            out.append(("actor", self.actor))
        out += [("source", s) for s in self.sources]
        if self.bbox:
            out.append(("bbox", ",".join(f"{v:g}" for v in self.bbox)))
        measure = override.get("measure", self.measure)
        if measure != "events":
            out.append(("measure", str(measure)))
        if paging:
            out.append(("page", str(override.get("page", self.page))))
            out.append(("page_size", str(self.page_size)))
        return out

    def query_string(self, *, paging: bool = False, **override: object) -> str:
        return urlencode(self.params(paging=paging, **override))

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.countries or self.start or self.end or self.categories or self.actor or self.sources or self.bbox
        )


def _values(items: Sequence[tuple[str, str]], name: str) -> list[str]:
    out: list[str] = []
    for key, value in items:
        if key == name:
            out += [v.strip() for v in value.split(",") if v.strip()]
    if len(out) > _MAX_VALUES:
        raise InputError(f"at most {_MAX_VALUES} values", field=name)
    for v in out:
        if len(v) > _MAX_TEXT:
            raise InputError(f"a value longer than {_MAX_TEXT} characters", field=name)
    return out


def _last(items: Sequence[tuple[str, str]], name: str) -> str | None:
    found = [v.strip() for k, v in items if k == name and v.strip()]
    if not found:
        return None
    if len(found[-1]) > _MAX_TEXT:
        raise InputError(f"longer than {_MAX_TEXT} characters", field=name)
    return found[-1]


def _int(items: Sequence[tuple[str, str]], name: str, default: int, low: int, high: int) -> int:
    text = _last(items, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise InputError(f"{text!r} is not a whole number", field=name) from exc
    if not low <= value <= high:
        raise InputError(f"must be between {low} and {high}", field=name)
    return value


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise InputError("expected four numbers: min_lon,min_lat,max_lon,max_lat", field="bbox") from exc
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InputError("expected four numbers: min_lon,min_lat,max_lon,max_lat", field="bbox")
    x0, y0, x1, y1 = values
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InputError("longitudes -180..180 and latitudes -90..90, minimum before maximum", field="bbox")
    return (x0, y0, x1, y1)


def _measure(items: Sequence[tuple[str, str]]) -> str:
    text = _last(items, "measure")
    if text is None:
        return "events"
    if text not in MEASURES:
        raise InputError(f"{text!r} is not one of {', '.join(MEASURES)}", field="measure")
    return text


def parse_query(items: Sequence[tuple[str, str]]) -> ExplorerQuery:
    """Parse query parameters; a bad value raises :class:`InputError` naming its field."""
    countries = tuple(c.upper() for c in _values(items, "country"))
    start_text, end_text = _last(items, "start"), _last(items, "end")
    start = parse_date(start_text, "start") if start_text else None
    end = parse_date(end_text, "end") if end_text else None
    query = ExplorerQuery(
        countries=countries,
        start=start,
        end=end,
        categories=tuple(_values(items, "category")),
        actor=_last(items, "actor"),
        sources=tuple(_values(items, "source")),
        bbox=_bbox(_last(items, "bbox")),
        page=_int(items, "page", 1, 1, MAX_PAGE),
        page_size=_int(items, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        measure=_measure(items),
    )
    query.event_filter()  # validates categories, country codes, date order (InputError names the field)
    return query
