"""Forecast drivers as sentences an analyst can say aloud: what the input is, its value for this unit, how that
value compares, and which way it pushed the forecast ("Deaths over the last 3 months: 1,204 (high) — raises the
risk").

**Level rule.** A value is compared with the same input's values for every unit forecast at the same origin:
*none* when it is 0, *high* when it is at or above the 75th percentile of those values (and above their median),
*low* when it is at or below the 25th percentile, *medium* otherwise. The comparison is across units, not within
the unit's own history, so "high" reads "among the highest of the units on this list".

:func:`level_of` and :func:`sentence` are pure; :func:`panel_values` reads the human value of a monthly feature
from a store panel (the feature itself is often on a log scale: the sentence gives the count it came from).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "LEVEL_RULE",
    "describe_input",
    "format_value",
    "level_of",
    "panel_sentences",
    "panel_values",
    "sentence",
    "table_sentences",
]

LEVEL_RULE = (
    "compared with the same input for every unit forecast at the same origin: none = 0, high = at or above the "
    "75th percentile (and above the median), low = at or below the 25th percentile, medium otherwise"
)

_QUANTITY = {
    "fatalities": "deaths",
    "fat_state_based": "deaths in state-based fighting",
    "fat_non_state": "deaths in fighting between non-state groups",
    "fat_one_sided": "deaths in one-sided violence against civilians",
    "events": "recorded events",
    "n_remote_violence": "shelling and other remote-violence events",
    "n_battle": "battles",
    "n_violence_against_civilians": "attacks on civilians",
    "actors": "active actors a month",
    "dyads": "pairs of actors in contact a month",
    "cells": "places with events a month",
}
#: per-month averages (distinct counts do not add up over months); the others are totals over the window
_AVERAGED = frozenset({"actors", "dyads", "cells"})

#: the country-year and Early Warning Project inputs that have a plain name (others are shown as their name)
_NAMED = {
    "bd_log": "battle deaths in the as-of year",
    "bd_lag1": "battle deaths the year before",
    "bd_lag2": "battle deaths two years before",
    "bd_sum3": "battle deaths over the last three years",
    "bd_max5": "most battle deaths in one year, last five years",
    "bd25": "25 or more battle deaths in the as-of year (1 = yes)",
    "bd25_freq10": "share of the last ten years with 25 or more battle deaths",
    "bd25_freq_all": "share of all observed years with 25 or more battle deaths",
    "acd_conflicts": "armed conflicts active in the as-of year",
    "acd_wars": "wars (1,000 or more deaths) active in the as-of year",
    "acd_internat": "internationalised conflicts in the as-of year",
    "acd_active": "armed conflict active in the as-of year (1 = yes)",
    "acd_freq10": "share of the last ten years with an armed conflict",
    "acd_ever": "armed conflict ever recorded (1 = yes)",
    "years_since_acd": "years since the last armed conflict",
    "peace_decay": "years since the last armed conflict (as a decay)",
    "acd_spell": "consecutive years of armed conflict",
    "onset_freq_all": "conflict onsets per year at risk, since 1946",
    "state_age_log": "years since independence",
    # Early Warning Project predictors, named after their column names (the scale is kept where the name gives it)
    "widetargeting": "wide targeting of groups by the state (1 = yes)",
    "narrowtargeting": "narrow targeting of groups by the state (1 = yes)",
    "minorityrule": "rule by an ethnic minority (1 = yes)",
    "judicialreform": "judicial reform (1 = yes)",
    "popsize.log2": "population (log2 scale)",
    "un_imr_sqrt": "infant mortality rate, UN (square-root scale)",
    "battledeaths.log2": "battle deaths (log2 scale)",
    "mk_ongoing_count_log2": "ongoing mass killings (log2 scale)",
    "countryage.new.log2": "country age (log2 scale)",
    "gdppcgrowth": "GDP per capita growth",
    "efindex": "ethnic fractionalisation index",
    "discrimpop": "share of the population facing discrimination",
    "coup.try.5yr": "coup attempt in the last five years (1 = yes)",
    "mk_onset_prev_year": "mass-killing onset the year before (1 = yes)",
    "mk_ever": "mass killing ever recorded (1 = yes)",
    "newcountry": "new country (1 = yes)",
    "freediscussion": "freedom of discussion",
    "religiousfreedom": "religious freedom",
    "pol_killing_approved": "political killings approved by the state",
    "social_inequality": "social inequality",
    "even_civilrights": "civil rights enforced evenly",
    "repress_civilsoc": "repression of civil society",
}
#: inputs kept on a log1p scale: the sentence gives the count, expm1 of the value
_LOG1P = frozenset({"bd_log", "bd_lag1", "bd_lag2", "bd_sum3", "bd_max5", "state_age_log"})


def describe_input(feature: str) -> str:
    """A feature name in plain words: ``fatalities_r3`` → "deaths over the last 3 months"."""
    if feature in _NAMED:
        return _NAMED[feature]
    if feature.startswith("lag") and feature[3:].isdigit():
        k = int(feature[3:])
        return "deaths in the latest month" if k == 0 else f"deaths {k} month{'s' if k > 1 else ''} before the latest"
    if feature == "since_fatalities":
        return "months since the last deaths"
    if feature == "decay_fatalities":
        return "months since the last deaths (as a decay)"
    if feature == "fat_mean_all":
        return "average deaths a month, whole history"
    base, _, window = feature.rpartition("_r")
    if base in _QUANTITY and window.isdigit():
        w = int(window)
        return f"{_QUANTITY[base]} in the latest month" if w == 1 else f"{_QUANTITY[base]} over the last {w} months"
    return feature.replace("_", " ")


def format_value(value: float | None) -> str:
    """``1204`` → "1,204", ``0.25`` → "0.25", ``None``/NaN → "no data"."""
    if value is None or not math.isfinite(value):
        return "no data"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def level_of(value: float | None, others: npt.ArrayLike) -> str | None:
    """The qualitative level of ``value`` among ``others`` (see :data:`LEVEL_RULE`); None without a value."""
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return "none"
    pool = np.asarray([v for v in np.asarray(others, dtype=np.float64) if math.isfinite(v)])
    if pool.size < 2:
        return None
    q25, q50, q75 = np.quantile(pool, [0.25, 0.5, 0.75])
    if value >= q75 and value > q50:
        return "high"
    if value <= q25:
        return "low"
    return "medium"


def sentence(feature: str, contribution: float, value: float | None = None, level: str | None = None) -> str:
    """ "Deaths over the last 3 months: 1,204 (high) — raises the risk"."""
    text = describe_input(feature)
    text = text[0].upper() + text[1:]
    way = "raises" if contribution > 0 else "lowers"
    if value is None:
        return f"{text} {'raise' if contribution > 0 else 'lower'} the risk"
    said = format_value(value) + (f" ({level})" if level else "")
    return f"{text}: {said} — {way} the risk"


def panel_values(panel: pd.DataFrame, t: int, feature: str, units: list[str]) -> pd.Series:
    """The human value of a monthly ``feature`` for ``units`` at month ``t`` from a store panel (raw columns per
    unit-month): a total (or per-month average) over the feature's window, the deaths of a lagged month, months
    since the last deaths, or the average deaths a month. NaN where the window has no data."""
    rows = panel[panel["unit"].isin(units)]

    def over(column: str, months: int, how: str) -> pd.Series:
        window = rows[(rows["period"] > t - months) & (rows["period"] <= t)]
        grouped = window.groupby("unit")[column]
        return grouped.mean() if how == "mean" else grouped.sum(min_count=1)

    now = rows[rows["period"] == t].set_index("unit")
    if feature.startswith("lag") and feature[3:].isdigit():
        k = int(feature[3:])
        lagged = rows[rows["period"] == t - k].set_index("unit")["fatalities"]
        return lagged.reindex(units)
    if feature in ("since_fatalities", "decay_fatalities"):
        return now["since_fatalities"].reindex(units)
    if feature == "fat_mean_all":
        return now["fat_mean_all"].round(2).reindex(units)
    base, _, window = feature.rpartition("_r")
    if base in _QUANTITY and window.isdigit() and base in rows:
        how = "mean" if base in _AVERAGED else "sum"
        return over(base, int(window), how).round(2).reindex(units)
    if feature in now:
        return now[feature].reindex(units)
    return pd.Series(np.nan, index=units)


def _human(feature: str, value: float) -> float:
    return float(round(math.expm1(value))) if feature in _LOG1P and math.isfinite(value) else value


def table_sentences(table: pd.DataFrame, features: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """``driver_i_text`` for a forecast table (``driver_i``/``driver_i_contribution`` columns) whose rows align
    with ``features`` (the inputs of the same units): the value is the input as the model saw it."""
    out: dict[str, list[str]] = {f"driver_{i}_text": [] for i in range(1, n + 1)}
    pools: Mapping[str, list[float]] = {
        c: [_human(c, float(v)) for v in features[c].to_numpy(dtype=np.float64)] for c in features.columns
    }
    for row, (_, feats) in zip(table.to_dict(orient="records"), features.iterrows(), strict=True):
        for i in range(1, n + 1):
            name = str(row[f"driver_{i}"])
            value = _human(name, float(feats[name])) if name in feats and pd.notna(feats[name]) else None
            out[f"driver_{i}_text"].append(
                sentence(name, float(row[f"driver_{i}_contribution"]), value, level_of(value, pools.get(name, [])))
            )
    return pd.DataFrame(out, index=table.index)


def panel_sentences(table: pd.DataFrame, panel: pd.DataFrame, t: int, n: int = 3) -> pd.DataFrame:
    """``driver_i_text`` for a monthly count forecast table, with each input's human value read from its panel
    (:func:`panel_values`) and its level among the table's units."""
    units = [str(u) for u in table["unit"]]
    cache: dict[str, pd.Series] = {}
    out: dict[str, list[str]] = {f"driver_{i}_text": [] for i in range(1, n + 1)}
    for row in table.to_dict(orient="records"):
        for i in range(1, n + 1):
            name = str(row[f"driver_{i}"])
            if name not in cache:
                cache[name] = panel_values(panel, t, name, units)
            raw = cache[name].get(str(row["unit"]), np.nan)
            value = float(raw) if pd.notna(raw) else None
            level = level_of(value, cache[name].to_numpy(dtype=np.float64))
            out[f"driver_{i}_text"].append(sentence(name, float(row[f"driver_{i}_contribution"]), value, level))
    return pd.DataFrame(out, index=table.index)
