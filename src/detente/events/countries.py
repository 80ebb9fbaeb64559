"""Country reference: ISO 3166-1 (alpha-3, alpha-2, numeric), FIPS 10-4 (GDELT) and Gleditsch–Ward codes.

The table ``countries.csv`` in this package lists facts from the standards:

- ISO 3166-1 (alpha-2, alpha-3, numeric), one row per country or territory it lists (249 rows);
- FIPS PUB 10-4 country codes (and their successor, the US Geopolitical Entities and Codes list, for the
  entities created after FIPS 10-4 was frozen: Curaçao UC, Sint Maarten NN, Saint Martin RN, South Sudan OD),
  as GDELT uses them. A cell may hold several codes separated by ``|`` where FIPS splits an ISO entity
  (West Bank WE | Gaza Strip GZ for Palestine; Svalbard SV | Jan Mayen JN; the US minor outlying islands);
  the first is the main one (:attr:`Country.fips`), the others are in :attr:`Country.fips_other`;
- Gleditsch & Ward (1999) "A revised list of independent states since the Congress of Vienna",
  International Interactions 25(4): 393-413, as updated to 2017, including their separate list of
  microstates (Andorra 232, Monaco 221, ...). Unified Yemen carries 678 (G&W continue the Yemen Arab
  Republic); 679 is the Correlates of War code and is not a G&W code. Vietnam is 816 (G&W 815 is the
  pre-1893 Annam state). The Vatican has no G&W code (327 is the Papal States, 1816-1870).

Five rows are G&W states without a current ISO 3166-1 code: Kosovo (``XKX``, the user-assigned code in common
use, FIPS KV, GW 347) and four former states under their withdrawn ISO 3166-3 codes: Yugoslavia ``YUG``
(GW 345, which UCDP uses for "Serbia (Yugoslavia)" in every year), South Yemen ``YMD`` (680), Czechoslovakia
``CSK`` (315) and the German Democratic Republic ``DDR`` (265). Serbia itself is GW 340 (G&W, from 2006).

Aliases are the names ACLED and UCDP use where they differ from the ISO name ("DR Congo (Zaire)",
"Russia (Soviet Union)", "Ivory Coast", ...). ``tests/events/test_countries.py`` cross-checks every code with
the countrycode package's code list (Arel-Bundock, Enevoldsen & Yetman 2018).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "Country",
    "all_countries",
    "by_fips",
    "by_gw",
    "by_iso3",
    "by_name",
    "by_numeric",
    "normalize_name",
]


@dataclass(frozen=True)
class Country:
    iso3: str
    iso2: str | None
    iso_numeric: int | None
    fips: str | None
    gw_code: int | None
    name: str
    #: other names the sources use ("Congo, DRC", "Russia (Soviet Union)", …), separated by ``|`` in the file
    aliases: tuple[str, ...] = ()
    #: further FIPS 10-4 codes of parts of this ISO entity (e.g. ``GZ`` Gaza Strip beside ``WE`` West Bank)
    fips_other: tuple[str, ...] = ()


def normalize_name(name: str) -> str:
    """Lower-case ASCII letters and digits only, for name matching."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


@cache
def all_countries() -> tuple[Country, ...]:
    text = resources.files("detente.events").joinpath("countries.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    countries = []
    for r in rows:
        fips = [f for f in r["fips"].split("|") if f]
        countries.append(
            Country(
                iso3=r["iso3"],
                iso2=r["iso2"] or None,
                iso_numeric=_int(r["iso_numeric"]),
                fips=fips[0] if fips else None,
                gw_code=_int(r["gw_code"]),
                name=r["name"],
                aliases=tuple(a for a in (r.get("aliases") or "").split("|") if a),
                fips_other=tuple(fips[1:]),
            )
        )
    return tuple(countries)


@cache
def _index() -> dict[str, dict[object, Country]]:
    idx: dict[str, dict[object, Country]] = {"iso3": {}, "numeric": {}, "fips": {}, "gw": {}, "name": {}}
    for c in all_countries():
        idx["iso3"][c.iso3] = c
        if c.iso_numeric is not None:
            idx["numeric"][c.iso_numeric] = c
        for code in (c.fips, *c.fips_other):
            if code:
                idx["fips"].setdefault(code, c)
        if c.gw_code is not None:
            idx["gw"].setdefault(c.gw_code, c)
        for n in (c.name, *c.aliases):
            idx["name"].setdefault(normalize_name(n), c)
    return idx


def by_iso3(code: str) -> Country | None:
    return _index()["iso3"].get(code.strip().upper())


def by_numeric(code: int) -> Country | None:
    return _index()["numeric"].get(code)


def by_fips(code: str) -> Country | None:
    return _index()["fips"].get(code.strip().upper())


def by_gw(code: int) -> Country | None:
    return _index()["gw"].get(code)


def by_name(name: str) -> Country | None:
    return _index()["name"].get(normalize_name(name))
