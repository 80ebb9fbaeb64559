"""A reproducible, clearly fictional demo dataset with a world a forecaster can learn.

Two invented states, Arcadia (``XAR``) and Borealis (``XBO``), with ISO 3166 user-assigned codes so they can never
be mistaken for real countries, placed on open ocean in the South Pacific; four admin1 regions each. The story:
tension from 2020, an escalation in 2023 across both states, a ceasefire in February 2024 that mostly holds.

Violence is regional and comes in episodes (:func:`demo_schedule`). Each escalation is preceded, one to three months
ahead, by signals the monthly features can see: threats, mobilisation (strategic developments), arrests and verbal
conflict rise, and so does non-lethal violence (riots, skirmishes that rarely kill), so the month's event count, its
actors, pairs of actors and battles climb while deaths stay low. Every region escalates in 2023 (at staggered
months, each after its own signals); before the war and after the ceasefire some regions flare up locally, at
different times, and others never do; now and then the signals fizzle out without violence. Everything derives from
one seeded generator, so the same seed gives the same events byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from detente.events.canonical import conform

__all__ = ["DEMO_COUNTRIES", "DEMO_SOURCE", "DemoCountry", "RegionMonth", "demo_schedule", "generate_demo_events"]

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

WAR_START = 36  # January 2023, months after January 2020
CEASEFIRE = 49  # February 2024
#: chance per quiet month that a region's signals start (outside the 2023 war), per region after a seeded shuffle:
#: three volatile regions, three occasional ones, two that never flare up on their own
_VOLATILITY = (0.12, 0.12, 0.1, 0.07, 0.07, 0.05, 0.0, 0.0)
_FIZZLE = 0.15  # share of signal spells that end without violence
_COOL_DOWN = 3  # quiet months after an episode before the next signals

# expected events per region-month at scale 1, by phase of the story (quiet regions)
_TENSION = {"battle": 0.25, "remote_violence": 0.1, "violence_against_civilians": 0.15, "riot": 0.4, "protest": 1.2,
            "coercion": 0.6, "threat": 0.5, "verbal_conflict": 1.0, "verbal_cooperation": 0.8,
            "material_cooperation": 0.3, "strategic_development": 0.25}  # fmt: skip
_RISING = ("protest", "coercion", "threat", "verbal_conflict")  # grow through the tension years
_PEACE = {"battle": 0.1, "remote_violence": 0.05, "violence_against_civilians": 0.1, "riot": 0.2, "protest": 0.8,
          "coercion": 0.4, "threat": 0.4, "verbal_conflict": 0.8, "verbal_cooperation": 2.0,
          "material_cooperation": 1.5, "strategic_development": 0.5}  # fmt: skip
# added in a signal month (times 1 + the share of the spell gone by): words, mobilisation, arrests, non-lethal violence
_SIGNAL = {"threat": 1.5, "strategic_development": 1.0, "coercion": 1.0, "verbal_conflict": 1.5, "riot": 0.5,
           "battle": 0.8, "protest": 0.5}  # fmt: skip
# added in an escalation month (times the episode's intensity)
_ESCALATION = {"battle": 3.0, "remote_violence": 2.5, "violence_against_civilians": 1.5, "riot": 0.3, "threat": 1.0,
               "verbal_conflict": 0.5, "strategic_development": 0.3}  # fmt: skip
_SKIRMISH_LETHALITY = 0.15  # a signal month's extra battles and riots kill in this share of events


@dataclass(frozen=True)
class RegionMonth:
    """A region's state in one month: ``quiet``, ``signal`` (step ``step`` of ``of``) or ``escalation``."""

    state: str
    step: int = 0
    of: int = 0
    intensity: float = 0.0


def _regions() -> list[tuple[DemoCountry, str]]:
    return [(c, r) for c in DEMO_COUNTRIES for r in c.regions]


def _spell(states: list[RegionMonth], start: int, lead: int, length: int, intensity: float, stop: int) -> int:
    """Mark ``lead`` signal months from ``start`` then ``length`` escalation months (not past ``stop``)."""
    for k in range(lead):
        if start + k < stop:
            states[start + k] = RegionMonth("signal", k + 1, lead)
    for k in range(length):
        if start + lead + k < stop:
            states[start + lead + k] = RegionMonth("escalation", intensity=intensity)
    return start + lead + length


def demo_schedule(seed: int = 20240201, months: int = 72) -> dict[str, list[RegionMonth]]:
    """Each region's state per month (``XAR:Westmarch`` → one :class:`RegionMonth` per month from January 2020).

    The 2023 war: every region escalates from January, February or March 2023 until the ceasefire, after one to three
    months of signals. Outside it a region's signals start by chance (its volatility per quiet month), last one to
    three months and are followed by two to four months of escalation (unless they fizzle out), then a cool-down.
    """
    return _schedule(np.random.default_rng([seed, 1]), months)


def _schedule(rng: np.random.Generator, months: int) -> dict[str, list[RegionMonth]]:
    volatility = rng.permutation(np.array(_VOLATILITY))
    out: dict[str, list[RegionMonth]] = {}
    for (country, region), vol in zip(_regions(), volatility, strict=True):
        states = [RegionMonth("quiet")] * months
        onset = WAR_START + int(rng.integers(0, 3))
        war_lead = int(rng.integers(1, 4))
        _spell(states, onset - war_lead, war_lead, CEASEFIRE - onset, float(rng.uniform(1.0, 1.4)), months)
        war_signals = onset - war_lead
        m = 3  # three quiet months first: the features need a little history
        while m < months:
            if war_signals - 1 <= m < CEASEFIRE + 2:  # the war and two months of ceasefire are written above
                m = CEASEFIRE + 2
                continue
            if rng.random() < vol:
                lead, length = int(rng.integers(1, 4)), int(rng.integers(2, 5))
                intensity = 0.0 if rng.random() < _FIZZLE else float(rng.uniform(0.6, 1.2))
                stop = months if m >= CEASEFIRE else min(months, war_signals - 1)
                end = _spell(states, m, lead, length if intensity else 0, intensity, stop)
                m = end + _COOL_DOWN
            else:
                m += 1
        out[f"{country.iso3}:{region}"] = states
    return out


def _rates(m: int, state: RegionMonth) -> dict[str, float]:
    """Expected events per category in a region-month at scale 1."""
    if m < CEASEFIRE:
        growth = 1.0 + min(m, WAR_START) / WAR_START
        rates = {k: v * (growth if k in _RISING else 1.0) for k, v in _TENSION.items()}
    else:
        rates = dict(_PEACE)
    if state.state == "signal":
        ramp = 1.0 + state.step / state.of
        for k, v in _SIGNAL.items():
            rates[k] += v * ramp
    elif state.state == "escalation":
        for k, v in _ESCALATION.items():
            rates[k] += v * state.intensity
    return rates


def generate_demo_events(seed: int = 20240201, months: int = 72, scale: float = 4.0) -> pa.Table:
    """The demo events (RAW_SCHEMA), January 2020 onwards for ``months`` months."""
    rng = np.random.default_rng(seed)
    schedule = demo_schedule(seed, months)
    rows: list[dict[str, object]] = []
    start = date(2020, 1, 1)
    for m in range(months):
        year, month = start.year + m // 12, m % 12 + 1
        first = date(year, month, 1)
        days_in_month = ((date(year + (month == 12), month % 12 + 1, 1)) - first).days
        for country, region in _regions():
            state = schedule[f"{country.iso3}:{region}"][m]
            base = _rates(m, RegionMonth("quiet"))
            for category, rate in _rates(m, state).items():
                n = int(rng.poisson(rate * scale))
                # a signal month's extra violence is mostly non-lethal: skirmishes, scuffles
                quiet_share = base[category] / rate if rate > 0 else 1.0
                for _ in range(n):
                    lethal = state.state != "signal" or rng.random() < quiet_share or rng.random() < _SKIRMISH_LETHALITY
                    rows.append(_event(rng, len(rows), country, region, category, first, days_in_month, lethal))
    table = pa.Table.from_pylist(rows)
    return conform(table)


def _event(
    rng: np.random.Generator,
    serial: int,
    country: DemoCountry,
    region: str,
    category: str,
    first: date,
    days: int,
    lethal: bool,
) -> dict[str, object]:
    other = DEMO_COUNTRIES[1] if country is DEMO_COUNTRIES[0] else DEMO_COUNTRIES[0]
    day = first + timedelta(days=int(rng.integers(0, days)))
    min_lon, min_lat, max_lon, max_lat = country.bbox
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
    deaths = int(rng.negative_binomial(1, 0.35)) if violent and lethal else 0
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
        "admin1": region,
        "place": f"{region} district {int(rng.integers(1, 9))}",
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
        "notes": f"Fictional demo event: {category.replace('_', ' ')} in {region}.",
        "source_file": "demo-events.parquet",
        "source_line": serial + 1,
    }
