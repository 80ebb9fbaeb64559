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
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from detente.events.countries import by_iso3
from detente.events.explore_query import ExplorerQuery
from detente.events.geo_precision import ADMIN1, COUNTRY, approximate_sql
from detente.events.reader import Stamp, StoreReader
from detente.events.schema import EVENT_SCHEMA
from detente.events.store import EventStore

__all__ = [
    "LIST_COLUMNS",
    "MAP_POINT_CAP",
    "EventQueries",
    "Facets",
    "Label",
    "MapData",
    "Page",
    "Stack",
    "Timeline",
    "choose_bucket",
    "choose_cell_size",
    "place_name",
    "region_name",
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
#: at most this many centroid stacks are listed (the busiest), and this many names of each kind are offered
MAP_STACK_CAP = 200
MAP_LABELS = 12
#: a GDELT first-level unit code (FIPS 10-4 country + two characters), not a name
_FIPS_ADMIN1 = re.compile(r"^[A-Z]{2}[0-9A-Z]{2}$")
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


def _country_name(iso3: str | None) -> str:
    if not iso3:
        return "an unknown country"
    country = by_iso3(iso3)
    return country.name if country is not None else iso3


def place_name(place: str | None) -> str | None:
    """A place's short name: the first comma-separated part, without GDELT's asterisks ("Batumi, Ajaria**,
    Georgia" → "Batumi")."""
    if not place:
        return None
    head = place.split(",")[0].strip().strip("*").strip()
    return head or None


def region_name(admin1: str | None, place: str | None) -> str | None:
    """A first-level unit's name: ``admin1`` itself when it is a name (ACLED, UCDP, the demo); for a GDELT code
    ("GG04"), the unit's part of the GDELT place name ("Batumi, Ajaria**, Georgia" → "Ajaria"; "Nevada, United
    States" → "Nevada"); None for GDELT's "..00" code, which means "the country in general", not a unit."""
    if not admin1:
        return None
    if not _FIPS_ADMIN1.match(admin1):
        return admin1
    if admin1.endswith("00") or not place:
        return None
    parts = [p.strip().strip("*").strip() for p in place.split(",")]
    name = parts[-2] if len(parts) >= 3 else parts[0] if len(parts) == 2 else None
    if not name or name.endswith("(general)"):
        return None
    return name


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
class Stack:
    """Events located only to a centroid (``geo_precision`` 3 or 4): drawn as one marked stack, counted apart."""

    precision: int  # 3 admin1 or region, 4 country
    iso3: str | None
    name: str  # the country's or the first-level unit's name
    lon: float
    lat: float
    events: int
    deaths: int


@dataclass(frozen=True)
class Label:
    """A name to write on the map: a first-level unit (``kind`` "admin1") or one of the busiest places."""

    kind: str
    name: str
    lon: float
    lat: float
    events: int


@dataclass(frozen=True)
class MapData:
    mode: str  # "points" or "cells"
    total: int  # events located to a place (not only to a centroid) that match; drawn as points or cells
    without_coordinates: int
    bbox: tuple[float, float, float, float] | None
    cell_size: float | None
    #: points: (lon, lat, category, event_id, date_start, deaths); cells: (lon0, lat0, events, top category, deaths)
    items: list[tuple[Any, ...]]
    truncated: bool = False
    measure: str = "events"
    #: events located only to a country or first-level-unit centroid, per centroid (most events first)
    stacks: list[Stack] = field(default_factory=list)
    #: deaths among the events drawn as points or cells
    deaths: int = 0
    #: names of first-level units and of the busiest places, most events first
    labels: list[Label] = field(default_factory=list)

    @property
    def approximate(self) -> int:
        """How many matching events are located only to a centroid."""
        return sum(s.events for s in self.stacks)

    @property
    def shown(self) -> int:
        """How many items the measure shows: events, or events with at least one death."""
        return len(self.items)


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
        """Points, or grid cells when many, of the events located to a place; apart from them, the events located
        only to a country or first-level-unit centroid (``geo_precision`` 3–4), one stack per centroid; and the
        names of the busiest first-level units and places. With ``measure=deaths`` the points and cells are the
        events with deaths, valued by ``fatalities_best``."""
        clause, args = where(query)
        approx = approximate_sql()
        located = "latitude IS NOT NULL AND longitude IS NOT NULL"
        deadly = query.measure == "deaths"

        def more(*preds: str) -> str:
            body = " AND ".join(preds)
            return f"{clause} AND {body}" if clause else f"WHERE {body}"

        drawn = more(located, f"NOT {approx}", *(["fatalities_best > 0"] if deadly else []))
        with self.cursor() as cur:
            summary, stacks, labels = self._overview(cur, clause, args)
            all_n, n_located, n_precise, n_deadly, dead, bbox = summary
            n = n_deadly if deadly else n_precise
            missing = all_n - n_located
            if n <= point_cap:
                rows = cur.execute(
                    f"SELECT longitude, latitude, category, event_id, date_start, coalesce(fatalities_best, 0) "
                    f"FROM events {drawn} ORDER BY date_start DESC, event_id",
                    args,
                ).fetchall()
                items = [tuple(r) for r in rows]
                return MapData(
                    "points", n_precise, missing, bbox, None, items, False, query.measure, stacks, dead, labels
                )
            assert bbox is not None
            size = choose_cell_size(bbox[2] - bbox[0], bbox[3] - bbox[1])
            # counts per cell and category first: cheaper than mode(), and the top category of a tie is the
            # first by name, so the answer does not depend on scheduling
            rows = cur.execute(
                f"WITH c AS (SELECT floor(longitude / {size}) AS gx, floor(latitude / {size}) AS gy, category, "
                f"count(*) AS k, sum(coalesce(fatalities_best, 0)) AS d FROM events {drawn} "
                "GROUP BY gx, gy, category) "
                "SELECT gx, gy, sum(k) AS n, first(category ORDER BY k DESC, category) AS top, sum(d) AS d FROM c "
                f"GROUP BY gx, gy ORDER BY {'d' if deadly else 'n'} DESC, gx, gy LIMIT {MAP_CELL_CAP + 1}",
                args,
            ).fetchall()
        truncated = len(rows) > MAP_CELL_CAP
        items = [
            (float(gx) * size, float(gy) * size, int(cnt), str(top), int(d))
            for gx, gy, cnt, top, d in rows[:MAP_CELL_CAP]
        ]
        measure = query.measure
        return MapData("cells", n_precise, missing, bbox, size, items, truncated, measure, stacks, dead, labels)

    @staticmethod
    def _overview(
        cur: duckdb.DuckDBPyConnection, clause: str, args: list[Any]
    ) -> tuple[tuple[int, int, int, int, int, tuple[float, float, float, float] | None], list[Stack], list[Label]]:
        """In one scan of the filtered events: the counts and extent (all, located, located to a place, of those
        with deaths; their deaths; the extent of the located), the centroid stacks (grouped by precision, country
        and rounded centroid) and the candidates for names (first-level units at the median of their events,
        country centroids left out; places located to a place)."""
        approx = approximate_sql("gp")
        nulls = "NULL, NULL, NULL, NULL, NULL"
        rows = cur.execute(
            "WITH e AS (SELECT longitude AS x, latitude AS y, geo_precision AS gp, country_iso3 AS iso3, "
            "country_name AS cname, admin1, place, fatalities_best AS dead, "
            f"latitude IS NOT NULL AND longitude IS NOT NULL AS located FROM events {clause}), "
            "l AS (SELECT * FROM e WHERE located), "
            "s AS (SELECT 'summary' AS kind, NULL AS gp, NULL AS iso3, NULL AS cname, NULL AS admin1, NULL AS place, "
            "min(x) FILTER (WHERE located) AS x, min(y) FILTER (WHERE located) AS y, count(*) AS n, "
            f"coalesce(sum(dead) FILTER (WHERE located AND NOT {approx}), 0) AS d, "
            "max(x) FILTER (WHERE located) AS x1, max(y) FILTER (WHERE located) AS y1, "
            f"count(*) FILTER (WHERE located) AS a, count(*) FILTER (WHERE located AND NOT {approx}) AS b, "
            f"count(*) FILTER (WHERE located AND NOT {approx} AND dead > 0) AS c FROM e), "
            "k AS (SELECT 'stack', gp, iso3, min(cname), min(admin1), min(place), round(x, 2) AS rx, "
            f"round(y, 2) AS ry, count(*) AS n, coalesce(sum(dead), 0), {nulls} FROM l WHERE {approx} "
            f"GROUP BY gp, iso3, rx, ry ORDER BY n DESC, iso3, rx, ry LIMIT {MAP_STACK_CAP}), "
            "r AS (SELECT 'admin1', NULL, iso3, NULL, admin1, min(place), avg(x), avg(y), count(*) AS n, 0, "
            f"{nulls} FROM l WHERE admin1 IS NOT NULL AND coalesce(gp, 0) <> {COUNTRY} "
            "GROUP BY iso3, admin1 ORDER BY n DESC, iso3, admin1 LIMIT 60), "
            "p AS (SELECT 'place', NULL, NULL, NULL, NULL, place, avg(x), avg(y), count(*) AS n, 0, "
            f"{nulls} FROM l WHERE NOT {approx} AND place IS NOT NULL GROUP BY place ORDER BY n DESC, place LIMIT 60) "
            "SELECT * FROM s UNION ALL SELECT * FROM k UNION ALL SELECT * FROM r UNION ALL SELECT * FROM p",
            args,
        ).fetchall()
        summary = next(r for r in rows if r[0] == "summary")
        _, _, _, _, _, _, x0, y0, all_n, deaths, x1, y1, n_located, n_precise, n_deadly = summary
        bbox = (float(x0), float(y0), float(x1), float(y1)) if n_located else None
        counts = (int(all_n), int(n_located), int(n_precise), int(n_deadly), int(deaths), bbox)

        def kind(name: str) -> list[tuple[Any, ...]]:  # UNION ALL keeps no order: most events first, then keys
            return sorted((r for r in rows if r[0] == name), key=lambda r: (-int(r[8]), str(r[2]), str(r[4] or r[5])))

        stacks = []
        for _, precision, iso3, country_name, admin1, place, x, y, n, d, *_ in kind("stack"):
            country = str(country_name or "") or _country_name(iso3)
            if int(precision) == ADMIN1:
                unit = region_name(admin1, place) or place_name(place)
                name = f"{unit}, {country}" if unit else f"a first-level unit of {country}"
            else:
                name = country
            stacks.append(Stack(int(precision), iso3, name, float(x), float(y), int(n), int(d)))
        labels: list[Label] = []
        seen: set[str] = set()
        for _, _, _, _, admin1, place, x, y, n, *_ in kind("admin1"):
            unit_name = region_name(admin1, place)
            if unit_name and unit_name not in seen and len(seen) < MAP_LABELS:
                seen.add(unit_name)
                labels.append(Label("admin1", unit_name, float(x), float(y), int(n)))
        count = 0
        for _, _, _, _, _, place, x, y, n, *_ in kind("place"):
            short = place_name(place)
            if short and short not in seen and count < MAP_LABELS:
                seen.add(short)
                count += 1
                labels.append(Label("place", short, float(x), float(y), int(n)))
        return counts, stacks, labels

    # -- where first-level units are ---------------------------------------------------------------------------
    def unit_anchors(self) -> dict[tuple[str, str], tuple[float, float]]:
        """A point for each (country, first-level unit) of the store: the median of its events' coordinates,
        of those located to a place when it has any, else of its first-level-unit centroids (country centroids
        never count: they say nothing about the unit)."""
        approx = approximate_sql()
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT country_iso3, admin1, "
                f"coalesce(median(longitude) FILTER (WHERE NOT {approx}), median(longitude)), "
                f"coalesce(median(latitude) FILTER (WHERE NOT {approx}), median(latitude)) FROM events "
                "WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND country_iso3 IS NOT NULL "
                f"AND admin1 IS NOT NULL AND coalesce(geo_precision, 0) <> {COUNTRY} GROUP BY country_iso3, admin1"
            ).fetchall()
        return {(str(c), str(a)): (float(x), float(y)) for c, a, x, y in rows}

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
