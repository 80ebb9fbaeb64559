"""A reproducible, clearly fictional demo dataset.

Two invented states, Arcadia (``XAR``) and Borealis (``XBO``), with ISO 3166 user-assigned codes so they can never
be mistaken for real countries, placed on open ocean in the South Pacific. The story: tension from 2020, an escalation
in 2023, a ceasefire in early 2024 that mostly holds. Everything derives from one seeded generator, so the same seed
gives the same events byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from detente.events.canonical import conform

__all__ = ["DEMO_COUNTRIES", "DEMO_SOURCE", "DemoCountry", "generate_demo_events"]

DEMO_SOURCE = "demo"


@dataclass(frozen=True)
class DemoCountry:
    iso3: str
    name: str
    #: min_lon, min_lat, max_lon, max_lat
    bbox: tuple[float, float, float, float]
    regions: tuple[str, ...]


DEMO_COUNTRIES: tuple[DemoCountry, ...] = (
    DemoCountry(
        "XAR",
        "Arcadia (fictional)",
        (-128.0, -34.0, -122.5, -30.5),
        ("Westmarch", "Lowvale", "Port Amber", "Highfold"),
    ),
    DemoCountry(
        "XBO",
        "Borealis (fictional)",
        (-122.5, -30.5, -117.0, -27.0),
        ("Northreach", "Cinder Plain", "Kestrel Bay", "Frostmere"),
    ),
)

_ACTORS = {
    "XAR": [
        ("Arcadian Defence Forces", "state"),
        ("Free Coast Movement", "rebel"),
        ("Lowvale Militia", "militia"),
    ],
    "XBO": [
        ("Borealis Republican Army", "state"),
        ("Northreach Liberation Front", "rebel"),
        ("Cinder Guard", "militia"),
    ],
}
_CIVILIANS = {"XAR": "Civilians (Arcadia)", "XBO": "Civilians (Borealis)"}
_PROTESTERS = {"XAR": "Protesters (Arcadia)", "XBO": "Protesters (Borealis)"}
_MONITOR = "Joint Ceasefire Commission (fictional)"

_CATEGORY_SUB = {
    "battle": "armed_clash",
    "remote_violence": "shelling",
    "violence_against_civilians": "attack",
    "riot": "violent_demonstration",
    "protest": "peaceful_protest",
    "coercion": "arrests",
    "threat": "threaten",
    "verbal_conflict": "disapprove",
    "verbal_cooperation": "consult",
    "material_cooperation": "aid",
    "strategic_development": "agreement",
}
_VIOLENT = ("battle", "remote_violence", "violence_against_civilians", "riot")


def _phase_weights(month_index: int) -> dict[str, float]:
    """Category intensities per month of the story (0 = January 2020)."""
    if month_index < 36:  # 2020-2022: tension
        w = {
            "battle": 2,
            "remote_violence": 1,
            "violence_against_civilians": 1,
            "riot": 2,
            "protest": 6,
            "coercion": 3,
            "threat": 3,
            "verbal_conflict": 5,
            "verbal_cooperation": 3,
            "material_cooperation": 1,
            "strategic_development": 1,
        }
        growth = 1.0 + month_index / 36
    elif month_index < 49:  # 2023 to January 2024: escalation
        w = {
            "battle": 10,
            "remote_violence": 8,
            "violence_against_civilians": 5,
            "riot": 3,
            "protest": 4,
            "coercion": 4,
            "threat": 6,
            "verbal_conflict": 6,
            "verbal_cooperation": 2,
            "material_cooperation": 1,
            "strategic_development": 2,
        }
        growth = 2.0 + (month_index - 36) / 6
    else:  # ceasefire from February 2024
        w = {
            "battle": 1,
            "remote_violence": 1,
            "violence_against_civilians": 1,
            "riot": 1,
            "protest": 4,
            "coercion": 2,
            "threat": 2,
            "verbal_conflict": 3,
            "verbal_cooperation": 7,
            "material_cooperation": 5,
            "strategic_development": 2,
        }
        growth = 2.5
    return {k: v * growth for k, v in w.items()}


def generate_demo_events(seed: int = 20240201, months: int = 72, scale: float = 4.0) -> pa.Table:
    """The demo events (RAW_SCHEMA), January 2020 onwards for ``months`` months."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    start = date(2020, 1, 1)
    for m in range(months):
        year, month = start.year + m // 12, m % 12 + 1
        first = date(year, month, 1)
        days_in_month = ((date(year + (month == 12), month % 12 + 1, 1)) - first).days
        for category, weight in _phase_weights(m).items():
            for country in DEMO_COUNTRIES:
                n = int(rng.poisson(weight * scale / 2))
                for _ in range(n):
                    rows.append(_event(rng, len(rows), country, category, first, days_in_month))
    table = pa.Table.from_pylist(rows)
    return conform(table)


def _event(
    rng: np.random.Generator, serial: int, country: DemoCountry, category: str, first: date, days: int
) -> dict[str, object]:
    other = DEMO_COUNTRIES[1] if country is DEMO_COUNTRIES[0] else DEMO_COUNTRIES[0]
    day = first + timedelta(days=int(rng.integers(0, days)))
    min_lon, min_lat, max_lon, max_lat = country.bbox
    region_idx = int(rng.integers(0, len(country.regions)))
    actors = _ACTORS[country.iso3]
    a1_name, a1_type = actors[int(rng.integers(0, len(actors)))]
    a2_name: str | None
    a2_type: str | None
    if category in ("battle", "remote_violence"):
        a2_name, a2_type = _ACTORS[other.iso3][int(rng.integers(0, 3))] if rng.random() < 0.6 else actors[0]
        if a2_name == a1_name:
            a2_name, a2_type = actors[1]
    elif category == "violence_against_civilians":
        a2_name, a2_type = _CIVILIANS[country.iso3], "civilians"
    elif category in ("protest", "riot"):
        a1_name, a1_type = _PROTESTERS[country.iso3], "protesters"
        a2_name, a2_type = (actors[0][0], "state") if rng.random() < 0.3 else (None, None)
    elif category in ("verbal_cooperation", "material_cooperation", "strategic_development"):
        a2_name, a2_type = (_MONITOR, "international") if rng.random() < 0.4 else _ACTORS[other.iso3][0]
    else:
        a2_name, a2_type = _ACTORS[other.iso3][0]
    violent = category in _VIOLENT
    deaths = int(rng.negative_binomial(1, 0.35)) if violent else 0
    lat = round(float(rng.uniform(min_lat, max_lat)), 4)
    lon = round(float(rng.uniform(min_lon, max_lon)), 4)
    return {
        "source": "demo",
        "source_event_id": f"DEMO-{serial:06d}",
        "date_start": day,
        "date_end": day,
        "date_precision": "day",
        "country_iso3": country.iso3,
        "country_name": country.name,
        "admin1": country.regions[region_idx],
        "place": f"{country.regions[region_idx]} district {int(rng.integers(1, 9))}",
        "latitude": lat,
        "longitude": lon,
        "geo_precision": 1,
        "category": category,
        "subcategory": _CATEGORY_SUB[category],
        "source_event_type": f"demo:{category}",
        "actor1_name": a1_name,
        "actor1_type": a1_type,
        "actor2_name": a2_name,
        "actor2_type": a2_type,
        "fatalities_best": deaths if violent else None,
        "notes": f"Fictional demo event: {category.replace('_', ' ')} in {country.regions[region_idx]}.",
        "source_file": "demo-events.parquet",
        "source_line": serial + 1,
    }
