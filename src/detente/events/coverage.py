"""What each source of the event store covers: months, countries, gaps, deaths and location precision.

A count of zero means "nothing happened" only where a source was looking. This module says where and when each
source of the store was looking, from the events themselves (ADR 0030), so that forecasts, the watchlist and alerts
can tell *no data* from *zero*:

- **Window.** One imported file of a source covers each country it has events for, from the month of its first event
  there to the month of its last event anywhere in that file (a file is one export, collected up to its last month;
  a quiet country after its last event is a real zero, but before its first event the source may not have been
  covering it yet, as ACLED's coverage grew country by country). A source's windows in a country are the union over
  its files.
- **Gap.** A month inside a file's span with no event of that file at all, when the file's median month holds at
  least :data:`GAP_MEDIAN` events (a Poisson count with that mean is zero with probability e^-7 < 0.001): a silent
  month in a busy file is missing data, not peace. Empty months of sparse files are listed but not counted as gaps.
- **Deaths.** A source carries deaths when any of its events has a deaths figure (``fatalities_best``): sources that
  count deaths often leave the field empty on events without violence (protests, statements), so the share of
  events with a figure is reported but not judged. Where no covering source carries deaths, deaths are *not
  recorded*, not zero (GDELT records none).
- **Geo-precision mix.** Events per ``geo_precision`` level (exact place, near place or admin2, admin1 or region,
  country only, unknown).

:func:`coverage_frame` is the one query over the store (an Ibis expression, run where the store runs);
:func:`compute_coverage` is pure and returns the typed :class:`Coverage`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from detente.events.countries import by_iso3
from detente.events.schema import SOURCES

__all__ = [
    "GAP_MEDIAN",
    "GEO_PRECISION_LABELS",
    "CountryCoverage",
    "Coverage",
    "SourceCoverage",
    "compute_coverage",
    "coverage_frame",
    "month_label",
    "store_coverage",
]

#: a file whose median month holds at least this many events has gaps where a month holds none
GAP_MEDIAN = 7.0
GEO_PRECISION_LABELS = {
    1: "exact place",
    2: "near place or admin2",
    3: "admin1 or region",
    4: "country only",
    0: "unknown",
}


def month_label(index: int) -> str:
    """``2019-03`` for the month index ``2019 * 12 + 2``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class CountryCoverage:
    """One source in one country: the months it covers."""

    iso3: str
    name: str
    windows: tuple[tuple[int, int], ...]  # inclusive month-index ranges, sorted, not overlapping
    gaps: frozenset[int]  # months inside a window that are missing
    events: int
    last_event: dt.date

    @property
    def first_month(self) -> int:
        return self.windows[0][0]

    @property
    def last_month(self) -> int:
        return self.windows[-1][1]

    def covers(self, month: int) -> bool:
        return month not in self.gaps and any(lo <= month <= hi for lo, hi in self.windows)

    def months(self, lo: int, hi: int) -> int:
        """How many months of ``lo..hi`` this source covers here."""
        return sum(self.covers(m) for m in range(lo, hi + 1))


@dataclass(frozen=True)
class SourceCoverage:
    """Everything one source of the store covers."""

    source: str
    description: str
    events: int
    first_event: dt.date
    last_event: dt.date
    gaps: tuple[int, ...]
    empty_months: tuple[int, ...]  # months without events inside a file's span that are not gaps (sparse files)
    deaths_share: float
    geo_precision: dict[str, int]
    files: tuple[str, ...]
    countries: tuple[CountryCoverage, ...]

    @property
    def carries_deaths(self) -> bool:
        return self.deaths_share > 0

    def country(self, iso3: str) -> CountryCoverage | None:
        return next((c for c in self.countries if c.iso3 == iso3), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "description": self.description,
            "events": self.events,
            "first_event": self.first_event.isoformat(),
            "last_event": self.last_event.isoformat(),
            "carries_deaths": self.carries_deaths,
            "deaths_share": round(self.deaths_share, 4),
            "gaps": [month_label(m) for m in self.gaps],
            "empty_months": [month_label(m) for m in self.empty_months],
            "geo_precision": self.geo_precision,
            "files": list(self.files),
            "countries": [
                {
                    "country": c.iso3,
                    "name": c.name,
                    "windows": [[month_label(lo), month_label(hi)] for lo, hi in c.windows],
                    "events": c.events,
                    "last_event": c.last_event.isoformat(),
                }
                for c in self.countries
            ],
        }


@dataclass(frozen=True)
class Coverage:
    """The coverage of every source of a store."""

    sources: tuple[SourceCoverage, ...] = field(default_factory=tuple)

    def in_country(self, iso3: str) -> list[tuple[SourceCoverage, CountryCoverage]]:
        """The sources with events in a country, with their coverage there."""
        found = [(s, s.country(iso3)) for s in self.sources]
        return [(s, c) for s, c in found if c is not None]

    def covered(self, iso3: str, month: int, *, deaths: bool = False) -> bool:
        """Whether some source (one that carries deaths, with ``deaths``) covers the country in that month."""
        return any(c.covers(month) and (s.carries_deaths or not deaths) for s, c in self.in_country(iso3))

    def last_month(self, countries: Iterable[str] | None = None) -> int | None:
        """The last month any source covers in ``countries`` (default: anywhere)."""
        wanted = None if countries is None else set(countries)
        months = [c.last_month for s in self.sources for c in s.countries if wanted is None or c.iso3 in wanted]
        return max(months) if months else None

    def as_dict(self) -> dict[str, Any]:
        return {"sources": [s.as_dict() for s in self.sources]}


def coverage_frame(table: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two aggregates coverage needs, from an Ibis event table: events per (source, file, country, month) with
    the last event date and the count with a deaths figure; events per (source, geo_precision)."""
    t = table.mutate(month=table.date_start.year().cast("int64") * 12 + table.date_start.month().cast("int64") - 1)
    monthly = (
        t.group_by(["source", "source_file", "country_iso3", "country_name", "month"])
        .aggregate(
            events=t.count(),
            with_deaths=t.fatalities_best.notnull().sum(),
            first_event=t.date_start.min(),
            last_event=t.date_start.max(),
        )
        .to_pandas()
    )
    geo = t.group_by(["source", "geo_precision"]).aggregate(events=t.count()).to_pandas()
    return monthly, geo


def _windows(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Merge inclusive month ranges that overlap or touch."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _file_gaps(counts: pd.Series) -> tuple[set[int], set[int]]:
    """(gaps, empty months) of one file from its events per month."""
    lo, hi = int(counts.index.min()), int(counts.index.max())
    empty = {m for m in range(lo, hi + 1) if m not in counts.index}
    median = float(counts.reindex(range(lo, hi + 1), fill_value=0).median())
    return (empty, set()) if median >= GAP_MEDIAN else (set(), empty)


def compute_coverage(monthly: pd.DataFrame, geo: pd.DataFrame) -> Coverage:
    """The :class:`Coverage` of the two aggregates of :func:`coverage_frame` (pure)."""
    sources: list[SourceCoverage] = []
    monthly = monthly.copy()
    monthly["source_file"] = monthly["source_file"].fillna("?")
    for source, frame in monthly.groupby("source", sort=True):
        gaps: set[int] = set()
        empty: set[int] = set()
        spans: dict[str, list[tuple[int, int]]] = {}
        for _, per_file in frame.groupby("source_file", sort=True):
            counts = per_file.groupby("month")["events"].sum()
            g, e = _file_gaps(counts)
            gaps |= g
            empty |= e
            file_last = int(counts.index.max())
            firsts = per_file.dropna(subset=["country_iso3"]).groupby("country_iso3")["month"].min()
            for iso3, first in firsts.items():
                spans.setdefault(str(iso3), []).append((int(first), file_last))
        countries = []
        for iso3, per_country in frame.dropna(subset=["country_iso3"]).groupby("country_iso3", sort=True):
            names = per_country["country_name"].dropna()
            known = by_iso3(str(iso3))
            name = str(names.mode().iloc[0]) if len(names) else known.name if known else str(iso3)
            countries.append(
                CountryCoverage(
                    iso3=str(iso3),
                    name=name,
                    windows=_windows(spans[str(iso3)]),
                    gaps=frozenset(gaps),
                    events=int(per_country["events"].sum()),
                    last_event=pd.Timestamp(per_country["last_event"].max()).date(),
                )
            )
        per_geo = geo[geo["source"] == source]
        mix: dict[str, int] = {}
        for level, n in zip(per_geo["geo_precision"], per_geo["events"], strict=True):
            key = GEO_PRECISION_LABELS.get(0 if pd.isna(level) else int(level), "unknown")
            mix[key] = mix.get(key, 0) + int(n)
        total = int(frame["events"].sum())
        sources.append(
            SourceCoverage(
                source=str(source),
                description=SOURCES.get(str(source), f"imported as {source!r}"),
                events=total,
                first_event=pd.Timestamp(frame["first_event"].min()).date(),
                last_event=pd.Timestamp(frame["last_event"].max()).date(),
                gaps=tuple(sorted(gaps)),
                empty_months=tuple(sorted(empty - gaps)),
                deaths_share=float(frame["with_deaths"].sum()) / total if total else 0.0,
                geo_precision=dict(sorted(mix.items(), key=lambda kv: -kv[1])),
                files=tuple(sorted(str(f) for f in frame["source_file"].unique())),
                countries=tuple(countries),
            )
        )
    return Coverage(tuple(sources))


def store_coverage(table: Any) -> Coverage:
    """The coverage of an Ibis event table (one query, then :func:`compute_coverage`)."""
    return compute_coverage(*coverage_frame(table))
