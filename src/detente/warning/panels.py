"""Indicators per unit × period, written as Ibis expressions over the event store (DuckDB by default).

:func:`indicator_expr` returns one Ibis expression (it runs wherever the store's backend runs: DuckDB, PySpark,
BigQuery); :func:`indicator_panel` executes it, completes the unit × period grid with zeros and adds the windowed
features of :mod:`detente.warning.features`.

Units: ``country`` (ISO3), ``admin1`` (country + first-level unit), ``priogrid`` (PRIO-GRID cell). Periods:
``year`` (integer year) and ``month`` (integer month index ``year * 12 + month - 1``; see :func:`month_label`).

Indicators (per unit-period): ``fatalities`` (best estimate) and by UCDP violence type (``fat_state_based``,
``fat_non_state``, ``fat_one_sided``), ``events``, event counts by category (``n_battle``, ``n_remote_violence``,
``n_violence_against_civilians``, ``n_protest_riot``), ``civilian_deaths``, the hostile/cooperative balance
(``n_hostile`` = QuadClass 3–4, ``n_cooperative`` = QuadClass 1–2, ``goldstein_mean``), ``actors`` (distinct
first actors plus distinct second actors), ``dyads`` (distinct actor pairs) and ``cells`` (distinct PRIO-GRID cells,
the spatial spread).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["INDICATORS", "PERIODS", "UNITS", "indicator_expr", "indicator_panel", "month_label", "period_end"]

UNITS = ("country", "admin1", "priogrid")
PERIODS = ("year", "month")
INDICATORS: tuple[str, ...] = (
    "fatalities",
    "fat_state_based",
    "fat_non_state",
    "fat_one_sided",
    "civilian_deaths",
    "events",
    "n_battle",
    "n_remote_violence",
    "n_violence_against_civilians",
    "n_protest_riot",
    "n_hostile",
    "n_cooperative",
    "goldstein_mean",
    "actors",
    "dyads",
    "cells",
)


def month_label(index: int) -> str:
    """``2019-03`` for the month index ``2019 * 12 + 2``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_end(period: int, kind: str) -> dt.date:
    """Last calendar day of a period."""
    if kind == "year":
        return dt.date(period, 12, 31)
    year, month = divmod(period + 1, 12)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _unit_expr(t: Any, unit: str) -> Any:
    import ibis

    if unit == "country":
        return t.country_iso3
    if unit == "admin1":
        return t.country_iso3.concat(ibis.literal(":"), t.admin1)
    if unit == "priogrid":
        return t.priogrid_gid.cast("string")
    raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")


def _period_expr(t: Any, period: str) -> Any:
    if period == "year":
        return t.date_start.year().cast("int64")
    if period == "month":
        return t.date_start.year().cast("int64") * 12 + t.date_start.month().cast("int64") - 1
    raise ValueError(f"unknown period {period!r}; expected one of {PERIODS}")


def indicator_expr(
    table: Any,
    *,
    unit: str,
    period: str,
    as_of: dt.date | None = None,
    countries: Sequence[str] | None = None,
) -> Any:
    """An Ibis expression with one row per unit-period that has events (dated on or before ``as_of``)."""
    import ibis

    t = table
    if as_of is not None:
        t = t.filter(t.date_start <= ibis.literal(as_of))
    if countries:
        t = t.filter(t.country_iso3.isin(list(countries)))
    t = t.filter(_unit_expr(t, unit).notnull())
    t = t.mutate(unit=_unit_expr(t, unit), period=_period_expr(t, period))
    fat = t.fatalities_best.fill_null(0)

    def fat_of(sub: str) -> Any:
        return ibis.cases((t.subcategory == sub, fat), else_=0).sum()

    def count_if(cond: Any) -> Any:
        return ibis.cases((cond, 1), else_=0).sum()

    dyad = t.actor1_name.fill_null("?").concat(ibis.literal("|"), t.actor2_name.fill_null("?"))
    return t.group_by(["unit", "period"]).aggregate(
        fatalities=fat.sum(),
        fat_state_based=fat_of("state_based"),
        fat_non_state=fat_of("non_state"),
        fat_one_sided=fat_of("one_sided"),
        civilian_deaths=t.civilian_deaths.fill_null(0).sum(),
        events=t.count(),
        n_battle=count_if(t.category == "battle"),
        n_remote_violence=count_if(t.category == "remote_violence"),
        n_violence_against_civilians=count_if(t.category == "violence_against_civilians"),
        n_protest_riot=count_if(t.category.isin(["protest", "riot"])),
        n_hostile=count_if(t.quad_class >= 3),
        n_cooperative=count_if(t.quad_class.isin([1, 2])),
        goldstein_mean=t.intensity.mean(),
        actors=t.actor1_name.nunique() + t.actor2_name.nunique(),
        dyads=dyad.nunique(),
        cells=t.priogrid_gid.nunique(),
    )


def indicator_panel(
    table: Any,
    *,
    unit: str,
    period: str,
    units: Sequence[str],
    first: int,
    last: int,
    countries: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The complete ``units`` × ``first..last`` grid of indicators (zeros where no event), events up to ``last``."""
    expr = indicator_expr(table, unit=unit, period=period, as_of=period_end(last, period), countries=countries)
    raw = expr.to_pandas()
    raw = raw[(raw["period"] >= first) & raw["unit"].isin(list(units))]
    grid = pd.MultiIndex.from_product([list(units), range(first, last + 1)], names=["unit", "period"]).to_frame(
        index=False
    )
    out = grid.merge(raw, on=["unit", "period"], how="left")
    for col in INDICATORS:
        if col != "goldstein_mean":
            out[col] = out[col].fillna(0).astype("float64")
    out["goldstein_mean"] = out["goldstein_mean"].astype("float64")
    return out.sort_values(["unit", "period"]).reset_index(drop=True)
