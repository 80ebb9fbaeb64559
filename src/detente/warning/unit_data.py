"""What the watchlist says about each unit's data: which sources feed it, how fresh they are, and why a unit has no
forecast ("no data", "no deaths recorded", "too little data") instead of a 0 % (ADR 0030).

Everything here reads the store's :class:`~detente.events.coverage.Coverage` and a store panel; nothing is fitted.
:func:`add_unit_data` completes a watchlist document made by
:func:`~detente.warning.watchlist.build_watchlist`: it adds ``status``, ``status_text``, ``sources`` and
``data_through`` to every ranked unit, appends the units without a forecast (``rank`` null), writes the drivers as
sentences with their values (:mod:`detente.warning.drivers`) and lists the months an analyst may choose.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detente.events.coverage import Coverage
from detente.warning.drivers import LEVEL_RULE, level_of, panel_values, sentence
from detente.warning.panels import month_label

__all__ = ["STATUSES", "add_unit_data", "driver_sentences", "month_choices", "unit_sources", "unit_status"]

#: a unit's status in the watchlist
STATUSES = ("forecast", "no data", "no deaths recorded", "too little data")


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def unit_sources(coverage: Coverage, iso3: str, t: int) -> list[dict[str, Any]]:
    """The sources with events in the unit's country, with their months and freshness as of month ``t``."""
    out = []
    for source, country in coverage.in_country(iso3):
        out.append(
            {
                "source": source.source,
                "description": source.description,
                "first_month": month_label(country.first_month),
                "last_month": month_label(country.last_month),
                "last_event": country.last_event.isoformat(),
                "months_behind": max(0, t - country.last_month),
                "covers_as_of": country.covers(t),
                "carries_deaths": source.carries_deaths,
            }
        )
    return out


def unit_status(coverage: Coverage, iso3: str, t: int, months_of_data: int, min_history: int) -> tuple[str, str]:
    """(status, the reason in words) of a unit of country ``iso3`` in month ``t``."""
    found = coverage.in_country(iso3)
    label = month_label(t)
    if not any(c.covers(t) for _, c in found):
        gaps = [s.source for s, c in found if t in c.gaps]
        if gaps:
            return "no data", f"{label} is missing from {', '.join(gaps)} (a month without any event: a gap)"
        before = [(c.last_month, s.source) for s, c in found if c.last_month < t]
        if before:
            last, _ = max(before)
            names = ", ".join(sorted(src for m, src in before if m == last))
            return "no data", f"no source covers {label}: the last data is {month_label(last)} ({names}), " + (
                f"{_months(t - last)} before"
            )
        first = min(c.first_month for _, c in found)
        return "no data", f"no source covers {label}: the data starts in {month_label(first)}"
    if not coverage.covered(iso3, t, deaths=True):
        names = ", ".join(s.source for s, c in found if c.covers(t))
        return "no deaths recorded", f"no deaths recorded by this source ({names}): its events carry no death counts"
    if months_of_data < min_history:
        return "too little data", (f"{_months(months_of_data)} with data up to {label}; a forecast needs {min_history}")
    return "forecast", ""


def driver_sentences(entries: list[dict[str, Any]], panel: pd.DataFrame, t: int) -> None:
    """Give each driver of the ranked ``entries`` its value for the unit, its level among the ranked units and a
    sentence (``value``, ``level``, ``text``)."""
    units = [str(e["unit"]) for e in entries]
    values: dict[str, pd.Series] = {}
    for entry in entries:
        for d in entry["drivers"]:
            feature = str(d["feature"])
            if feature not in values:
                values[feature] = panel_values(panel, t, feature, units)
            series = values[feature]
            raw = series.get(str(entry["unit"]), np.nan)
            value = float(raw) if pd.notna(raw) else None
            level = level_of(value, series.to_numpy(dtype=np.float64))
            d["value"], d["level"] = value, level
            d["text"] = sentence(feature, float(d["contribution"]), value, level)


def month_choices(coverage: Coverage, first: int, last: int, default: int) -> list[dict[str, Any]]:
    """The months an analyst may choose (newest first), each with what ends or is missing then."""
    notes: dict[int, list[str]] = {}
    for source in coverage.sources:
        for country in source.countries:
            notes.setdefault(country.last_month, []).append(f"last month of {source.source} in {country.name}")
        for gap in source.gaps:
            notes.setdefault(gap, []).append(f"missing from {source.source}")
    return [
        {"month": month_label(m), "default": m == default, "note": "; ".join(sorted(set(notes.get(m, []))))}
        for m in range(last, first - 1, -1)
    ]


def _no_forecast_entry(unit: str, name: str, status: str, text: str, panel: pd.DataFrame, t: int) -> dict[str, Any]:
    series = panel[(panel["unit"] == unit) & (panel["period"] > t - 12) & (panel["period"] <= t)]
    series = series.sort_values("period")
    return {
        "rank": None,
        "unit": unit,
        "unit_name": name,
        "status": status,
        "status_text": text,
        "forecast": None,
        "probability": None,
        "p_exceed": None,
        "previous_p_exceed": None,
        "previous_mean": None,
        "q50": None,
        "interval90": None,
        "change": None,
        "alert": None,
        "level": status,
        "drivers": [],
        "history": [
            {"period": int(p), "month": month_label(int(p)), "value": None if pd.isna(v) else float(v)}
            for p, v in zip(series["period"], series["fatalities"], strict=True)
        ],
    }


def add_unit_data(
    doc: dict[str, Any],
    *,
    coverage: Coverage,
    panel: pd.DataFrame,
    t: int,
    names: dict[str, str],
    country_of: dict[str, str],
    min_history: int,
    horizon: int,
) -> None:
    """Complete a watchlist document in place (see the module docstring)."""
    driver_sentences(doc["units"], panel, t)
    now = panel[panel["period"] == t].set_index("unit")
    for entry in doc["units"]:
        iso3 = country_of[str(entry["unit"])]
        entry["status"], entry["status_text"] = "forecast", ""
        entry["sources"] = unit_sources(coverage, iso3, t)
        entry["months_of_data"] = int(now["months_of_data"].get(entry["unit"], 0)) if "months_of_data" in now else None
    ranked = {str(e["unit"]) for e in doc["units"]}
    extra = []
    for unit in sorted(set(now.index.astype(str)) - ranked, key=lambda u: names.get(u, u)):
        months = int(now["months_of_data"].get(unit, 0)) if "months_of_data" in now else 0
        status, text = unit_status(coverage, country_of[unit], t, months, min_history)
        if status == "forecast":  # data enough, yet the forecast left it out: say so rather than hide it
            status, text = "too little data", "no forecast was made for this unit"
        entry = _no_forecast_entry(unit, names.get(unit, unit), status, text, panel, t)
        entry["sources"] = unit_sources(coverage, country_of[unit], t)
        entry["months_of_data"] = months
        extra.append(entry)
    doc["units"].extend(sorted(extra, key=lambda e: (STATUSES.index(e["status"]), str(e["unit_name"]))))
    doc["driver_level_rule"] = LEVEL_RULE
    if doc.get("target") is None:
        doc["target"] = f"fatalities in {month_label(t + horizon)}"
    counts: dict[str, int] = {}
    for entry in doc["units"]:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    doc["status_counts"] = counts
