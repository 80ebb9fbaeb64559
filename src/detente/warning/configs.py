"""The named backtest configurations: ``ucdp-country-year``, ``ewp-mass-killing``, ``ged-syria-monthly``.

Each takes the data folder (laid out as ``shared/data``: ``ucdp_brd/``, ``ucdp_acd/``, ``country_codes/``,
``early_warning_project/``, ``ucdp_ged/``) and ``reduced`` (fewer origins, for CI) and returns a
:class:`BacktestResult`. See ``docs/warning.md`` for the protocols.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import UnknownConfigError
from detente.warning.alert_backtest import monthly_alert_rates
from detente.warning.backtest import (
    BinarySpec,
    CountSpec,
    Progress,
    calibration_by_model,
    score_binary,
    score_counts,
    walk_forward_binary,
    walk_forward_counts,
)
from detente.warning.calibration import ISOTONIC_MIN_BIN
from detente.warning.country_year import COUNTRY_YEAR_FEATURES, CountryYearData, build_country_year
from detente.warning.covariates import (
    Covariates,
    base_only,
    describe_covariates,
    prepare,
    split_by_level,
    with_covariates,
)
from detente.warning.models import (
    DEFAULT_TREES,
    TREE_COUNTS,
    TREE_GRID,
    BinaryModel,
    BoostClassifier,
    ColumnBaseline,
    ConstantBaseline,
    CountModel,
    ElasticNetLogit,
    EmpiricalCountBaseline,
    HurdleBoost,
    PointCountBaseline,
)
from detente.warning.monthly import MONTHLY_FEATURES, MonthlyPanels, syria_panels
from detente.warning.sources import EWP_PREDICTORS, read_ewp_predictors

__all__ = ["CONFIGS", "BacktestResult", "run_backtest"]


@dataclass
class BacktestResult:
    """Metrics per model (``models``), the per-row predictions or scores behind them (``tables``) and, for binary
    outcomes, the calibration table of each model (``calibration``: outcome → model → rows, pooled over origins)."""

    config: str
    reduced: bool
    models: dict[str, dict[str, float]]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)  # escalation-alert rates measured walk-forward, per level
    calibration: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def clean(v: float) -> float | None:
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 6)

        return {
            "config": self.config,
            "reduced": self.reduced,
            "protocol": self.protocol,
            "models": {m: {k: clean(v) for k, v in vals.items()} for m, vals in self.models.items()},
            **({"alerts": self.alerts} if self.alerts else {}),
            **(
                {
                    "calibration": {
                        outcome: {m: [{k: clean(v) for k, v in r.items()} for r in rows] for m, rows in tables.items()}
                        for outcome, tables in self.calibration.items()
                    }
                }
                if self.calibration
                else {}
            ),
        }


def _merge(target: dict[str, dict[str, float]], extra: dict[str, dict[str, float]]) -> None:
    for model, vals in extra.items():
        target.setdefault(model, {}).update(vals)


# -- tuning record ----------------------------------------------------------------------------------------------

#: How Détente's classifier chooses its tree settings (inside each training window; see ``BoostClassifier``).
TUNING_PROTOCOL: dict[str, Any] = {
    "grid": {
        "num_leaves x min_child_samples": [list(shape) for shape in TREE_GRID],
        "n_estimators": list(TREE_COUNTS),
        "learning_rate": 0.03,
    },
    "rule": "fit each setting on the training periods before the last few, lowest log loss on those last few wins; "
    "the calibrator with the lowest leave-one-period-out log loss over those last few is fitted on them; "
    "refit the trees on all training rows",
    "calibrators": {
        "platt": "logistic regression on logit(p) (Platt 1999)",
        "beta": "logistic regression on [ln p, -ln(1-p)], coefficients kept >= 0 (Kull, Silva Filho & Flach 2017)",
        "isotonic": f"isotonic regression over bins of >= {ISOTONIC_MIN_BIN} validation rows, "
        "bin rates (k + 1/2)/(n + 1)",
    },
    "validation_periods": 3,
    "min_positives": 5,
    "default": DEFAULT_TREES.as_dict(),
}


def _tuning_summary(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings Détente's classifier chose at each origin, compact enough for the JSON protocol."""
    out = []
    for r in records:
        if r["model"] != "detente_gbm":
            continue
        loss = r["validation_logloss"]
        out.append(
            {
                "origin": int(r["origin"]),
                "num_leaves": int(r["num_leaves"]),
                "min_child_samples": int(r["min_child_samples"]),
                "n_estimators": int(r["n_estimators"]),
                "tuned": bool(r["tuned"]),
                "validation_logloss": None if np.isnan(loss) else round(float(loss), 5),
                "calibrator": str(r.get("calibrator", "identity")),
            }
        )
    return out


# -- ucdp-country-year ------------------------------------------------------------------------------------------


def country_year_models(outcome: str) -> Callable[[], Sequence[BinaryModel]]:
    last = {"y_bd25": "bd25", "y_onset": "onset"}[outcome]
    hist = {"y_bd25": "bd25_freq_all", "y_onset": "onset_freq_all"}[outcome]
    conf = {"y_bd25": "bd25_freq10", "y_onset": "acd_freq10"}[outcome]

    def make() -> Sequence[BinaryModel]:
        return [
            ConstantBaseline("zero", 0.0),
            ColumnBaseline("last_value", last),
            ColumnBaseline("historical_average", hist),
            ColumnBaseline("conflictology", conf),
            BoostClassifier("detente_gbm"),
        ]

    return make


def ucdp_country_year(
    data: Path, *, reduced: bool = False, covariates: Sequence[Covariates] = (), progress: Progress | None = None
) -> BacktestResult:
    """P(≥ 25 state-based battle deaths in t+1) and P(ACD onset in t+1), outcome years 2000–2021, walk-forward."""
    source = CountryYearData.from_dir(data)
    last = source.last_year
    test_years = list(range(2000, last + 1, 3 if reduced else 1))
    origins = [y - 1 for y in test_years]
    truth = build_country_year(source, as_of=last)
    cache: dict[int, pd.DataFrame] = {}

    def panel_at(t: int) -> pd.DataFrame:
        if t not in cache:
            cache[t] = build_country_year(source, as_of=t)
        return cache[t]

    bound, features = prepare(covariates, truth, COUNTRY_YEAR_FEATURES)  # user covariates: Détente's model only

    models: dict[str, dict[str, float]] = {}
    tables: dict[str, pd.DataFrame] = {}
    tuning: dict[str, list[dict[str, Any]]] = {}
    calibration: dict[str, dict[str, list[dict[str, float]]]] = {}
    for outcome, prefix, k in (("y_bd25", "bd25_", 20), ("y_onset", "onset_", 10)):
        spec = BinarySpec(target=outcome, features=features, lead=1)
        chosen: list[dict[str, Any]] = []
        make = base_only(country_year_models(outcome), COUNTRY_YEAR_FEATURES)
        preds = walk_forward_binary(
            with_covariates(panel_at, bound), truth, origins, spec, make, tuning=chosen, progress=progress
        )
        _merge(models, score_binary(preds, k=k, prefix=prefix))
        calibration[prefix.rstrip("_")] = calibration_by_model(preds)
        tables[f"predictions_{prefix.rstrip('_')}"] = preds
        tables[f"tuning_{prefix.rstrip('_')}"] = pd.DataFrame(chosen)
        tuning[prefix.rstrip("_")] = _tuning_summary(chosen)
    protocol = {
        "outcomes": {
            "bd25": ">= 25 state-based battle deaths (UCDP BRD 25.1, summed over dyads by battle location) in t+1",
            "onset": "an ACD 22.1 conflict located in the country in t+1 after none in t (at-risk rows only)",
        },
        "test_years": test_years,
        "origins": origins,
        "training": "all country-years 1989..t-1 with known outcome, features from data dated <= t",
        "tuning": {**TUNING_PROTOCOL, "chosen": tuning},
    }
    if bound:
        protocol["covariates"] = describe_covariates(bound)
    return BacktestResult("ucdp-country-year", reduced, models, tables, protocol, calibration=calibration)


# -- ewp-mass-killing -------------------------------------------------------------------------------------------


def ewp_mass_killing(
    data: Path, *, reduced: bool = False, covariates: Sequence[Covariates] = (), progress: Progress | None = None
) -> BacktestResult:
    """The Early Warning Project's protocol: onset in t+1 or t+2, walk-forward over training end-years."""
    table = read_ewp_predictors(data / "early_warning_project" / "prepared2024predictors-2025-09-03.csv.gz")
    table = table.rename(columns={"ccode": "ccode_"}).assign(unit=lambda f: f["ewp_name"], period=lambda f: f["year"])
    last_observed = int(table["year"].max())  # onsets are coded through this year
    bound, features = prepare(covariates, table, EWP_PREDICTORS)  # user covariates: Détente's model only
    spec = BinarySpec(target="mk_onset_1or2", features=features, lead=2)
    truth = table[table["year"] <= last_observed - 2][["unit", "period", "mk_onset_1or2"]]
    last_origin = last_observed - 2
    origins = list(range(2010, last_origin + 1, 4)) if reduced else list(range(1990, last_origin + 1))

    def panel_at(t: int) -> pd.DataFrame:
        frame = table[table["year"] <= t].copy()
        # an outcome for year s needs onsets in s+1 and s+2: unknown at t unless s <= t - 2
        frame.loc[frame["year"] > t - 2, "mk_onset_1or2"] = np.nan
        return frame

    def make() -> Sequence[BinaryModel]:
        return [ElasticNetLogit("ewp_elastic_net"), BoostClassifier("detente_gbm", calibration_periods=5)]

    chosen: list[dict[str, Any]] = []
    preds = walk_forward_binary(
        with_covariates(panel_at, bound),
        truth,
        origins,
        spec,
        base_only(make, EWP_PREDICTORS),
        tuning=chosen,
        progress=progress,
    )
    models = score_binary(preds, k=30)
    protocol = {
        "outcome": "mk_onset_1or2: onset of a state-led mass killing in t+1 or t+2 (Early Warning Project)",
        "origins": origins,
        "training": "country-years 1960..t-2 (outcome known by t); predictors as prepared by the project",
        "top_k": 30,
        "tuning": {**TUNING_PROTOCOL, "validation_periods": 5, "chosen": {"mk_onset_1or2": _tuning_summary(chosen)}},
    }
    tables = {"predictions": preds, "tuning": pd.DataFrame(chosen)}
    if bound:
        protocol["covariates"] = describe_covariates(bound)
    calibration = {"mk_onset_1or2": calibration_by_model(preds)}
    return BacktestResult("ewp-mass-killing", reduced, models, tables, protocol, calibration=calibration)


# -- ged-syria-monthly ------------------------------------------------------------------------------------------


def count_models(reduced: bool = False) -> Sequence[CountModel]:
    return [
        PointCountBaseline("zero", None),
        PointCountBaseline("last_value", "lag0"),
        PointCountBaseline("historical_average", "fat_mean_all"),
        EmpiricalCountBaseline("conflictology", tuple(f"lag{k}" for k in range(12))),
        HurdleBoost("detente_hurdle", n_estimators=80 if reduced else 200, folds=2 if reduced else 4),
    ]


def ged_syria_monthly(
    data: Path,
    *,
    reduced: bool = False,
    workspace: Path | None = None,
    covariates: Sequence[Covariates] = (),
    progress: Progress | None = None,
) -> BacktestResult:
    """Monthly fatalities, admin1-month and PRIO-GRID-month, horizons 1–3, ViEWS metrics."""
    with tempfile.TemporaryDirectory(prefix="detente-syria-") as tmp:
        panels: MonthlyPanels = syria_panels(data, Path(workspace) if workspace else Path(tmp))
        models: dict[str, dict[str, float]] = {}
        tables: dict[str, pd.DataFrame] = {}
        step = 8 if reduced else 1
        truths = {level: panels.at(level, panels.last) for level in ("admin1", "priogrid")}
        by_level = split_by_level(covariates, truths)
        used: list[dict[str, Any]] = []
        for level in ("admin1", "priogrid"):
            origins = list(range(panels.first + 12, panels.last, step))
            bound, features = prepare(by_level[level], truths[level], MONTHLY_FEATURES[level])
            used += [{**d, "level": level} for d in describe_covariates(bound)]
            spec = CountSpec(target="fatalities", features=features, samples=200 if reduced else 500)

            def panel_at(t: int, level: str = level) -> pd.DataFrame:
                return panels.at(level, t)

            def make() -> Sequence[CountModel]:
                return count_models(reduced)

            scores = walk_forward_counts(
                with_covariates(panel_at, bound),
                truths[level],
                origins,
                spec,
                base_only(make, MONTHLY_FEATURES[level]),
                progress=None if progress is None else _labelled(progress, level),
            )
            _merge(models, score_counts(scores, prefix=f"{level}_"))
            tables[f"scores_{level}"] = scores
        protocol = {
            "data": "UCDP GED Syria 2016-01..2019-11 (19.1 codebook), fatalities_best per unit-month",
            "levels": ["admin1", "priogrid"],
            "horizons": [1, 2, 3],
            "first_origin": panels.first + 12,
            "origin_step": step,
            "metrics": "CRPS, ignorance (ViEWS bins, +1 per category), 90% mean interval score",
        }
        if used:
            protocol["covariates"] = used
        alerts = monthly_alert_rates(truths, first_origin=panels.first + 12)  # every month, also when reduced
        return BacktestResult("ged-syria-monthly", reduced, models, tables, protocol, alerts)


CONFIGS: dict[str, Callable[..., BacktestResult]] = {
    "ucdp-country-year": ucdp_country_year,
    "ewp-mass-killing": ewp_mass_killing,
    "ged-syria-monthly": ged_syria_monthly,
}


def _labelled(progress: Progress, label: str) -> Progress:
    """The same progress, with the level in the label (``fatalities, admin1``)."""
    return lambda what, done, total: progress(f"{what}, {label}", done, total)


def run_backtest(
    name: str,
    data: Path | str,
    *,
    reduced: bool = False,
    covariates: Sequence[Covariates] = (),
    progress: Progress | None = None,
) -> BacktestResult:
    """Run the named configuration on the data folder; ``progress`` hears each origin (a bar in the CLI)."""
    try:
        func = CONFIGS[name]
    except KeyError as exc:
        raise UnknownConfigError(f"no backtest configuration {name!r}; known: {', '.join(CONFIGS)}") from exc
    return func(Path(data), reduced=reduced, covariates=covariates, progress=progress)
