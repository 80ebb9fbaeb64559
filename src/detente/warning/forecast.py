"""Forecasts in use: fit Détente's model as of a period and forecast every unit, with rank, change and drivers.

The columns of the forecast CSV are stable and documented in ``docs/forecast-files.md``. Drivers are TreeSHAP
contributions (LightGBM ``pred_contrib``) to the log-odds of the forecast (for counts: of P(fatalities > 0)); the
three largest in absolute value are reported with their sign. The change is the difference to the forecast of the
same model made one period earlier from the data available then (or to a previous forecast file, if given).

Given the JSON of a backtest of the same configuration (``detente forecast backtest --json``), each probability
forecast also says how often the backtest's forecasts in the decile it would rank in came true (``backtest_count``,
``backtest_observed`` and its 95 % Wilson interval): the warning a user needs when a model is well calibrated on
average but not at the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import UnknownConfigError, WarningDataError
from detente.warning.country_year import COUNTRY_YEAR_FEATURES, CountryYearData, build_country_year
from detente.warning.covariates import Covariates, join_covariates, prepare
from detente.warning.drivers import panel_sentences, table_sentences
from detente.warning.models import BoostClassifier, HurdleBoost
from detente.warning.monthly import MONTHLY_FEATURES, MonthlyPanels, syria_panels
from detente.warning.panels import month_label
from detente.warning.sources import EWP_PREDICTORS, read_ewp_predictors

__all__ = [
    "BACKTEST_OUTCOMES",
    "BINARY_COLUMNS",
    "COUNT_COLUMNS",
    "DRIVER_TEXT_COLUMNS",
    "ForecastRun",
    "attach_backtest_rates",
    "backtest_bins",
    "parse_period",
    "run_forecast",
    "top_drivers",
]

N_DRIVERS = 3
_DRIVER_COLUMNS = [c for i in range(1, N_DRIVERS + 1) for c in (f"driver_{i}", f"driver_{i}_contribution")]
#: each driver as a sentence with its value and level (detente.warning.drivers), at the end of the files
DRIVER_TEXT_COLUMNS = [f"driver_{i}_text" for i in range(1, N_DRIVERS + 1)]
BINARY_COLUMNS = [
    "config", "model", "unit", "unit_name", "as_of", "target", "probability", "rank", "previous_probability",
    "change", *_DRIVER_COLUMNS, *DRIVER_TEXT_COLUMNS, "backtest_count", "backtest_observed", "backtest_observed_low",
    "backtest_observed_high",
]  # fmt: skip
#: the key of a forecast's outcome in a backtest's ``calibration`` block, per config and ``outcome``
BACKTEST_OUTCOMES: dict[tuple[str, str], str] = {
    ("ucdp-country-year", "bd25"): "bd25",
    ("ucdp-country-year", "onset"): "onset",
    ("ewp-mass-killing", "bd25"): "mk_onset_1or2",
}
COUNT_COLUMNS = [
    "config", "model", "unit", "unit_name", "as_of", "target", "horizon", "mean", "q05", "q50", "q95",
    "probability", "rank", "previous_mean", "change", *_DRIVER_COLUMNS,
]  # fmt: skip


@dataclass(frozen=True)
class ForecastRun:
    """A forecast table and the config it came from."""

    config: str
    as_of: str
    table: pd.DataFrame

    def write_csv(self, path: Path | str) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(p, index=False, float_format="%.6g")
        return p


def top_drivers(contrib: pd.DataFrame, n: int = N_DRIVERS) -> pd.DataFrame:
    """The n features with the largest absolute contribution per row, as driver_i / driver_i_contribution."""
    values = contrib.to_numpy(dtype=np.float64)
    order = np.argsort(-np.abs(values), axis=1, kind="mergesort")[:, :n]
    out: dict[str, object] = {}
    names = np.asarray(contrib.columns)
    for i in range(n):
        idx = order[:, i]
        out[f"driver_{i + 1}"] = names[idx]
        out[f"driver_{i + 1}_contribution"] = np.round(values[np.arange(len(values)), idx], 6)
    return pd.DataFrame(out, index=contrib.index)


def parse_period(config: str, text: str) -> int:
    """A year (``2020``) for annual configs, a month (``2019-06``) as a month index for monthly ones."""
    try:
        if config == "ged-syria-monthly":
            year, month = text.split("-")
            return int(year) * 12 + int(month) - 1
        return int(text)
    except ValueError as exc:
        raise WarningDataError(f"bad period {text!r} for {config} (expected YYYY or YYYY-MM)", field="as_of") from exc


def _binary_forecast(
    panel: pd.DataFrame, t: int, target: str, features: tuple[str, ...], lead: int, params: dict[str, Any] | None = None
) -> pd.DataFrame:
    params = params or {}
    train = panel[(panel["period"] <= t - lead) & panel[target].notna()]
    test = panel[panel["period"] == t]
    if train.empty or test.empty:
        raise WarningDataError(f"no data to fit or forecast as of {t}", field="as_of")
    model = BoostClassifier("detente_gbm", **params)
    model.fit(train[list(features)], train[target].to_numpy(dtype=np.float64), train["period"].to_numpy(float))
    p = model.predict(test[list(features)])
    drivers = top_drivers(model.contributions(test[list(features)])).reset_index(drop=True)
    texts = table_sentences(drivers, test[list(features)].reset_index(drop=True), N_DRIVERS)
    out = pd.DataFrame({"unit": test["unit"].to_numpy(), "probability": np.round(p, 6)})
    return pd.concat([out, drivers, texts], axis=1)


def backtest_bins(
    doc: Mapping[str, Any], config: str, outcome: str = "bd25", model: str = "detente_gbm"
) -> list[dict[str, Any]]:
    """The decile rows of ``model``'s calibration table in a backtest JSON (``BacktestResult.as_json``)
    for the forecast's outcome. Raises :class:`WarningDataError` when the document is of another configuration or
    has no such table."""
    if doc.get("config") != config:
        raise WarningDataError(f"the backtest is of {doc.get('config')!r}, not {config!r}", field="config")
    key = BACKTEST_OUTCOMES.get((config, outcome if config == "ucdp-country-year" else "bd25"))
    tables = doc.get("calibration", {}).get(key or "", {})
    if model not in tables:
        raise WarningDataError(f"the backtest has no calibration table of {model} for {key}", field="calibration")
    return [dict(r) for r in tables[model] if r.get("decile")]


def attach_backtest_rates(table: pd.DataFrame, bins: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Fill the ``backtest_*`` columns: for each ``probability``, the count, observed rate and Wilson interval of
    the decile of the backtest's forecasts it would rank in (deciles as in
    :func:`detente.warning.metrics.calibration_table`: the first whose highest forecast is at least the
    probability, else the top decile); NaN when ``bins`` holds no decile."""
    out = table.copy()
    for col in ("backtest_count", "backtest_observed", "backtest_observed_low", "backtest_observed_high"):
        out[col] = np.nan
    deciles = sorted(bins, key=lambda r: float(r["decile"]))
    if not deciles:
        return out
    highs = np.array([float(r["bin_high"]) for r in deciles])
    p = out["probability"].to_numpy(dtype=np.float64)
    which = np.minimum(np.searchsorted(highs, p, side="left"), len(deciles) - 1)
    for col, key in (
        ("backtest_count", "count"),
        ("backtest_observed", "observed_frequency"),
        ("backtest_observed_low", "interval_low"),
        ("backtest_observed_high", "interval_high"),
    ):
        out[col] = np.array([float(r[key]) for r in deciles])[which]
    return out


def _finish_binary(
    cur: pd.DataFrame,
    prev: pd.DataFrame | None,
    names: dict[str, str],
    meta: dict[str, str],
    bins: Sequence[Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    cur = cur.copy()
    cur["rank"] = cur["probability"].rank(ascending=False, method="first").astype(int)
    if prev is not None:
        prev_p = prev.set_index("unit")["probability"]
        cur["previous_probability"] = cur["unit"].map(prev_p)
    else:
        cur["previous_probability"] = np.nan
    cur["change"] = (cur["probability"] - cur["previous_probability"]).round(6)
    cur["unit_name"] = cur["unit"].map(names).fillna(cur["unit"])
    for k, v in meta.items():
        cur[k] = v
    cur = attach_backtest_rates(cur, bins or [])
    return cur[BINARY_COLUMNS].sort_values("rank").reset_index(drop=True)


def run_forecast(
    config: str,
    data: Path | str,
    as_of: str,
    *,
    previous: pd.DataFrame | None = None,
    outcome: str = "bd25",
    covariates: Sequence[Covariates] = (),
    backtest: Mapping[str, Any] | None = None,
) -> ForecastRun:
    """Forecast every unit of ``config`` as of ``as_of`` (see the module docstring). ``covariates`` are joined
    onto the panel as of each forecast origin (rows dated after it are not seen) and become features of the model.
    ``backtest`` (a backtest JSON of the same config) fills the ``backtest_*`` columns of probability forecasts."""
    root = Path(data)
    t = parse_period(config, as_of)
    bins = backtest_bins(backtest, config, outcome) if backtest is not None and config != "ged-syria-monthly" else []
    if config == "ucdp-country-year":
        source = CountryYearData.from_dir(root)
        target = {"bd25": "y_bd25", "onset": "y_onset"}[outcome]
        if covariates:
            bound, feats = prepare(
                covariates, build_country_year(source, as_of=source.last_year), COUNTRY_YEAR_FEATURES
            )
        else:
            bound, feats = [], COUNTRY_YEAR_FEATURES

        def panel(s: int) -> pd.DataFrame:
            return join_covariates(build_country_year(source, as_of=s), bound, s)

        cur = _binary_forecast(panel(t), t, target, feats, 1)
        prev = previous if previous is not None else _binary_forecast(panel(t - 1), t - 1, target, feats, 1)
        names = {str(g): str(n) for g, n in source.states[["gw", "name"]].drop_duplicates("gw").itertuples(index=False)}
        meta = {"config": config, "model": "detente_gbm", "as_of": str(t), "target": f"{outcome} in {t + 1}"}
        return ForecastRun(config, str(t), _finish_binary(cur, prev, names, meta, bins))
    if config == "ewp-mass-killing":
        table = read_ewp_predictors(root / "early_warning_project" / "prepared2024predictors-2025-09-03.csv.gz")
        table = table.assign(unit=table["ewp_name"], period=table["year"])
        bound, ewp_feats = prepare(covariates, table, EWP_PREDICTORS)

        def at(s: int) -> pd.DataFrame:
            frame = table[table["year"] <= s].copy()
            frame.loc[frame["year"] > s - 2, "mk_onset_1or2"] = np.nan
            frame = join_covariates(frame, bound, s)
            return _binary_forecast(frame, s, "mk_onset_1or2", ewp_feats, 2, {"calibration_periods": 5})

        cur = at(t)
        prev = previous if previous is not None else at(t - 1)
        meta = {"config": config, "model": "detente_gbm", "as_of": str(t), "target": f"mk_onset in {t + 1}-{t + 2}"}
        return ForecastRun(config, str(t), _finish_binary(cur, prev, {}, meta, bins))
    if config == "ged-syria-monthly":
        import tempfile

        with tempfile.TemporaryDirectory(prefix="detente-forecast-") as tmp:
            panels = syria_panels(root, Path(tmp))
            table = count_forecast(panels, "admin1", t, previous=previous, covariates=covariates)
            texts = panel_sentences(table, panels.at("admin1", t), t, N_DRIVERS)
            return ForecastRun(config, month_label(t), pd.concat([table, texts], axis=1))
    raise UnknownConfigError(f"no forecast configuration {config!r}")


def count_forecast(
    panels: MonthlyPanels,
    level: str,
    t: int,
    *,
    horizon: int = 1,
    previous: pd.DataFrame | None = None,
    covariates: Sequence[Covariates] = (),
) -> pd.DataFrame:
    """Quantiles, mean, P(> 0), rank and drivers of fatalities in month t + horizon for every unit of ``level``."""
    if not panels.first + 6 <= t <= panels.last:
        raise WarningDataError(
            f"as-of month {month_label(t)} outside the data (need 6 months of history)", field="as_of"
        )

    bound, features = prepare(covariates, panels.at(level, t), MONTHLY_FEATURES[level])

    def at(s: int) -> tuple[pd.DataFrame, HurdleBoost, pd.DataFrame]:
        panel = join_covariates(panels.at(level, s), bound, s)
        feats = list(features)
        target = panel.set_index(["unit", "period"])["fatalities"]
        train = panel[panel["period"] <= s - horizon].copy()
        train["_y"] = target.reindex(pd.MultiIndex.from_arrays([train["unit"], train["period"] + horizon])).to_numpy()
        train = train[train["_y"].notna()]
        model = HurdleBoost().fit(train[feats], train["_y"].to_numpy(float), train["period"].to_numpy(float))
        test = panel[panel["period"] == s]
        draws = model.sample(test[feats], 1000, np.random.default_rng([20240201, s, horizon]))
        q = np.quantile(draws, [0.05, 0.5, 0.95], axis=1)
        frame = pd.DataFrame(
            {
                "unit": test["unit"].to_numpy(),
                "mean": draws.mean(axis=1).round(3),
                "q05": q[0],
                "q50": q[1],
                "q95": q[2],
                "probability": model.prob_positive(test[feats]).round(6),
            }
        )
        return frame, model, test

    cur, model, test = at(t)
    prev = previous if previous is not None else at(t - 1)[0]
    contrib = pd.DataFrame(
        np.asarray(model._clf.predict(test[model.features], pred_contrib=True))[:, :-1]
        if model._clf is not None
        else np.zeros((len(test), len(model.features))),
        columns=model.features,
    )
    cur = pd.concat([cur, top_drivers(contrib)], axis=1)
    cur["rank"] = cur["mean"].rank(ascending=False, method="first").astype(int)
    cur["previous_mean"] = cur["unit"].map(prev.set_index("unit")["mean"])
    cur["change"] = (cur["mean"] - cur["previous_mean"]).round(3)
    cur["unit_name"] = cur["unit"].str.split(":").str[-1]
    cur["config"] = "ged-syria-monthly"
    cur["model"] = "detente_hurdle"
    cur["as_of"] = month_label(t)
    cur["target"] = f"fatalities in {month_label(t + horizon)}"
    cur["horizon"] = horizon
    return cur[COUNT_COLUMNS].sort_values("rank").reset_index(drop=True)
