"""Filters over the event store, as Ibis expressions (so they run on DuckDB by default, or any Ibis backend)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from detente.errors import InputError
from detente.events.taxonomy import CATEGORIES

__all__ = ["EventFilter", "check_countries", "parse_date", "parse_end"]


def parse_date(value: str, name: str) -> date:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (the first day of the period)."""
    text = value.strip()
    try:
        if len(text) == 4:
            return date(int(text), 1, 1)
        if len(text) == 7:
            return date(int(text[:4]), int(text[5:7]), 1)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"bad date {value!r}: expected YYYY, YYYY-MM or YYYY-MM-DD", field=name) from exc


def parse_end(value: str, name: str) -> date:
    """The last day of ``YYYY``, ``YYYY-MM`` or the date ``YYYY-MM-DD`` itself: the end of a ``--to`` period."""
    start = parse_date(value, name)
    text = value.strip()
    if len(text) == 4:
        return start.replace(month=12, day=31)
    if len(text) == 7:
        following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        return date.fromordinal(following.toordinal() - 1)
    return start


def check_countries(codes: Sequence[str], present: Collection[str]) -> None:
    """Refuse a country code that is neither an ISO 3166 alpha-3 code nor in the store (``present``): a typo such as
    ``SYY`` would otherwise show "0 events" as if the country were calm. The message suggests the nearest codes."""
    from difflib import get_close_matches

    from detente.events.countries import all_countries, by_iso3

    for code in codes:
        upper = code.strip().upper()
        if upper in present or by_iso3(upper) is not None:
            continue
        known = sorted(set(present) | {c.iso3 for c in all_countries()})
        near = get_close_matches(upper, known, n=3, cutoff=0.6)
        hint = (
            f"; did you mean {' or '.join(near)}?" if near else "; see `detente events summary` for the codes present"
        )
        raise InputError(
            f"unknown country code {code!r}: not an ISO 3166 alpha-3 code nor in the store{hint}", field="country"
        )


@dataclass(frozen=True)
class EventFilter:
    """What the user asked for. Empty fields do not filter."""

    countries: Sequence[str] = field(default_factory=tuple)  # ISO alpha-3
    start: date | None = None  # events ending on or after
    end: date | None = None  # events starting on or before
    categories: Sequence[str] = field(default_factory=tuple)
    actor: str | None = None  # case-insensitive substring of either actor's name or id
    sources: Sequence[str] = field(default_factory=tuple)
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat

    def __post_init__(self) -> None:
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise InputError(f"unknown category {unknown[0]!r}; known: {', '.join(CATEGORIES)}", field="category")
        bad = [c for c in self.countries if len(c) != 3 or not c.isalpha()]
        if bad:
            raise InputError(f"country {bad[0]!r} is not an ISO 3166 alpha-3 code", field="country")
        if self.start and self.end and self.end < self.start:
            raise InputError("end date is before start date", field="end")

    def apply(self, table: Any) -> Any:
        """The Ibis expression ``table`` filtered by this filter."""
        t = table
        preds = []
        if self.countries:
            preds.append(t.country_iso3.isin([c.upper() for c in self.countries]))
        if self.start is not None:
            preds.append(t.date_end >= self.start)
        if self.end is not None:
            preds.append(t.date_start <= self.end)
        if self.categories:
            preds.append(t.category.isin(list(self.categories)))
        if self.sources:
            preds.append(t.source.isin(list(self.sources)))
        if self.actor:
            needle = self.actor.lower()
            preds.append(
                t.actor1_name.lower().contains(needle).fill_null(False)
                | t.actor2_name.lower().contains(needle).fill_null(False)
                | t.actor1_id.lower().contains(needle).fill_null(False)
                | t.actor2_id.lower().contains(needle).fill_null(False)
            )
        if self.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            preds.append(t.longitude.between(min_lon, max_lon) & t.latitude.between(min_lat, max_lat))
        return t.filter(*preds) if preds else t
