"""The canonical ``geo_precision`` scale and every source's mapping onto it, in one place.

The scale (docs/event-schema.md): 1 the exact place (or within a few km), 2 near the place or the second-level unit,
3 only the first-level unit (admin1) or a region, 4 only the country; null when unknown.

Levels 3 and 4 mean *only approximately located*: the coordinates are a centroid that the source put there because
it knew no better place, so thousands of events can share one point. Maps draw them apart from the located events
and count them separately (docs/explorer.md). Sources' codes, with their codebooks:

* GDELT ``ActionGeo_Type`` (GDELT 1.0/2.0 event codebooks): 1 country, 2 US state, 3 US city, 4 world city,
  5 world state (ADM1); 0 or empty: no place.
* UCDP GED ``where_prec`` (codebook 22.1): 1 exact location, 2 within about 25 km, 3 only the second-order
  administrative division, 4 only the first-order division, 5 a linear feature or a region larger than admin1,
  6 only the country, 7 international waters or airspace.
* ACLED ``geo_precision`` (ACLED codebook 2021): 1 the town, 2 near a town or part of a region, 3 a larger region
  (the centroid of an admin1 or wider area). ACLED never codes country-only, so 4 does not occur; the code is kept.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADMIN1",
    "APPROXIMATE",
    "COUNTRY",
    "EXACT",
    "GDELT_GEO_TYPE",
    "NEAR",
    "UCDP_WHERE_PREC",
    "acled_precision",
    "approximate_sql",
    "is_approximate",
]

EXACT: Final = 1
NEAR: Final = 2
ADMIN1: Final = 3
COUNTRY: Final = 4
#: the levels that mean "only approximately located" (a centroid of an admin1 unit, a region or the country)
APPROXIMATE: Final = frozenset({ADMIN1, COUNTRY})

#: GDELT ``ActionGeo_Type`` → geo_precision: 1 country → 4; 2 US state, 5 world state → 3; 3 US city, 4 world city → 1
GDELT_GEO_TYPE: Final[dict[int, int]] = {1: COUNTRY, 2: ADMIN1, 3: EXACT, 4: EXACT, 5: ADMIN1}

#: UCDP GED ``where_prec`` → geo_precision (see the module's docstring for the codes)
UCDP_WHERE_PREC: Final[dict[int, int]] = {1: EXACT, 2: NEAR, 3: NEAR, 4: ADMIN1, 5: ADMIN1, 6: COUNTRY, 7: COUNTRY}


def acled_precision(code: int | None) -> int | None:
    """ACLED's own 1–3 scale is the canonical 1–3 (3, "a larger region", is an admin1-or-wider centroid)."""
    return code


def is_approximate(precision: int | None) -> bool:
    """Whether an event's coordinates are only a centroid (admin1/region or country); unknown counts as located."""
    return precision is not None and precision in APPROXIMATE


def approximate_sql(column: str = "geo_precision") -> str:
    """:func:`is_approximate` as a SQL predicate over ``column`` (false for NULL)."""
    return f"coalesce({column} IN ({', '.join(str(v) for v in sorted(APPROXIMATE))}), false)"
