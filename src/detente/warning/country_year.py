"""Country-year panel from UCDP BRD and ACD, with its outcomes, built *as of* a year.

``build_country_year(data, as_of=t)`` reads nothing dated after ``t``: the source tables are cut at ``t`` before
any feature is computed, so a backtest origin cannot see the future through windows or lags.

Features of country c in year s (all from years ≤ s):

- ``bd``, ``bd_log`` (log1p), ``bd_lag1``, ``bd_lag2``, ``bd_sum3``, ``bd_max5``: state-based battle deaths (BRD);
- ``bd25``: ``bd >= 25``; ``bd25_freq10``: share of the last 10 years with ≥ 25 deaths (the conflictology baseline);
  ``bd25_freq_all``: share of all observed years since 1989 (the historical-average baseline);
- ``acd_conflicts``, ``acd_wars``, ``acd_internat``, ``acd_active``: ACD conflicts located in c;
  ``acd_freq10``, ``acd_ever``, ``years_since_acd`` (capped at 60) and ``peace_decay`` = 2^(-years_since / 4);
  ``acd_spell``: consecutive active years up to s; ``onset``: active in s and not in s-1;
  ``onset_freq_all``: onsets per at-risk year since 1946 (historical average of the onset outcome);
- ``state_age_log``: log1p(years since the state entered the GW system), ``n_neigh_bd``: not used (no contiguity data).

Outcomes, defined for s < t only (their year s+1 must be ≤ t): ``y_bd25`` (≥ 25 state-based battle deaths in s+1)
and ``y_onset`` (an ACD conflict in s+1 after no conflict in s; missing when c is in conflict in s — not at risk).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detente.warning.sources import read_acd_country_year, read_brd_country_year, read_gw_states

__all__ = ["COUNTRY_YEAR_FEATURES", "CountryYearData", "build_country_year"]

COUNTRY_YEAR_FEATURES: tuple[str, ...] = (
    "bd_log",
    "bd_lag1",
    "bd_lag2",
    "bd_sum3",
    "bd_max5",
    "bd25",
    "bd25_freq10",
    "bd25_freq_all",
    "acd_conflicts",
    "acd_wars",
    "acd_internat",
    "acd_active",
    "acd_freq10",
    "acd_ever",
    "years_since_acd",
    "peace_decay",
    "acd_spell",
    "onset",
    "onset_freq_all",
    "state_age_log",
)

FIRST_BRD_YEAR = 1989
FIRST_ACD_YEAR = 1946


@dataclass(frozen=True)
class CountryYearData:
    """The three source tables, already read (see :meth:`from_dir`)."""

    brd: pd.DataFrame
    acd: pd.DataFrame
    states: pd.DataFrame

    @classmethod
    def from_dir(cls, data: Path | str) -> CountryYearData:
        """Read ``ucdp_brd/``, ``ucdp_acd/`` and ``country_codes/`` under a data folder laid out as ``shared/data``."""
        root = Path(data)
        return cls(
            brd=read_brd_country_year(root / "ucdp_brd" / "ucdp-brd-dyadic-251.csv"),
            acd=read_acd_country_year(root / "ucdp_acd" / "ucdp-prio-acd-221.csv"),
            states=read_gw_states(root / "country_codes" / "peacesciencer_gw_states.csv"),
        )

    @property
    def last_year(self) -> int:
        return int(min(self.brd["year"].max(), self.acd["year"].max()))


def _rolling(frame: pd.DataFrame, column: str, window: int, how: str) -> pd.Series:
    grouped = frame.groupby("gw", sort=False)[column]
    rolled = grouped.rolling(window, min_periods=1)
    result = rolled.sum() if how == "sum" else rolled.max() if how == "max" else rolled.mean()
    return result.reset_index(level=0, drop=True)


def build_country_year(data: CountryYearData, *, as_of: int, first_year: int = FIRST_BRD_YEAR) -> pd.DataFrame:
    """Feature and outcome rows for every GW state-year in ``first_year .. as_of``, using no data after ``as_of``."""
    brd = data.brd[data.brd["year"] <= as_of]
    acd = data.acd[data.acd["year"] <= as_of]
    states = data.states[(data.states["year"] <= as_of) & (data.states["year"] >= FIRST_ACD_YEAR)]
    frame = states.merge(acd, on=["gw", "year"], how="left").merge(brd, on=["gw", "year"], how="left")
    frame = frame.sort_values(["gw", "year"]).reset_index(drop=True)
    for col in ("acd_conflicts", "acd_wars", "acd_internat"):
        frame[col] = frame[col].fillna(0).astype("int64")
    brd_era = frame["year"] >= FIRST_BRD_YEAR
    frame["bd"] = np.where(brd_era, frame["bd_best"].fillna(0.0), np.nan)
    frame["bd_log"] = np.log1p(frame["bd"])
    g = frame.groupby("gw", sort=False)
    frame["bd_lag1"] = g["bd_log"].shift(1)
    frame["bd_lag2"] = g["bd_log"].shift(2)
    frame["bd_sum3"] = np.log1p(_rolling(frame, "bd", 3, "sum"))
    frame["bd_max5"] = np.log1p(_rolling(frame, "bd", 5, "max"))
    frame["bd25"] = np.where(brd_era, (frame["bd"] >= 25).astype(float), np.nan)
    frame["bd25_freq10"] = _rolling(frame, "bd25", 10, "mean")
    frame["bd25_freq_all"] = g["bd25"].transform(lambda s: s.expanding().mean())
    frame["acd_active"] = (frame["acd_conflicts"] > 0).astype(float)
    frame["acd_freq10"] = _rolling(frame, "acd_active", 10, "mean")
    frame["acd_ever"] = g["acd_active"].cummax()
    # years since the last active year (0 when active now), capped at 60 when never
    last_active = frame["year"].where(frame["acd_active"] > 0)
    last_active = last_active.groupby(frame["gw"]).ffill()
    frame["years_since_acd"] = (frame["year"] - last_active).fillna(60.0).clip(upper=60.0)
    frame["peace_decay"] = np.power(2.0, -frame["years_since_acd"] / 4.0)
    spell_id = (frame["acd_active"] == 0).groupby(frame["gw"]).cumsum()
    frame["acd_spell"] = frame.groupby(["gw", spell_id])["acd_active"].cumsum()
    prev_active = g["acd_active"].shift(1).fillna(0.0)
    frame["onset"] = ((frame["acd_active"] > 0) & (prev_active == 0)).astype(float)
    at_risk_prev = (prev_active == 0).astype(float)
    onsets = frame.groupby("gw", sort=False)["onset"].cumsum()
    risk_years = at_risk_prev.groupby(frame["gw"]).cumsum()
    frame["onset_freq_all"] = (onsets / risk_years.replace(0, np.nan)).fillna(0.0)
    frame["state_age_log"] = np.log1p(frame["year"] - frame["state_start"])
    # outcomes for s + 1 (only where s + 1 <= as_of and the state still exists)
    nxt = frame[["gw", "year", "bd", "acd_active"]].copy()
    nxt["year"] -= 1
    nxt = nxt.rename(columns={"bd": "bd_next", "acd_active": "acd_next"})
    frame = frame.merge(nxt, on=["gw", "year"], how="left")
    frame["y_bd25"] = np.where(frame["bd_next"].notna(), (frame["bd_next"] >= 25).astype(float), np.nan)
    at_risk = frame["acd_active"] == 0
    frame["y_onset"] = np.where(frame["acd_next"].notna() & at_risk, frame["acd_next"], np.nan)
    frame = frame[frame["year"] >= first_year].reset_index(drop=True)
    frame["unit"] = frame["gw"].astype(str)
    frame["period"] = frame["year"]
    return frame.drop(columns=["bd_best", "bd_dyads", "bd_next", "acd_next"])
