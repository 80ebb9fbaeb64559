"""Stakeholder inference (pure): power from documented signals, spoiler risk from evidence against a commitment or a
process, and a rise beyond chance. The weights are published in ``docs/actors.md`` ("Power and leverage",
"Spoilers"); ``network.analyse`` applies them.

The spoiler concept follows Stedman (1997), "Spoiler Problems in Peace Processes", *International Security* 22(2):
parties that act to undermine a peace process. Violence alone is not that evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping

from detente.actors.model import ActorKind
from detente.actors.profiles import ProcessBook
from detente.actors.relations import Conduct, RelationSet

__all__ = [
    "POWER_WEIGHTS",
    "SPOILER_WEIGHTS",
    "STANDING",
    "nonzero_percentiles",
    "percentiles",
    "power_scores",
    "rose",
    "spoiler_risk",
]

#: power = the weighted sum of these signals, each in [0, 1] (docs/actors.md, "Power and leverage")
POWER_WEIGHTS = {"standing": 0.25, "coercion": 0.30, "reach": 0.20, "leverage": 0.15, "attention": 0.10}
#: standing of a kind (the organised capacity its source code says it has); victims have none
STANDING: dict[ActorKind, float] = {
    ActorKind.GOVERNMENT: 1.0,
    ActorKind.STATE_FORCES: 1.0,
    ActorKind.COUNTRY: 1.0,
    ActorKind.THIRD_STATE: 1.0,
    ActorKind.EXTERNAL_FORCE: 0.8,
    ActorKind.INTERNATIONAL_ORGANISATION: 0.7,
    ActorKind.REBEL_GROUP: 0.7,
    ActorKind.POLITICAL_MILITIA: 0.5,
    ActorKind.IDENTITY_MILITIA: 0.5,
    ActorKind.POLITICAL_PARTY: 0.5,
    ActorKind.CRIMINAL: 0.3,
    ActorKind.BUSINESS: 0.3,
    ActorKind.RELIGIOUS: 0.3,
    ActorKind.CIVIL_SOCIETY: 0.2,
    ActorKind.MEDIA: 0.2,
    ActorKind.RIOTERS: 0.1,
}
_STANDING_UNKNOWN = 0.3
#: spoiler risk = the weighted sum of these signals when there is evidence of acting against a process, else 0
SPOILER_WEIGHTS = {"against_commitment": 0.5, "rejections": 0.3, "hostile_share": 0.2}
_AGAINST_FULL = 5  # violent acts after a commitment (or ceasefire violations) that give the full signal
_REJECTIONS_FULL = 3
_ESCALATION_RAISE = 0.1
_LEVERAGE_OVER_FULL = 3  # actors the analysts record leverage over that give the full leverage signal


def percentiles(values: Mapping[str, float]) -> dict[str, float]:
    """Rank percentile in (0, 1] (ties share the highest rank); empty in, empty out."""
    ordered = sorted(values.items(), key=lambda kv: kv[1])
    n = len(ordered)
    out: dict[str, float] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        for k in range(i, j + 1):
            out[ordered[k][0]] = (j + 1) / n
        i = j + 1
    return out


def spoiler_risk(against: int, rejections: int, share: float, *, escalating: bool) -> float:
    """0 without evidence of acting against a commitment or a process; else the weighted signals (SPOILER_WEIGHTS)."""
    if against == 0 and rejections == 0:
        return 0.0
    w = SPOILER_WEIGHTS
    risk = (
        w["against_commitment"] * min(1.0, against / _AGAINST_FULL)
        + w["rejections"] * min(1.0, rejections / _REJECTIONS_FULL)
        + w["hostile_share"] * share
        + (_ESCALATION_RAISE if escalating else 0.0)
    )
    return min(1.0, risk)


def nonzero_percentiles(values: Mapping[str, float]) -> dict[str, float]:
    """Percentiles among the actors with a positive value; 0 for the others (no signal is no signal)."""
    positive = {k: v for k, v in values.items() if v > 0}
    ranks = percentiles(positive)
    return {k: ranks.get(k, 0.0) for k in values}


def power_scores(
    relations: RelationSet,
    actors: list[str],
    victims: Collection[str],
    kind_of: Callable[[str], ActorKind],
    book: ProcessBook | None,
) -> dict[str, tuple[float, tuple[tuple[str, float], ...]]]:
    """Power of every actor that is not a victim, with its signals (``POWER_WEIGHTS``)."""
    holders = [a for a in actors if a not in victims]
    counterparts: dict[str, set[str]] = {a: set() for a in holders}
    attention: dict[str, float] = dict.fromkeys(holders, 0.0)
    for r in relations.relations:
        if r.source in counterparts:
            counterparts[r.source].add(r.target)
        if r.target in attention and r.source not in victims:
            attention[r.target] += r.cooperative
    none = Conduct()
    coercion = nonzero_percentiles({a: float(relations.conduct.get(a, none).violent) for a in holders})
    reach = nonzero_percentiles({a: float(len(counterparts[a])) for a in holders})
    support = nonzero_percentiles({a: float(relations.conduct.get(a, none).material_support) for a in holders})
    sought = nonzero_percentiles(attention)
    recorded: dict[str, set[str]] = {}
    if book is not None:
        for aid, profile in book.profiles.items():
            for entry in profile.leverage:
                recorded.setdefault(aid, set()).update(entry.over)
    out: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {}
    for a in holders:
        lev = max(support[a], min(1.0, len(recorded.get(a, ())) / _LEVERAGE_OVER_FULL))
        signals: dict[str, float] = {
            "standing": STANDING.get(kind_of(a), _STANDING_UNKNOWN),
            "coercion": coercion[a],
            "reach": reach[a],
            "leverage": lev,
            "attention": sought[a],
        }
        power = sum(POWER_WEIGHTS[k] * v for k, v in signals.items())
        out[a] = (round(power, 4), tuple((k, round(v, 4)) for k, v in signals.items()))
    return out


def rose(before: int, after: int, before_days: int, after_days: int, *, min_events: int = 3) -> bool:
    """Did a count rise beyond chance? ``after`` is compared with ``before`` scaled to the after window's length:
    at least ``min_events``, at least 1.5 times the scaled count, and more than two Poisson standard deviations
    (2 √(scaled + 1)) above it."""
    expected = before * after_days / before_days if before_days > 0 else 0.0
    return after >= min_events and after >= 1.5 * expected and after - expected > 2 * math.sqrt(expected + 1)
