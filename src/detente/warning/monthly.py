"""Monthly sub-national panels over the event store: admin1-month and PRIO-GRID-month.

:class:`MonthlyPanels` answers ``at(level, t)``: the complete panel of ``level`` built from the events dated on or
before the last day of month ``t`` (an Ibis query on the store), with windowed features. It never reads a later event.

Units are fixed in advance, not learnt from the outcomes: the first-level units of the country (those the event
file names) and, for PRIO-GRID, every cell whose centre lies in the country's bounding box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from detente.warning.features import add_lags, add_rolling, add_spatial_lag, add_time_since
from detente.warning.panels import indicator_panel

__all__ = ["MONTHLY_FEATURES", "MonthlyPanels", "bbox_cells", "month_index", "syria_panels"]

_ROLLED = ("fatalities", "fat_state_based", "fat_non_state", "fat_one_sided", "events", "n_remote_violence")
_ROLLED_SHORT = ("actors", "dyads", "cells", "n_battle", "n_violence_against_civilians")
_BASE = (
    *(f"{c}_r{w}" for c in _ROLLED for w in (1, 3, 6, 12, 36)),
    *(f"{c}_r3" for c in _ROLLED_SHORT),
    "since_fatalities",
    "decay_fatalities",
    "fat_mean_all",
    *(f"lag{k}" for k in range(12)),
)
MONTHLY_FEATURES: dict[str, tuple[str, ...]] = {
    "admin1": _BASE,
    "priogrid": (*_BASE, "slag_fatalities_r1", "slag_fatalities_r3"),
}

#: Syria's bounding box (degrees): south, west, north, east
SYRIA_BBOX = (32.3, 35.7, 37.35, 42.4)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def bbox_cells(south: float, west: float, north: float, east: float) -> list[str]:
    """PRIO-GRID cells whose centre lies inside the box."""
    rows = [r for r in range(360) if south <= -90 + 0.5 * r + 0.25 <= north]
    cols = [c for c in range(720) if west <= -180 + 0.5 * c + 0.25 <= east]
    return [str(r * 720 + c + 1) for r in rows for c in cols]


def _features(panel: pd.DataFrame, level: str) -> pd.DataFrame:
    panel = add_rolling(panel, _ROLLED, (1, 3, 6, 12, 36))
    panel = add_rolling(panel, _ROLLED_SHORT, (3,))
    panel = add_time_since(panel, "fatalities", half_life=3.0)
    panel = add_lags(panel, "fatalities", 12, "lag")
    panel["fat_mean_all"] = panel.groupby("unit", sort=False)["fatalities"].transform(lambda s: s.expanding().mean())
    if level == "priogrid":
        panel = add_spatial_lag(panel, "fatalities_r1")
        panel = add_spatial_lag(panel, "fatalities_r3")
    return panel.sort_values(["unit", "period"]).reset_index(drop=True)


@dataclass
class MonthlyPanels:
    """Panels of one country's events at admin1 and PRIO-GRID level, built on demand as of a month."""

    table: Any
    country: str
    units: dict[str, list[str]]
    first: int
    last: int
    _cache: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)

    def at(self, level: str, t: int) -> pd.DataFrame:
        """The ``level`` panel for months ``first..t`` from events dated up to the end of month ``t``."""
        key = (level, t)
        if key not in self._cache:
            unit = "admin1" if level == "admin1" else "priogrid"
            raw = indicator_panel(
                self.table,
                unit=unit,
                period="month",
                units=self.units[level],
                first=self.first,
                last=t,
                countries=[self.country],
            )
            self._cache[key] = _features(raw, level)
        return self._cache[key]


def syria_panels(data: Path, workspace: Path) -> MonthlyPanels:
    """Import the GED Syria file into ``workspace`` (once) and return its monthly panels."""
    from detente.events import open_store
    from detente.events.ingest import ingest_files

    store = open_store(workspace, create=True)
    if store.count() == 0:
        ingest_files(workspace, [data / "ucdp_ged" / "ged191_syria_2016-2019.parquet"])
        store = open_store(workspace)
    return panels_for_country(store.table(), "SYR", SYRIA_BBOX)


def panels_for_country(table: Any, iso3: str, bbox: tuple[float, float, float, float]) -> MonthlyPanels:
    t = table.filter(table.country_iso3 == iso3)
    span = t.aggregate(lo=t.date_start.min(), hi=t.date_start.max()).to_pandas().iloc[0]
    admin1 = sorted(str(a) for a in t.select("admin1").distinct().to_pandas()["admin1"].dropna())
    lo, hi = pd.Timestamp(span["lo"]).date(), pd.Timestamp(span["hi"]).date()
    units = {"admin1": [f"{iso3}:{a}" for a in admin1], "priogrid": bbox_cells(*bbox)}
    return MonthlyPanels(table=table, country=iso3, units=units, first=month_index(lo), last=month_index(hi))
