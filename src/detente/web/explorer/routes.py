"""The explorer's routes: the page ``/events`` and the JSON API under ``/api/v1/events``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from markupsafe import Markup
from pydantic import BaseModel, Field

from detente.errors import InputError
from detente.events.explore import EventQueries, MapData
from detente.events.explore_query import MAX_PAGE, MAX_PAGE_SIZE, ExplorerQuery, parse_query
from detente.events.groups import GROUPS, group_of
from detente.services import events
from detente.web.api import ErrorBody
from detente.web.deps import Ctx, User, api_guard, page_guard
from detente.web.explorer.boundaries import boundaries_available, load_boundaries
from detente.web.explorer.streaming import stream_export
from detente.web.explorer.svg import bucket_label, cell_levels, has_marks, map_svg, timeline_svg
from detente.web.security import Principal, WebContext

__all__ = ["api_router", "page_router"]

page_router = APIRouter(dependencies=[Depends(page_guard)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/events", dependencies=[Depends(api_guard)], tags=["events"])

_Text = Annotated[str | None, Query(max_length=200)]
_Many = Annotated[list[str] | None, Query(max_length=300)]


def explorer_query(
    request: Request,
    country: Annotated[list[str] | None, Query(description="ISO 3166 alpha-3; repeat or separate by commas")] = None,
    start: Annotated[str | None, Query(max_length=10, description="events ending on or after (YYYY[-MM[-DD]])")] = None,
    end: Annotated[str | None, Query(max_length=10, description="events starting on or before")] = None,
    category: Annotated[list[str] | None, Query(description="canonical category; repeatable")] = None,
    actor: _Text = None,
    source: Annotated[list[str] | None, Query(description="source slug; repeatable")] = None,
    bbox: Annotated[str | None, Query(max_length=100, description="min_lon,min_lat,max_lon,max_lat")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 25,
    measure: Annotated[
        str | None, Query(max_length=10, description="what the map counts: events (default) or deaths")
    ] = None,
) -> ExplorerQuery:
    """The filter and paging of the request (the typed parameters document the API; parsing is one function)."""
    return parse_query(request.query_params.multi_items())


Q = Annotated[ExplorerQuery, Depends(explorer_query)]


def _queries(ctx: WebContext, request: Request, p: Principal) -> EventQueries:
    """The explorer's queries, for a caller the service lets read the event store."""
    return events.explorer(ctx, p, getattr(request.app.state, "settings", None))


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- JSON API ------------------------------------------------------------------------------------------------------
class EventPageOut(BaseModel):
    total: int
    page: int
    page_size: int
    pages: int
    events: list[dict[str, Any]] = Field(description="canonical event columns (docs/event-schema.md)")


class CountOut(BaseModel):
    period: str
    label: str
    category: str
    count: int


class GroupOut(BaseModel):
    key: str
    label: str
    categories: list[str]


class TimelineOut(BaseModel):
    bucket: str
    total: int
    counts: list[CountOut]
    groups: list[GroupOut]


class FeatureOut(BaseModel):
    type: str
    id: str | None = None
    geometry: dict[str, Any]
    properties: dict[str, Any]


class StackOut(BaseModel):
    """Events located only to a centroid (``geo_precision`` 3 first-level unit, 4 country), counted apart."""

    precision: int
    iso3: str | None
    name: str
    coordinates: list[float]
    events: int
    deaths: int


class LabelOut(BaseModel):
    kind: str = Field(description="admin1 (a first-level unit) or place (one of the busiest places)")
    name: str
    coordinates: list[float]
    events: int


class MapOut(BaseModel):
    """A GeoJSON FeatureCollection (``application/geo+json``): points, or grid cells with counts, of the events
    located to a place; the events located only to a country or first-level-unit centroid are in ``approximate``
    and ``stacks``, not in the features."""

    type: str
    mode: str
    measure: str
    total: int
    deaths: int
    approximate: int
    stacks: list[StackOut]
    labels: list[LabelOut]
    without_coordinates: int
    bbox: list[float] | None
    cell_size: float | None
    truncated: bool
    features: list[FeatureOut]


class CountryCount(BaseModel):
    iso3: str
    name: str
    count: int


class CategoryCount(BaseModel):
    category: str
    count: int


class SourceCount(BaseModel):
    source: str
    count: int


class FacetsOut(BaseModel):
    total: int
    date_range: list[str | None]
    countries: list[CountryCount]
    categories: list[CategoryCount]
    sources: list[SourceCount]


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 422)
}


@api_router.get("", response_model=EventPageOut, responses=_ERRORS,
                summary="Events, filtered and paged (newest first, then by event id)")  # fmt: skip
def list_events(request: Request, ctx: Ctx, p: User, q: Q) -> EventPageOut:
    page = _queries(ctx, request, p).page(q)
    return EventPageOut(
        total=page.total,
        page=page.page,
        page_size=page.page_size,
        pages=page.pages,
        events=[{k: _plain(v) for k, v in row.items()} for row in page.rows],
    )


@api_router.get("/timeline", response_model=TimelineOut, responses=_ERRORS,
                summary="Event counts per period and category (period chosen from the span)")  # fmt: skip
def timeline(request: Request, ctx: Ctx, p: User, q: Q) -> TimelineOut:
    tl = _queries(ctx, request, p).timeline(q)
    return TimelineOut(
        bucket=tl.bucket,
        total=tl.total,
        counts=[
            CountOut(period=d.isoformat(), label=bucket_label(d, tl.bucket), category=c, count=n)
            for d, c, n in tl.counts
        ],
        groups=[GroupOut(key=g.key, label=g.label, categories=list(g.categories)) for g in GROUPS],
    )


def _map_geojson(data: MapData) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    if data.mode == "points":
        for lon, lat, category, event_id, day, deaths in data.items:
            features.append(
                {
                    "type": "Feature",
                    "id": event_id,
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {
                        "category": category,
                        "group": group_of(category).key,
                        "date": _plain(day),
                        "deaths": deaths,
                    },
                }
            )
    else:
        s = data.cell_size or 1.0
        for x, y, count, top, deaths in data.items:
            ring = [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"count": count, "deaths": deaths, "top_category": top, "group": group_of(top).key},
                }
            )
    return {
        "type": "FeatureCollection",
        "mode": data.mode,
        "measure": data.measure,
        "total": data.total,
        "deaths": data.deaths,
        "approximate": data.approximate,
        "stacks": [
            {
                "precision": st.precision,
                "iso3": st.iso3,
                "name": st.name,
                "coordinates": [st.lon, st.lat],
                "events": st.events,
                "deaths": st.deaths,
            }
            for st in data.stacks
        ],
        "labels": [
            {"kind": lb.kind, "name": lb.name, "coordinates": [lb.lon, lb.lat], "events": lb.events}
            for lb in data.labels
        ],
        "without_coordinates": data.without_coordinates,
        "bbox": list(data.bbox) if data.bbox else None,
        "cell_size": data.cell_size,
        "truncated": data.truncated,
        "features": features,
    }


@api_router.get(
    "/map",
    response_model=MapOut,
    responses={**_ERRORS, 200: {"content": {"application/geo+json": {}}, "description": "a FeatureCollection"}},
    summary="GeoJSON of the filtered events: points, or grid cells with counts when many",
)
def map_data(request: Request, ctx: Ctx, p: User, q: Q) -> JSONResponse:
    return JSONResponse(_map_geojson(_queries(ctx, request, p).map(q)), media_type="application/geo+json")


@api_router.get("/facets", response_model=FacetsOut, responses=_ERRORS,
                summary="Counts of the filtered events by country, category and source")  # fmt: skip
def facets(request: Request, ctx: Ctx, p: User, q: Q) -> FacetsOut:
    f = _queries(ctx, request, p).facets(q)
    return FacetsOut(
        total=f.total,
        date_range=[_plain(f.date_range[0]), _plain(f.date_range[1])],
        countries=[CountryCount(iso3=c, name=n, count=k) for c, n, k in f.countries],
        categories=[CategoryCount(category=c, count=k) for c, k in f.categories],
        sources=[SourceCount(source=src, count=k) for src, k in f.sources],
    )


def _export(request: Request, ctx: WebContext, p: Principal, q: ExplorerQuery, fmt: str) -> Response:
    found = events.export_events(ctx, p, q, fmt)
    count = found.count

    def body() -> Iterator[bytes]:
        yield from stream_export(found.batches, fmt)

    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/geo+json"
    name = f"detente-events.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Detente-Count": str(count)}
    return StreamingResponse(body(), media_type=media, headers=headers)


@api_router.get(
    "/export.csv",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}, "description": "every canonical column"}},
    summary="The filtered events as CSV (every canonical column; audited)",
)
def export_csv(request: Request, ctx: Ctx, p: User, q: Q) -> Response:
    return _export(request, ctx, p, q, "csv")


@api_router.get(
    "/export.geojson",
    responses={**_ERRORS, 200: {"content": {"application/geo+json": {}}, "description": "a FeatureCollection"}},
    summary="The filtered events with coordinates as GeoJSON (audited)",
)
def export_geojson(request: Request, ctx: Ctx, p: User, q: Q) -> Response:
    return _export(request, ctx, p, q, "geojson")


# -- the page ------------------------------------------------------------------------------------------------------
def _empty_message(q: ExplorerQuery, data: MapData) -> str:
    """What the map says when it has nothing to draw."""
    if data.measure == "deaths" and (data.total or data.approximate):
        return "No deaths are recorded for the matching events."
    if data.without_coordinates:
        return "None of the matching events has a location."
    return "No events match this filter." if q.is_filtered else "No events in this workspace yet."


def _page_query(request: Request) -> tuple[ExplorerQuery, InputError | None]:
    """The page's filter; a bad value (a date typed into the address, an unknown category) is reported beside the
    filter and left out, so the user keeps the page and the rest of what they asked for — not an error page. Each
    further bad value is dropped in turn (at most one per parameter)."""
    items = list(request.query_params.multi_items())
    first: InputError | None = None
    for _ in range(len(items) + 1):
        try:
            return parse_query(items), first
        except InputError as exc:
            first = first or exc
            if exc.field is None or not any(k == exc.field for k, _ in items):
                break
            items = [(k, v) for k, v in items if k != exc.field]
    return parse_query([]), first


@page_router.get("/events", name="explorer")
def events_page(request: Request, ctx: Ctx, p: User) -> Response:
    from detente.web.pages import render

    q, problem = _page_query(request)
    queries = _queries(ctx, request, p)
    page = queries.page(q)
    tl = queries.timeline(q)
    data = queries.map(q)
    everything = queries.facets()
    shown = queries.facets(q) if q.is_filtered else everything
    countries = load_boundaries(Path(ctx.workspace) / "cache")
    labelled = [c for c, _, _ in shown.countries[:12]]
    context = {
        "q": q,
        "page": page,
        "timeline": tl,
        "map": data,
        "facets": everything,
        "shown": shown,
        "groups": GROUPS,
        "group_of": group_of,
        "map_svg": Markup(map_svg(data, countries, labelled, empty=_empty_message(q, data), around=q.countries)),
        "timeline_svg": Markup(timeline_svg(tl)),
        "cell_levels": cell_levels(data) if data.mode == "cells" else [],
        "boundaries_available": boundaries_available(),
        "may_export": events.may_export_events(p),
        "query_string": q.query_string(),
        "no_bbox_url": "/events?" + dataclasses.replace(q, bbox=None).query_string(),
        "measure_url": lambda m: "/events?" + q.query_string(measure=m),
        "map_empty": None if has_marks(data) else _empty_message(q, data),
        "page_url": lambda n: "/events?" + q.query_string(paging=True, page=n),
        "problem": problem,
        "asked": dict(request.query_params),
    }
    return render(request, "explorer/events.html", context, status=422 if problem else 200)
