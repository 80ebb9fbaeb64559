"""Readable names for the units of the store, derived from the events themselves.

Most sources name their first-level units (ACLED ``admin1``, UCDP ``adm_1``). GDELT gives only codes: its
``ActionGeo_ADM1Code`` is the FIPS 10-4 country code followed by two characters (``GG02``), or the country code
alone when the event is placed at country level (``GG``), and the adapters keep that code as ``admin1``. Its
``ActionGeo_FullName`` (kept as ``place``) reads "place, first-level unit, country" (GDELT 1.0 and 2.0 event
codebooks, fields ``ActionGeo_FullName`` and ``ActionGeo_ADM1Code``). So a code-like ``admin1`` is named by the
most frequent second-to-last component of its events' places, without the trailing asterisks GDELT's place
names carry on some units; a country-level code is named "whole country (no region given)"; a code no place
explains keeps its code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from detente.events.countries import by_iso3

__all__ = ["COUNTRY_WIDE", "admin1_names", "country_names", "looks_like_code", "name_from_places"]

_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,2}$")
COUNTRY_WIDE = "whole country (no region given)"


def looks_like_code(admin1: str) -> bool:
    """``GG02`` or ``GG`` (a FIPS-style code), not a name."""
    return bool(_CODE.match(admin1))


def name_from_places(admin1: str, places: Iterable[tuple[str, int]]) -> str:
    """The readable name of a code-like ``admin1`` from ``(place, events)`` pairs of its events."""
    if len(admin1) == 2:
        return COUNTRY_WIDE
    votes: Counter[str] = Counter()
    for place, n in places:
        parts = [p.strip() for p in place.split(",")]
        if len(parts) >= 2 and parts[-2].strip("* "):
            votes[parts[-2].rstrip("*").strip()] += n
    return votes.most_common(1)[0][0] if votes else admin1


def country_names(table: Any) -> dict[str, str]:
    """ISO3 → the country's name as the sources give it, else the name of Détente's country table."""
    frame = table.select("country_iso3", "country_name").distinct().to_pandas().dropna(subset=["country_iso3"])
    given = {str(r.country_iso3): str(r.country_name) for r in frame.dropna().itertuples()}
    out: dict[str, str] = {}
    for iso3 in sorted({str(c) for c in frame["country_iso3"]}):
        known = by_iso3(iso3)
        out[iso3] = given.get(iso3) or (known.name if known else iso3)
    return out


def admin1_names(table: Any) -> dict[str, str]:
    """``ISO3:admin1`` → a readable first-level unit name, for the code-like ``admin1`` values of the store."""
    t = table.filter(table.admin1.notnull() & table.country_iso3.notnull())
    distinct = t.select("country_iso3", "admin1").distinct().to_pandas()
    codes = [(str(r.country_iso3), str(r.admin1)) for r in distinct.itertuples() if looks_like_code(str(r.admin1))]
    if not codes:
        return {}
    wanted = t.filter(t.admin1.isin(sorted({a for _, a in codes})) & t.place.notnull())
    counts = wanted.group_by(["country_iso3", "admin1", "place"]).aggregate(n=wanted.count()).to_pandas()
    out: dict[str, str] = {}
    for iso3, admin1 in codes:
        rows = counts[(counts["country_iso3"] == iso3) & (counts["admin1"] == admin1)]
        out[f"{iso3}:{admin1}"] = name_from_places(admin1, zip(rows["place"], rows["n"], strict=True))
    return out
