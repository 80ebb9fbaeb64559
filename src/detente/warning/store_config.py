"""A forecasting configuration for ANY workspace's event store: admin1-month, or country-month without admin1.

The level is chosen from the data (:func:`choose_level`): admin1 when at least ``admin1_share`` of the events name
a first-level unit, else country. :class:`StorePanels` rebuilds the monthly panel as of a month t from the events
dated on or before the last day of t (one Ibis query over the store), with the windowed features of
:mod:`detente.warning.monthly`; units are those with an event in the panel's span up to t.

The forecast (:func:`store_forecast`) is Détente's hurdle model (or any backtested baseline: the watchlist uses the
one its backtest chooses, :mod:`detente.warning.selection`) for fatalities in month t + 1: mean, 5/50/95 %
quantiles, P(fatalities > 0), P(fatalities ≥ N) (``p_exceed``, N = ``threshold``), rank (by ``p_exceed``, then
mean) and, for the hurdle, the top TreeSHAP drivers. :func:`store_backtest` scores the hurdle and the ViEWS
baselines walk-forward over the months before t (CRPS, ignorance, 90 % interval score; Brier, AUROC, AUPR, ECE and
the reliability table of P(≥ N)); it stops adding origins at a deadline and says so. Everything as of t reads only
events dated ≤ t.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import WarningDataError
from detente.events.coverage import Coverage, store_coverage
from detente.events.unit_names import admin1_names, country_names
from detente.warning import metrics
from detente.warning.forecast import COUNT_COLUMNS, top_drivers
from detente.warning.models import CountModel, EmpiricalCountBaseline, HurdleBoost, PointCountBaseline
from detente.warning.monthly import MONTHLY_FEATURES, month_index
from detente.warning.monthly import _features as monthly_features
from detente.warning.panels import INDICATORS, indicator_expr, month_label, period_end

__all__ = [
    "STORE_COLUMNS",
    "StoreConfig",
    "StorePanels",
    "choose_level",
    "default_as_of",
    "forecastable",
    "latest_complete_month",
    "manifest_version",
    "model_names",
    "open_store_panels",
    "store_backtest",
    "store_events",
    "store_forecast",
]

FEATURES: tuple[str, ...] = MONTHLY_FEATURES["admin1"]
#: the forecast file's columns: the count columns of ``docs/forecast-files.md`` and three more at the end
STORE_COLUMNS = [*COUNT_COLUMNS, "threshold", "p_exceed", "previous_p_exceed"]
SEED = 20240201
_DRIVER_COLUMNS = [c for i in (1, 2, 3) for c in (f"driver_{i}", f"driver_{i}_contribution")]


@dataclass(frozen=True)
class StoreConfig:
    """Knobs of the store configuration (defaults keep a demo-sized workspace to seconds)."""

    threshold: int = 25  # N of P(fatalities >= N next month)
    horizon: int = 1
    window: int = 72  # months of panel before the origin (36-month features need history)
    origins: int = 12  # backtest origins: the months before the as-of month
    samples: int = 500
    n_estimators: int = 100
    folds: int = 3
    min_history: int = 12  # months of data needed before a first origin
    admin1_share: float = 0.8

    def key(self) -> str:
        text = repr(sorted(asdict(self).items()))
        return hashlib.sha256(text.encode()).hexdigest()[:8]


def manifest_version(manifest_json: bytes) -> str:
    """A short fingerprint of the store's manifest: changes with every import."""
    return hashlib.sha256(manifest_json).hexdigest()[:12]


def choose_level(table: Any, admin1_share: float = 0.8) -> str:
    """``admin1`` when at least ``admin1_share`` of the events name an admin1 unit, else ``country``."""
    stats = table.aggregate(n=table.count(), named=table.admin1.notnull().sum()).to_pandas().iloc[0]
    n, named = int(stats["n"]), int(stats["named"] or 0)
    if n == 0:
        raise _empty_store()
    return "admin1" if named >= admin1_share * n else "country"


def latest_complete_month(last_event: dt.date, today: dt.date) -> int:
    """The as-of month: the month before today's, or the month of the last event if that is earlier."""
    return min(month_index(today) - 1, month_index(last_event))


def _empty_store() -> WarningDataError:
    return WarningDataError("the event store is empty: import events first", field="events")


def default_as_of(coverage: Coverage, today: dt.date, countries: list[str] | None = None) -> int:
    """The last month with data for the units shown (of ``countries``, default all), and before today's month."""
    if not coverage.sources:
        raise _empty_store()
    last = coverage.last_month(countries)
    if last is None:
        raise WarningDataError("no source covers the units shown: import events first", field="as_of")
    return min(month_index(today) - 1, last)


#: indicators that count deaths: unknown (NaN) where no covering source carries deaths
DEATH_INDICATORS = ("fatalities", "fat_state_based", "fat_non_state", "fat_one_sided", "civilian_deaths")


def forecastable(panel: pd.DataFrame, min_history: int) -> pd.Series:
    """Rows whose deaths are known and whose unit has at least ``min_history`` months with known deaths up to them
    (panels without coverage columns: every row)."""
    if "deaths_known" not in panel:
        return pd.Series(True, index=panel.index)
    return panel["deaths_known"] & (panel["months_of_data"] >= min_history)


@dataclass
class StorePanels:
    """Monthly panels of the store at one level, rebuilt on demand as of a month."""

    table: Any
    level: str
    first: int  # month of the first event
    last: int  # month of the last event
    names: dict[str, str]
    window: int = 72
    #: what each source covers; None treats every unit-month as covered (zero where no event)
    coverage: Coverage | None = None
    #: readable names of code-like admin1 units (``GEO:GG02`` → ``Abkhazia``)
    unit_names: dict[str, str] = field(default_factory=dict)
    _cache: dict[int, pd.DataFrame] = field(default_factory=dict)

    def at(self, t: int) -> pd.DataFrame:
        """The panel for months ``max(first, t - window)..t`` from events dated up to the end of month ``t``."""
        if t not in self._cache:
            lo = max(self.first, t - self.window)
            expr = indicator_expr(self.table, unit=self.level, period="month", as_of=period_end(t, "month"))
            found = expr.to_pandas()
            found = found[found["period"] >= lo]
            wanted = sorted(str(u) for u in found["unit"].unique())
            if not wanted:
                raise WarningDataError(f"no events between {month_label(lo)} and {month_label(t)}", field="as_of")
            grid = pd.MultiIndex.from_product([wanted, range(lo, t + 1)], names=["unit", "period"])
            raw = grid.to_frame(index=False).merge(found, on=["unit", "period"], how="left")
            for col in INDICATORS:
                raw[col] = raw[col].astype("float64") if col == "goldstein_mean" else raw[col].fillna(0).astype(float)
            raw = raw.sort_values(["unit", "period"]).reset_index(drop=True)
            covered, deaths = self._known(raw)
            for col in INDICATORS:
                raw.loc[~covered, col] = np.nan
            for col in DEATH_INDICATORS:
                raw.loc[~deaths, col] = np.nan
            raw["covered"], raw["deaths_known"] = covered, deaths  # carried through the features, row for row
            panel = monthly_features(raw, "admin1")
            panel["months_of_data"] = panel.groupby("unit", sort=False)["deaths_known"].cumsum().astype(int)
            self._cache[t] = panel
        return self._cache[t]

    def country(self, unit: str) -> str:
        return unit.partition(":")[0]

    def _known(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Per row: some source covers the unit-month; some source that carries deaths covers it."""
        if self.coverage is None:
            every = pd.Series(True, index=frame.index)
            return every, every.copy()
        pairs = pd.DataFrame({"iso3": frame["unit"].map(self.country), "period": frame["period"]})
        keys = pairs.drop_duplicates()
        cov = self.coverage
        keys = keys.assign(
            covered=[cov.covered(i, int(p)) for i, p in zip(keys["iso3"], keys["period"], strict=True)],
            deaths=[cov.covered(i, int(p), deaths=True) for i, p in zip(keys["iso3"], keys["period"], strict=True)],
        )
        found = pairs.merge(keys, on=["iso3", "period"], how="left")
        return (
            pd.Series(found["covered"].to_numpy(bool), index=frame.index),
            pd.Series(found["deaths"].to_numpy(bool), index=frame.index),
        )

    def name(self, unit: str) -> str:
        if self.level == "country":
            return self.names.get(unit, unit)
        iso3, _, region = unit.partition(":")
        return f"{self.unit_names.get(unit, region)}, {self.names.get(iso3, iso3)}"


def open_store_panels(
    table: Any, config: StoreConfig = StoreConfig(), *, coverage: Coverage | None = None
) -> tuple[StorePanels, dt.date]:
    """The panels of an event table and the date of its last event."""
    level = choose_level(table, config.admin1_share)
    span = table.aggregate(lo=table.date_start.min(), hi=table.date_start.max()).to_pandas().iloc[0]
    lo, hi = pd.Timestamp(span["lo"]).date(), pd.Timestamp(span["hi"]).date()
    names = country_names(table)
    regions = admin1_names(table) if level == "admin1" else {}
    coverage = coverage if coverage is not None else store_coverage(table)
    panels = StorePanels(table, level, month_index(lo), month_index(hi), names, config.window, coverage, regions)
    return panels, hi


def _training(panel: pd.DataFrame, s: int, horizon: int) -> pd.DataFrame:
    """Rows of months <= s - horizon with their outcome (fatalities ``horizon`` months later), all known at s."""
    target = panel.set_index(["unit", "period"])["fatalities"]
    train = panel[panel["period"] <= s - horizon].copy()
    keys = pd.MultiIndex.from_arrays([train["unit"], train["period"] + horizon])
    train["_y"] = target.reindex(keys).to_numpy(dtype=np.float64)
    known = train.get("deaths_known", True)
    return train[train["_y"].notna() & known]  # no row whose month or outcome has no data


def _hurdle(config: StoreConfig) -> HurdleBoost:
    return HurdleBoost(n_estimators=config.n_estimators, folds=config.folds)


def _check_origin(panels: StorePanels, t: int, config: StoreConfig) -> None:
    if t < panels.first + config.min_history:
        raise WarningDataError(
            f"as-of month {month_label(t)} needs {config.min_history} months of events before it "
            f"(the store starts in {month_label(panels.first)})",
            field="as_of",
        )
    if t > panels.last:
        raise WarningDataError(
            f"as-of month {month_label(t)} is outside the data: the store's events run from "
            f"{month_label(panels.first)} to {month_label(panels.last)}",
            field="as_of",
        )


def store_forecast(
    panels: StorePanels,
    t: int,
    config: StoreConfig = StoreConfig(),
    *,
    previous: pd.DataFrame | None = None,
    model: str = "detente_hurdle",
) -> pd.DataFrame:
    """One row per unit (columns :data:`STORE_COLUMNS`) from ``model`` (any backtested model: Détente's hurdle or a
    baseline of :func:`model_names`), sorted by rank; ``previous`` gives the change. Drivers exist for the hurdle
    only: a baseline's rows have none (empty driver columns)."""
    _check_origin(panels, t, config)
    fitted = _model(model, config)
    panel = panels.at(t)
    feats = list(FEATURES)
    test = panel[panel["period"] == t]
    test = test[forecastable(test, config.min_history)].reset_index(drop=True)
    if test.empty:  # no unit has data enough in month t: nothing to forecast (the watchlist says why per unit)
        return pd.DataFrame(columns=STORE_COLUMNS)
    train = _training(panel, t, config.horizon)
    fitted.fit(train[feats], train["_y"].to_numpy(float), train["period"].to_numpy(float))
    draws = fitted.sample(test[feats], config.samples, np.random.default_rng([SEED, t, config.horizon]))
    q = np.quantile(draws, [0.05, 0.5, 0.95], axis=1)
    hurdle = fitted if isinstance(fitted, HurdleBoost) else None
    out = pd.DataFrame(
        {
            "unit": test["unit"].to_numpy(),
            "mean": draws.mean(axis=1).round(3),
            "q05": q[0],
            "q50": q[1],
            "q95": q[2],
            "probability": (hurdle.prob_positive(test[feats]) if hurdle else (draws > 0).mean(axis=1)).round(6),
            "p_exceed": (draws >= config.threshold).mean(axis=1).round(6),
        }
    )
    if hurdle is not None and hurdle._clf is not None:
        contrib = pd.DataFrame(
            np.asarray(hurdle._clf.predict(test[feats], pred_contrib=True))[:, :-1], columns=hurdle.features
        )
        drivers = top_drivers(contrib)
    elif hurdle is not None:
        drivers = top_drivers(pd.DataFrame(0.0, index=test.index, columns=hurdle.features))
    else:
        drivers = pd.DataFrame(
            {c: [np.nan if c.endswith("_contribution") else None] * len(test) for c in _DRIVER_COLUMNS},
            index=test.index,
        )
    out = pd.concat([out, drivers], axis=1)
    order = out.sort_values(["p_exceed", "mean", "unit"], ascending=[False, False, True], kind="mergesort").index
    out.loc[order, "rank"] = np.arange(1, len(out) + 1)
    out["rank"] = out["rank"].astype(int)
    if previous is not None and len(previous):
        prev = previous.drop_duplicates("unit").set_index(previous.drop_duplicates("unit")["unit"].astype(str))
        out["previous_mean"] = out["unit"].map(prev["mean"])
        out["previous_p_exceed"] = out["unit"].map(prev["p_exceed"]) if "p_exceed" in prev else np.nan
    else:
        out["previous_mean"] = np.nan
        out["previous_p_exceed"] = np.nan
    out["change"] = (out["mean"] - out["previous_mean"]).round(3)
    out["unit_name"] = out["unit"].map(panels.name)
    out["config"] = f"store-{panels.level}-monthly"
    out["model"] = fitted.name
    out["as_of"] = month_label(t)
    out["target"] = f"fatalities in {month_label(t + config.horizon)}"
    out["horizon"] = config.horizon
    out["threshold"] = config.threshold
    return out[STORE_COLUMNS].sort_values("rank").reset_index(drop=True)


def _models(config: StoreConfig) -> list[CountModel]:
    return [
        PointCountBaseline("zero", None),
        PointCountBaseline("last_value", "lag0"),
        PointCountBaseline("historical_average", "fat_mean_all"),
        EmpiricalCountBaseline("conflictology", tuple(f"lag{k}" for k in range(12))),
        _hurdle(config),
    ]


def model_names(config: StoreConfig = StoreConfig()) -> list[str]:
    """The models :func:`store_backtest` scores and :func:`store_forecast` can forecast with."""
    return [m.name for m in _models(config)]


def _model(name: str, config: StoreConfig) -> CountModel:
    found = {m.name: m for m in _models(config)}
    if name not in found:
        raise WarningDataError(f"unknown model {name!r}; known: {', '.join(found)}", field="model")
    return found[name]


def _nan_to_none(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def store_backtest(
    panels: StorePanels,
    t: int,
    config: StoreConfig = StoreConfig(),
    *,
    deadline: float | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Walk-forward scores of Détente's hurdle and the baselines at origins before ``t`` (data ≤ t only).

    ``deadline`` is a :func:`time.monotonic` instant after which no further origin is started (``truncated``).
    """
    _check_origin(panels, t, config)
    h, n = config.horizon, config.threshold
    first_origin = panels.first + config.min_history
    origins = [s for s in range(t - h - config.origins + 1, t - h + 1) if s >= first_origin]
    truth = panels.at(t).set_index(["unit", "period"])["fatalities"]
    feats = list(FEATURES)
    rows: list[pd.DataFrame] = []
    done: list[int] = []
    truncated = False
    for step, s in enumerate(reversed(origins)):  # the most recent first, so a deadline keeps the most relevant
        if progress is not None:
            progress("origins", step, len(origins))
        if deadline is not None and time.monotonic() > deadline:
            truncated = True
            break
        panel = panels.at(s)
        train = _training(panel, s, h)
        test = panel[panel["period"] == s]
        y = truth.reindex(pd.MultiIndex.from_arrays([test["unit"], test["period"] + h])).to_numpy(dtype=np.float64)
        keep = ~np.isnan(y) & forecastable(test, config.min_history).to_numpy(bool)
        test, y = test[keep], y[keep]
        if test.empty or train["period"].nunique() < 6:
            continue
        X, ytr, periods = train[feats], train["_y"].to_numpy(float), train["period"].to_numpy(float)
        for model in _models(config):
            draws = model.fit(X, ytr, periods).sample(test[feats], config.samples, np.random.default_rng([SEED, s, h]))
            rows.append(
                pd.DataFrame(
                    {
                        "origin": s,
                        "unit": test["unit"].to_numpy(),
                        "model": model.name,
                        "y": y,
                        "crps": metrics.crps_samples(y, draws),
                        "ignorance": metrics.ignorance_samples(y, draws),
                        "interval": metrics.interval_score_samples(y, draws, alpha=0.1),
                        "p": (draws >= n).mean(axis=1),
                        "hit": (y >= n).astype(float),
                    }
                )
            )
        done.append(s)
    if progress is not None:
        progress("origins", len(origins) if not truncated else len(done), len(origins))
    scores = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    models: dict[str, dict[str, float | None]] = {}
    reliability: dict[str, list[dict[str, float]]] = {}
    for name, frame in scores.groupby("model", sort=False) if len(scores) else []:
        hit, p = frame["hit"].to_numpy(float), frame["p"].to_numpy(float)
        models[str(name)] = {
            "crps": _nan_to_none(float(frame["crps"].mean())),
            "ignorance": _nan_to_none(float(frame["ignorance"].mean())),
            "mis90": _nan_to_none(float(frame["interval"].mean())),
            "brier": _nan_to_none(metrics.brier(hit, p)),
            "auroc": _nan_to_none(metrics.auroc(hit, p)),
            "aupr": _nan_to_none(metrics.aupr(hit, p)),
            "ece": _nan_to_none(metrics.expected_calibration_error(hit, p)),
            "positives": float(hit.sum()),
            "n": float(hit.size),
        }
        reliability[str(name)] = metrics.calibration_table(hit, p)
    return {
        "protocol": {
            "level": panels.level,
            "target": f"fatalities in month s+{h}; event P(fatalities >= {n})",
            "origins": [month_label(s) for s in sorted(done)],
            "training": f"unit-months of the {config.window} months before each origin s, outcomes known by s",
            "samples": config.samples,
            "metrics": "CRPS, ignorance (ViEWS bins), 90% mean interval score; Brier, AUROC, AUPR, ECE of P(>= N)",
        },
        "truncated": truncated,
        "models": models,
        "reliability": reliability,
    }


def store_events(panels: StorePanels, t: int) -> pd.DataFrame:
    """The events of month ``t`` with fatalities (unit, period, event_id, fatalities_best, date_start, place …)."""
    import ibis

    tbl = panels.table
    start, end = period_end(t - 1, "month") + dt.timedelta(days=1), period_end(t, "month")
    tbl = tbl.filter((tbl.date_start >= ibis.literal(start)) & (tbl.date_start <= ibis.literal(end)))
    cols = ["event_id", "country_iso3", "admin1", "date_start", "place", "category", "fatalities_best"]
    frame: pd.DataFrame = tbl.select(*cols).to_pandas()
    if panels.level == "admin1":
        frame = frame[frame["admin1"].notna()]
        frame["unit"] = frame["country_iso3"].astype(str) + ":" + frame["admin1"].astype(str)
    else:
        frame["unit"] = frame["country_iso3"].astype(str)
    frame["period"] = t
    frame["fatalities_best"] = frame["fatalities_best"].fillna(0)
    return frame.reset_index(drop=True)
