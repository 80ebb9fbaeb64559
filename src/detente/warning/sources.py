"""Panel sources that are not events, read by adapters into tidy pandas frames.

- UCDP Battle-Related Deaths (dyadic, dyad-year) → country-year battle deaths (state-based conflict). A dyad-year whose
  battles took place in several countries (``gwno_battle`` lists them, comma-separated) is split evenly between them;
  where ``gwno_battle`` is empty, ``gwno_loc`` is used.
- UCDP/PRIO Armed Conflict Dataset (conflict-year) → country-year conflict counts by location (``gwno_loc``).
- Gleditsch–Ward state membership (the ``gw_states`` table) → which country-years exist.
- The Early Warning Project's prepared predictor table (country-year, its own variable names), and its published
  forecasts (one risk per country).
- User covariate tables: any CSV with a unit column and a period column (see :func:`read_covariates`).

Every reader checks its columns and raises :class:`WarningDataError` naming the file and the missing field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from detente.errors import WarningDataError

__all__ = [
    "EWP_PREDICTORS",
    "MISSING_MARKERS",
    "read_acd_country_year",
    "read_brd_country_year",
    "read_covariates",
    "read_ewp_forecasts",
    "read_ewp_predictors",
    "read_gw_states",
]

#: the 39 predictors of the Early Warning Project's 2025 elastic-net model (coefficients_3Sep2025.csv)
EWP_PREDICTORS: tuple[str, ...] = (
    "widetargeting",
    "narrowtargeting",
    "v2csgender_binary",
    "v2mecenefm_binary",
    "partyban.new.0",
    "partyban.new.1",
    "partyban.new.2",
    "minorityrule",
    "judicialreform",
    "religiousfreedom",
    "pol_killing_approved",
    "freediscussion",
    "social_inequality",
    "even_civilrights",
    "repress_civilsoc",
    "social_power_dist",
    "ses_power_dist",
    "popsize.log2",
    "gdppcgrowth",
    "un_imr_sqrt",
    "efindex",
    "discrimpop",
    "reg.na",
    "reg.eap",
    "reg.sca",
    "reg.mna",
    "reg.eur",
    "ios.iccpr1",
    "battledeaths.log2",
    "coup.try.5yr",
    "mk_ongoing_count_log2",
    "mean_mk_onset_interaction",
    "mk_onset_prev_year",
    "newcountry",
    "mk_ever",
    "year_sq",
    "year",
    "countryage.new.log2",
    "includesnonstate",
)


def _read(path: Path, required: Sequence[str], **kwargs: object) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, **kwargs)  # type: ignore[call-overload]
    except (OSError, ValueError) as exc:
        raise WarningDataError(f"cannot read table ({exc})", path=path) from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise WarningDataError("missing column", path=path, field=missing[0])
    return frame  # type: ignore[no-any-return]


def _codes(value: object) -> list[int]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [int(v) for v in str(value).replace(" ", "").split(",") if v]


def read_brd_country_year(path: Path | str, *, max_year: int | None = None) -> pd.DataFrame:
    """Country-year state-based battle deaths: columns ``gw``, ``year``, ``bd_best``, ``bd_dyads``."""
    p = Path(path)
    raw = _read(
        p, ("dyad_id", "year", "bd_best", "gwno_loc", "gwno_battle"), dtype={"gwno_loc": str, "gwno_battle": str}
    )
    if max_year is not None:
        raw = raw[raw["year"] <= max_year]
    rows: list[tuple[int, int, float]] = []
    for year, deaths, battle, loc in raw[["year", "bd_best", "gwno_battle", "gwno_loc"]].itertuples(index=False):
        codes = _codes(battle) or _codes(loc)
        if not codes:
            raise WarningDataError("dyad-year without a location", path=p, field="gwno_loc")
        for code in codes:
            rows.append((code, int(year), float(deaths) / len(codes)))
    out = pd.DataFrame(rows, columns=["gw", "year", "bd_best"])
    return (
        out.groupby(["gw", "year"], as_index=False)
        .agg(bd_best=("bd_best", "sum"), bd_dyads=("bd_best", "size"))
        .astype({"gw": "int64", "year": "int64"})
    )


def read_acd_country_year(path: Path | str, *, max_year: int | None = None) -> pd.DataFrame:
    """Country-year armed conflicts by location: ``gw``, ``year``, ``acd_conflicts``, ``acd_wars``, ``acd_internat``."""
    p = Path(path)
    raw = _read(p, ("conflict_id", "year", "intensity_level", "type_of_conflict", "gwno_loc"), dtype={"gwno_loc": str})
    if max_year is not None:
        raw = raw[raw["year"] <= max_year]
    rows: list[tuple[int, int, int, int, int]] = []
    for year, intensity, kind, loc in raw[["year", "intensity_level", "type_of_conflict", "gwno_loc"]].itertuples(
        index=False
    ):
        for code in _codes(loc):
            rows.append((code, int(year), 1, int(intensity == 2), int(kind in (2, 4))))
    out = pd.DataFrame(rows, columns=["gw", "year", "acd_conflicts", "acd_wars", "acd_internat"])
    return out.groupby(["gw", "year"], as_index=False).sum().astype("int64")


def read_gw_states(path: Path | str, *, last_listed_year: int = 2017, through: int = 2100) -> pd.DataFrame:
    """Country-years of the Gleditsch–Ward system: ``gw``, ``name``, ``year``, ``state_start``.

    The list (as updated to 2017) ends every surviving state on 2017-12-31; such states are carried on to ``through``.
    """
    p = Path(path)
    raw = _read(p, ("gwcode", "statename", "startdate", "enddate"))
    rows: list[tuple[int, str, int, int]] = []
    first_year = raw.groupby("gwcode")["startdate"].min().str[:4].astype(int).to_dict()
    for code, name, start, end in raw[["gwcode", "statename", "startdate", "enddate"]].itertuples(index=False):
        y0, y1 = int(str(start)[:4]), int(str(end)[:4])
        if str(end).startswith(f"{last_listed_year}-12-31"):
            y1 = through
        rows.extend((int(code), str(name), y, first_year[code]) for y in range(y0, y1 + 1))
    out = pd.DataFrame(rows, columns=["gw", "name", "year", "state_start"])
    return out.drop_duplicates(["gw", "year"]).reset_index(drop=True)


def read_ewp_predictors(path: Path | str) -> pd.DataFrame:
    """The Early Warning Project's prepared predictor table, unchanged except for its checks."""
    p = Path(path)
    required = ("ewp_name", "year", "ccode", "mk_onset", "mk_onset_1or2", *EWP_PREDICTORS)
    return _read(p, required)


def read_ewp_forecasts(path: Path | str, column: str = "risk_1or2.from2024") -> pd.DataFrame:
    """The Early Warning Project's published forecasts (``forecasts3Sep2025.csv``): ``ewp_name`` and ``risk`` (the
    probability in ``column``: by default onset in 2025 or 2026 from the 2024 predictors), one row per country."""
    p = Path(path)
    raw = _read(p, ("ewp_name", column))
    risk = pd.to_numeric(raw[column], errors="coerce")
    bad = risk.isna() | (risk < 0) | (risk > 1)
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise WarningDataError("risk is not a probability in [0, 1]", path=p, line=line, field=column)
    if raw["ewp_name"].duplicated().any():
        line = int(raw["ewp_name"].duplicated().to_numpy().argmax()) + 2
        raise WarningDataError("country listed twice", path=p, line=line, field="ewp_name")
    return pd.DataFrame({"ewp_name": raw["ewp_name"].astype(str), "risk": risk.astype(np.float64)})


#: cell values read as missing in a covariate column (an empty cell is missing too)
MISSING_MARKERS: frozenset[str] = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "."})


def read_covariates(path: Path | str, *, unit: str, period: str) -> pd.DataFrame:
    """A user's covariate table (CSV) keyed by ``unit`` and ``period``; every other column must be numeric.

    Returns ``unit`` (text), ``period`` (as written), the covariate columns (float) and ``line`` (the CSV line of
    each row; the header is line 1). Errors name the file, the line and the field: a missing key column, a key
    column given twice, a row without a unit or period, a non-numeric value, a duplicate unit-period key.
    """
    p = Path(path)
    if unit == period:
        raise WarningDataError("the unit and period columns must differ", path=p, field=unit)
    frame = _read(p, (unit, period), dtype=str, keep_default_na=False, na_values=[""])
    frame = frame.reset_index(drop=True)
    lines = frame.index.to_numpy() + 2
    for key in (unit, period):
        empty = frame[key].isna() | (frame[key].astype(str).str.strip() == "")
        if empty.any():
            raise WarningDataError("empty key value", path=p, line=int(lines[empty.to_numpy().argmax()]), field=key)
    values = frame.drop(columns=[unit, period])
    if values.columns.empty:
        raise WarningDataError(f"no covariate columns besides {unit!r} and {period!r}", path=p)
    out = pd.DataFrame(
        {"unit": frame[unit].str.strip(), "period": frame[period].str.strip(), "line": lines}, index=frame.index
    )
    for col in values.columns:
        raw = values[col].where(~values[col].str.strip().isin(MISSING_MARKERS))
        numbers = pd.to_numeric(raw.str.strip(), errors="coerce")
        bad = numbers.isna() & raw.notna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise WarningDataError(
                f"covariates must be numeric, found {raw.iloc[i]!r}", path=p, line=int(lines[i]), field=str(col)
            )
        out[str(col)] = numbers.astype("float64")
    dup = out.duplicated(["unit", "period"], keep="first")
    if dup.any():
        i = int(dup.to_numpy().argmax())
        first = out[(out["unit"] == out["unit"].iloc[i]) & (out["period"] == out["period"].iloc[i])]["line"].iloc[0]
        raise WarningDataError(
            f"duplicate unit-period key ({out['unit'].iloc[i]}, {out['period'].iloc[i]}), first on line {first}",
            path=p,
            line=int(lines[i]),
            field=unit,
        )
    return out
