"""The explorer's queries over the event store, in DuckDB SQL with bound parameters.

The filter means exactly what :meth:`detente.events.EventFilter.apply` means (a test compares the two on the same
store); SQL is written here directly so that each request costs one DuckDB query, not an Ibis compilation, and
stays fast on a store of millions of events. A :class:`detente.events.reader.StoreReader` holds one DuckDB
database per manifest version with a view ``events`` over the committed Parquet files (rebuilt when an import
replaces the manifest); each request takes its own cursor. Each endpoint scans the filtered events about once:
the list counts per start date and then sorts only the dates its page falls on; the timeline and the facets are
one aggregate each; the map is a summary and then points or grid cells.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from detente.events.explore_query import ExplorerQuery
from detente.events.reader import Stamp, StoreReader
from detente.events.schema import EVENT_SCHEMA
from detente.events.store import EventStore

__all__ = [
    "LIST_COLUMNS",
    "MAP_POINT_CAP",
    "EventQueries",
    "Facets",
    "MapData",
    "Page",
    "Timeline",
    "choose_bucket",
    "choose_cell_size",
]

LIST_COLUMNS = (
    "event_id",
    "date_start",
    "date_end",
    "country_iso3",
    "country_name",
    "admin1",
    "place",
    "latitude",
    "longitude",
    "category",
    "subcategory",
    "actor1_name",
    "actor2_name",
    "fatalities_best",
    "source",
    "source_event_id",
    "notes",
)
#: at most this many events are drawn as points; more are aggregated to grid cells
MAP_POINT_CAP = 1500
#: at most this many cells are returned (the busiest ones)
MAP_CELL_CAP = 4000
_CELL_SIZES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
#: cells across the longer side of the data's extent
_CELLS_ACROSS = 48


#: (longest span in days, bucket), tried in order; longer spans are counted per year
_BUCKETS = ((92, "day"), (731, "week"), (366 * 30, "month"))
#: ``grouping(country_iso3, category, source)`` of each grouping set of the facets query
_ONLY_COUNTRY, _ONLY_CATEGORY, _ONLY_SOURCE, _GRAND_TOTAL = 0b011, 0b101, 0b110, 0b111


def choose_bucket(first: date | None, last: date | None) -> str:
    """Timeline bucket for a span: day up to 3 months, week up to 2 years, month up to 30 years, else year."""
    if first is None or last is None:
        return "month"
    days = (last - first).days
    for longest, bucket in _BUCKETS:
        if days <= longest:
            return bucket
    return "year"


def _bucket_case(first: str, last: str) -> str:
    """:func:`choose_bucket` as a SQL expression over two DATE columns."""
    whens = " ".join(f"WHEN {last} - {first} <= {longest} THEN '{bucket}'" for longest, bucket in _BUCKETS)
    return f"CASE WHEN {first} IS NULL OR {last} IS NULL THEN 'month' {whens} ELSE 'year' END"


def _page_window(days: list[tuple[Any, Any]], offset: int, size: int) -> tuple[Any, Any, int] | None:
    """From counts per start date (newest first): the newest and oldest start date of the rows
    ``offset .. offset + size - 1`` and the number of rows on newer dates; None past the end."""
    before = 0
    window: tuple[Any, Any, int] | None = None
    for day, count in days:
        n = int(count)
        if window is None and before + n > offset:
            window = (day, day, before)
        if window is not None:
            window = (window[0], day, window[2])
            if before + n >= offset + size:
                break
        before += n
    return window


def choose_cell_size(width: float, height: float) -> float:
    """A round cell size (degrees) giving about 48 cells across the longer side."""
    target = max(width, height, 0.01) / _CELLS_ACROSS
    for size in _CELL_SIZES:
        if size >= target:
            return size
    return _CELL_SIZES[-1]


@dataclass(frozen=True)
class Page:
    total: int
    page: int
    page_size: int
    rows: list[dict[str, Any]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class Timeline:
    bucket: str
    #: (bucket start, category, count), ordered by bucket then category
    counts: list[tuple[date, str, int]]
    total: int


@dataclass(frozen=True)
class MapData:
    mode: str  # "points" or "cells"
    total: int  # events with coordinates that match
    without_coordinates: int
    bbox: tuple[float, float, float, float] | None
    cell_size: float | None
    #: points: (lon, lat, category, event_id, date_start); cells: (lon0, lat0, count, top category)
    items: list[tuple[Any, ...]]
    truncated: bool = False


@dataclass(frozen=True)
class Facets:
    countries: list[tuple[str, str, int]]  # iso3, name, count
    categories: list[tuple[str, int]]
    sources: list[tuple[str, int]]
    total: int
    date_range: tuple[date | None, date | None]


def where(query: ExplorerQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (with ``?`` parameters) meaning what ``query.event_filter().apply`` means."""
    preds: list[str] = []
    args: list[Any] = []

    def isin(column: str, values: tuple[str, ...]) -> None:
        preds.append(f"{column} IN ({', '.join('?' for _ in values)})")
        args.extend(values)

    if query.countries:
        isin("country_iso3", tuple(c.upper() for c in query.countries))
    if query.start is not None:
        preds.append("date_end >= ?")
        args.append(query.start)
    if query.end is not None:
        preds.append("date_start <= ?")
        args.append(query.end)
    if query.categories:
        isin("category", query.categories)
    if query.sources:
        isin("source", query.sources)
    if query.actor:
        needle = query.actor.lower()
        preds.append(
            "(coalesce(contains(lower(actor1_name), ?), false) OR coalesce(contains(lower(actor2_name), ?), false)"
            " OR coalesce(contains(lower(actor1_id), ?), false) OR coalesce(contains(lower(actor2_id), ?), false))"
        )
        args += [needle] * 4
    if query.bbox is not None:
        x0, y0, x1, y1 = query.bbox
        preds.append("longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?")
        args += [x0, x1, y0, y1]
    return ("WHERE " + " AND ".join(preds)) if preds else "", args


class EventQueries:
    """Queries for one event store; safe to share between request threads."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.reader = StoreReader(store)
        self._facets: tuple[Stamp, Facets] | None = None

    def cursor(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A cursor on a database whose view ``events`` shows the store as it is now (a context manager)."""
        return self.reader.cursor()

    def close(self) -> None:
        self.reader.close()

    # -- the paged list ------------------------------------------------------------------------------------------
    def page(self, query: ExplorerQuery) -> Page:
        """One page, newest first. The count per start date (one narrow aggregate) gives the total and the dates
        the page falls on, so the second query sorts only the rows of those dates, however deep the page."""
        clause, args = where(query)
        offset = (query.page - 1) * query.page_size
        with self.cursor() as cur:
            days = cur.execute(
                f"SELECT date_start, count(*) FROM events {clause} GROUP BY date_start ORDER BY date_start DESC",
                args,
            ).fetchall()
            total = sum(int(n) for _, n in days)
            window = _page_window(days, offset, query.page_size)
            if window is None:
                rows: list[dict[str, Any]] = []
            else:
                newest, oldest, skip = window
                narrowed, span_args = clause, []
                if newest is not None and oldest is not None:  # (start dates are required; NULLs sort last)
                    span = "date_start BETWEEN ? AND ?"
                    narrowed, span_args = (f"{clause} AND {span}" if clause else f"WHERE {span}"), [oldest, newest]
                else:
                    skip = 0
                cur.execute(
                    f"SELECT {', '.join(LIST_COLUMNS)} FROM events {narrowed} "
                    "ORDER BY date_start DESC, event_id LIMIT ? OFFSET ?",
                    [*args, *span_args, query.page_size, offset - skip],
                )
                names = [d[0] for d in cur.description or ()]
                rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return Page(total=total, page=query.page, page_size=query.page_size, rows=rows)

    # -- the timeline --------------------------------------------------------------------------------------------
    def timeline(self, query: ExplorerQuery) -> Timeline:
        """Counts per bucket and category in one scan: counts per day, then the span picks the bucket in SQL."""
        clause, args = where(query)
        with self.cursor() as cur:
            rows = cur.execute(
                f"WITH d AS MATERIALIZED (SELECT date_start AS day, category, count(*) AS n FROM events {clause} "
                "GROUP BY day, category), "
                "s AS (SELECT coalesce(CAST(? AS DATE), min(day)) AS a, coalesce(CAST(? AS DATE), max(day)) AS z, "
                "sum(n) AS total FROM d), "
                f"k AS (SELECT {_bucket_case('a', 'z')} AS bucket, total FROM s) "
                "SELECT k.bucket, k.total, CAST(date_trunc(k.bucket, d.day) AS DATE) AS b, d.category, sum(d.n) "
                "FROM d, k GROUP BY ALL ORDER BY b, d.category",
                [*args, query.start, query.end],
            ).fetchall()
        if not rows:
            return Timeline(bucket=choose_bucket(query.start, query.end), counts=[], total=0)
        return Timeline(
            bucket=str(rows[0][0]),
            counts=[(r[2], str(r[3]), int(r[4])) for r in rows],
            total=int(rows[0][1]),
        )

    # -- the map -------------------------------------------------------------------------------------------------
    def map(self, query: ExplorerQuery, *, point_cap: int = MAP_POINT_CAP) -> MapData:
        clause, args = where(query)
        located = "latitude IS NOT NULL AND longitude IS NOT NULL"
        located_clause = f"{clause} AND {located}" if clause else f"WHERE {located}"
        with self.cursor() as cur:
            all_n, n, x0, y0, x1, y1 = cur.execute(
                f"SELECT count(*), count(latitude + longitude), min(longitude), min(latitude), max(longitude), "
                f"max(latitude) FROM events {clause}",
                args,
            ).fetchall()[0]
            n = int(n or 0)
            bbox = (float(x0), float(y0), float(x1), float(y1)) if n else None
            missing = int(all_n or 0) - n
            if n <= point_cap:
                rows = cur.execute(
                    f"SELECT longitude, latitude, category, event_id, date_start FROM events {located_clause} "
                    "ORDER BY date_start DESC, event_id",
                    args,
                ).fetchall()
                return MapData("points", n, missing, bbox, None, [tuple(r) for r in rows])
            assert bbox is not None
            size = choose_cell_size(bbox[2] - bbox[0], bbox[3] - bbox[1])
            # counts per cell and category first: cheaper than mode(), and the top category of a tie is the
            # first by name, so the answer does not depend on scheduling
            rows = cur.execute(
                f"WITH c AS (SELECT floor(longitude / {size}) AS gx, floor(latitude / {size}) AS gy, category, "
                f"count(*) AS k FROM events {located_clause} GROUP BY gx, gy, category) "
                "SELECT gx, gy, sum(k) AS n, first(category ORDER BY k DESC, category) AS top FROM c "
                f"GROUP BY gx, gy ORDER BY n DESC, gx, gy LIMIT {MAP_CELL_CAP + 1}",
                args,
            ).fetchall()
        truncated = len(rows) > MAP_CELL_CAP
        items = [(float(gx) * size, float(gy) * size, int(cnt), str(top)) for gx, gy, cnt, top in rows[:MAP_CELL_CAP]]
        return MapData("cells", n, missing, bbox, size, items, truncated)

    # -- facets --------------------------------------------------------------------------------------------------
    def facets(self, query: ExplorerQuery | None = None, *, limit: int = 300) -> Facets:
        """Counts by country, category and source of the filtered set (of the whole store without a query;
        that one is cached until the store changes), in one scan (grouping sets)."""
        stamp = self.reader.stamp()
        unfiltered = query is None or not query.is_filtered
        if unfiltered:
            cached = self._facets
            if cached is not None and cached[0] == stamp:
                return cached[1]
        clause, args = where(query) if query is not None else ("", [])
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT grouping(country_iso3, category, source) AS g, country_iso3, category, source, "
                "any_value(country_name), count(*), min(date_start), max(date_end) "
                f"FROM events {clause} GROUP BY GROUPING SETS ((country_iso3), (category), (source), ())",
                args,
            ).fetchall()
        countries: list[tuple[str, str, int]] = []
        categories: list[tuple[str, int]] = []
        sources: list[tuple[str, int]] = []
        total, first, last = 0, None, None
        for g, iso3, category, source, name, k, lo, hi in rows:
            if g == _ONLY_COUNTRY and iso3 is not None:
                countries.append((str(iso3), str(name or iso3), int(k)))
            elif g == _ONLY_CATEGORY:
                categories.append((str(category), int(k)))
            elif g == _ONLY_SOURCE:
                sources.append((str(source), int(k)))
            elif g == _GRAND_TOTAL:
                total, first, last = int(k), lo, hi
        countries.sort(key=lambda c: (-c[2], c[0]))
        categories.sort(key=lambda c: (-c[1], c[0]))
        sources.sort(key=lambda c: (-c[1], c[0]))
        facets = Facets(
            countries=countries[:limit],
            categories=categories,
            sources=sources[:limit],
            total=total,
            date_range=(first, last),
        )
        if unfiltered:
            self._facets = (stamp, facets)
        return facets

    # -- export --------------------------------------------------------------------------------------------------
    def batches(self, query: ExplorerQuery, batch_rows: int = 50_000) -> Iterator[pa.Table]:
        """The filtered events (every canonical column), in the list's order, as Arrow tables."""
        clause, args = where(query)
        with self.cursor() as cur:
            cols = ", ".join(EVENT_SCHEMA.names)
            cur.execute(f"SELECT {cols} FROM events {clause} ORDER BY date_start DESC, event_id", args)
            reader = cur.to_arrow_reader(batch_rows)
            for batch in reader:
                yield pa.Table.from_batches([batch])
