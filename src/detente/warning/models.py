"""Forecasting models: the named baselines, the Early Warning Project's elastic-net and Détente's own models.

Binary models expose ``fit(X, y)`` and ``predict(X)`` (probabilities). Count models expose ``fit(X, y)`` and
``sample(X, n, rng)`` (a units × draws array of non-negative integers), so every model is scored the same way.

Baselines are named as ViEWS names them. For annual binary outcomes: *zero* (p = 0), *last value* (1 when the
condition holds in the forecast year, else 0), *historical average* (the unit's frequency over all its observed years)
and *conflictology* (the unit's frequency over its last 10 years). For counts: *zero*, *last value* and *historical
average* (point masses at 0, the last observed value and the unit's mean) and *conflictology* (draws from the unit's
last 12 observed values).

Détente's binary model is gradient-boosted trees (LightGBM, the ``boost`` extra), tuned and calibrated out of time
inside the training window only: the tree settings are chosen from the fixed grid ``TREE_GRID`` × ``TREE_COUNTS`` by
the log loss on the window's most recent periods of trees fitted on its older periods; the calibrator (Platt, beta or
isotonic with a minimum bin, :mod:`detente.warning.calibration`) is chosen by a leave-one-period-out log loss on
out-of-time probabilities of those recent periods and of up to two earlier blocks of as many periods (each forecast
by trees of the chosen settings fitted on the periods before it) and fitted on them; then the trees are refitted on
all of it with the chosen settings (``DEFAULT_TREES`` when the recent periods hold too few positives to score the
grid). Its count model is a hurdle: a boosted classifier for P(y > 0) and a boosted regressor of log1p(y) on the
positive rows, with out-of-fold residuals giving the spread of the predictive distribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from detente.errors import MissingExtraError
from detente.warning.calibration import CALIBRATORS, Calibrator, choose_calibrator

__all__ = [
    "DEFAULT_TREES",
    "TREE_COUNTS",
    "TREE_GRID",
    "BinaryModel",
    "BoostClassifier",
    "ColumnBaseline",
    "ConstantBaseline",
    "CountModel",
    "ElasticNetLogit",
    "EmpiricalCountBaseline",
    "HurdleBoost",
    "PointCountBaseline",
    "TreeSettings",
    "load_lightgbm",
    "log_loss",
]

FloatArray = npt.NDArray[np.float64]


def load_lightgbm() -> Any:
    """Import LightGBM, or fail with the install hint."""
    try:
        import lightgbm
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        raise MissingExtraError("Détente's forecasting model needs LightGBM: pip install 'detente[boost]'") from exc
    return lightgbm


class BinaryModel(Protocol):
    name: str

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> BinaryModel: ...

    def predict(self, X: pd.DataFrame) -> FloatArray: ...


class CountModel(Protocol):
    name: str

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> CountModel: ...

    def sample(self, X: pd.DataFrame, n: int, rng: np.random.Generator) -> FloatArray: ...


@dataclass
class ConstantBaseline:
    """p = value for every unit (``zero`` with value 0)."""

    name: str = "zero"
    value: float = 0.0

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> ConstantBaseline:
        return self

    def predict(self, X: pd.DataFrame) -> FloatArray:
        return np.full(len(X), self.value, dtype=np.float64)


@dataclass
class ColumnBaseline:
    """The forecast is one feature column (already a probability or 0/1); missing values count as 0."""

    name: str
    column: str

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> ColumnBaseline:
        return self

    def predict(self, X: pd.DataFrame) -> FloatArray:
        out: FloatArray = np.clip(X[self.column].fillna(0.0).to_numpy(dtype=np.float64), 0.0, 1.0)
        return out


@dataclass(frozen=True)
class TreeSettings:
    """The tree settings Détente's classifier tunes: leaves per tree, minimum rows per leaf, number of trees."""

    num_leaves: int
    min_child_samples: int
    n_estimators: int

    def as_dict(self) -> dict[str, int]:
        return {
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "n_estimators": self.n_estimators,
        }


#: The a-priori grid of tree shapes (leaves, minimum rows per leaf), fixed before any backtest was run with it.
#: Country-year and EWP training windows hold a few thousand rows and a few dozen to a few hundred positives, so the
#: grid stays on the shallow, well-regularised side: stumps-with-one-interaction up to 15 leaves.
TREE_GRID: tuple[tuple[int, int], ...] = ((3, 50), (3, 20), (7, 50), (7, 20), (15, 50), (15, 20))
#: Tree counts scored for every shape (read off one fit by truncating the ensemble; learning rate 0.03).
TREE_COUNTS: tuple[int, ...] = (100, 200, 400)
#: Used when the inner validation split has too few positives (or negatives) to score the grid.
DEFAULT_TREES = TreeSettings(num_leaves=7, min_child_samples=50, n_estimators=200)


def log_loss(y: FloatArray, p: FloatArray) -> float:
    """Mean negative log-likelihood of 0/1 outcomes ``y`` under probabilities ``p`` (clipped to [1e-6, 1 - 1e-6])."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


@dataclass
class BoostClassifier:
    """Gradient-boosted trees, tuned and calibrated inside the training window (see the module docstring).

    ``fit`` splits the rows it is given by period: the last ``calibration_periods`` periods are the validation part,
    the older ones the fitting part. Every shape of ``grid`` is fitted on the older part and scored, at every count of
    ``tree_counts``, by the log loss of its raw probabilities on the validation part; the lowest wins (ties go to the
    earlier, simpler setting). The calibrator is chosen among ``calibrators`` and fitted on out-of-time
    probabilities: the winner's on the validation part, and those of up to ``calibration_blocks`` − 1 earlier blocks
    of ``calibration_periods`` periods, each from trees with the winning settings fitted on the periods before the
    block (:meth:`_earlier_blocks`; each period held out in turn,
    :func:`~detente.warning.calibration.choose_calibrator`). The trees are then refitted on all rows with the
    winning settings. When either part has fewer than ``min_positives`` positives or negatives,
    ``default`` is used instead (and calibrated as before when both parts hold both classes). Nothing but the rows
    passed to ``fit`` is looked at. ``tuning`` records what was chosen and why.
    """

    name: str = "detente_gbm"
    learning_rate: float = 0.03
    calibration_periods: int = 3
    grid: tuple[tuple[int, int], ...] = TREE_GRID
    tree_counts: tuple[int, ...] = TREE_COUNTS
    default: TreeSettings = DEFAULT_TREES
    min_positives: int = 5
    seed: int = 20240201
    features: list[str] = field(default_factory=list)
    tuning: dict[str, Any] = field(default_factory=dict)
    calibrators: tuple[str, ...] = CALIBRATORS
    calibration_blocks: int = 3
    _booster: Any = None
    _calibrator: Calibrator = field(default_factory=Calibrator)
    #: the raw validation probabilities, outcomes and periods the calibrator was chosen and fitted on
    validation: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def _new(self, settings: TreeSettings) -> Any:
        lgb = load_lightgbm()
        return lgb.LGBMClassifier(
            n_estimators=settings.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=settings.num_leaves,
            min_child_samples=settings.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            reg_lambda=1.0,
            random_state=self.seed,
            n_jobs=1,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )

    def _select(
        self, X: pd.DataFrame, y: FloatArray, early: npt.NDArray[np.bool_], late: npt.NDArray[np.bool_]
    ) -> tuple[TreeSettings, FloatArray, float]:
        """The grid setting with the lowest validation log loss, its validation probabilities and that loss."""
        best: tuple[TreeSettings, FloatArray, float] | None = None
        most = max(self.tree_counts)
        for leaves, min_child in self.grid:
            model = self._new(TreeSettings(leaves, min_child, most)).fit(X[early], y[early])
            for count in self.tree_counts:
                p: FloatArray = model.predict_proba(X[late], num_iteration=count)[:, 1]
                loss = log_loss(y[late], p)
                if best is None or loss < best[2]:
                    best = (TreeSettings(leaves, min_child, count), p, loss)
        assert best is not None
        return best

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> BoostClassifier:
        self.features = list(X.columns)
        self._calibrator, self.validation = Calibrator(), None
        calibration: dict[str, Any] = {"calibrator": "identity", "calibration_reason": "no validation split"}
        settings, reason, loss = self.default, "no validation split", float("nan")
        cut = np.unique(periods)
        val_pos = 0
        if len(np.unique(y)) < 2:
            reason = "one class only"
        elif self.calibration_periods and cut.size > self.calibration_periods + 3:
            split = cut[-self.calibration_periods]
            early, late = periods < split, periods >= split
            val_pos = int(y[late].sum())
            fewest = min(y[early].sum(), (1 - y[early]).sum(), y[late].sum(), (1 - y[late]).sum())
            if self.grid and self.tree_counts and fewest >= self.min_positives:
                settings, p_late, loss = self._select(X, y, early, late)
                reason = "lowest validation log loss"
                calibration = self._calibrate(*self._earlier_blocks(X, y, periods, settings, (p_late, late)))
            else:
                reason = "grid disabled" if not (self.grid and self.tree_counts) else "too few validation positives"
                if len(np.unique(y[early])) == 2 and len(np.unique(y[late])) == 2:
                    m = self._new(settings).fit(X[early], y[early])
                    last = (m.predict_proba(X[late])[:, 1], late)
                    calibration = self._calibrate(*self._earlier_blocks(X, y, periods, settings, last))
        self.tuning = {
            **settings.as_dict(),
            "tuned": reason == "lowest validation log loss",
            "reason": reason,
            "validation_logloss": loss,
            "validation_positives": val_pos,
            **calibration,
        }
        if reason == "one class only":
            self._booster = float(y.mean()) if y.size else 0.0
        else:
            self._booster = self._new(settings).fit(X, y)
        return self

    def _earlier_blocks(
        self,
        X: pd.DataFrame,
        y: FloatArray,
        periods: FloatArray,
        settings: TreeSettings,
        last: tuple[FloatArray, npt.NDArray[np.bool_]],
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Out-of-time probabilities for the calibrator: the validation block's, and those of up to
        ``calibration_blocks`` − 1 earlier blocks of ``calibration_periods`` periods, each forecast by trees of the
        chosen settings fitted on the periods before it (a block is used when at least 4 periods precede it and
        they hold both classes)."""
        cut = np.unique(periods)
        k = self.calibration_periods
        scores, masks = [last[0]], [last[1]]
        for b in range(1, self.calibration_blocks):
            if cut.size < (b + 1) * k + 4:
                break
            lo, hi = cut[-(b + 1) * k], cut[-b * k]
            before, block = periods < lo, (periods >= lo) & (periods < hi)
            if len(np.unique(y[before])) < 2:
                break
            scores.append(self._new(settings).fit(X[before], y[before]).predict_proba(X[block])[:, 1])
            masks.append(block)
        p = np.concatenate(scores[::-1])
        rows = np.concatenate([np.flatnonzero(m) for m in masks[::-1]])
        return p, y[rows], periods[rows]

    def _calibrate(self, p: FloatArray, y: FloatArray, periods: FloatArray) -> dict[str, Any]:
        self.validation = (np.asarray(p, dtype=np.float64), y, periods)
        self._calibrator, record = choose_calibrator(p, y, periods, kinds=self.calibrators)
        return record

    def raw(self, X: pd.DataFrame) -> FloatArray:
        if isinstance(self._booster, float):
            return np.full(len(X), self._booster)
        out: FloatArray = self._booster.predict_proba(X[self.features])[:, 1]
        return out

    def predict(self, X: pd.DataFrame) -> FloatArray:
        return self._calibrator.apply(self.raw(X))

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """TreeSHAP contributions of each feature to the uncalibrated log-odds (LightGBM ``pred_contrib``)."""
        if isinstance(self._booster, float):
            return pd.DataFrame(0.0, index=X.index, columns=self.features)
        values = self._booster.predict(X[self.features], pred_contrib=True)
        return pd.DataFrame(np.asarray(values)[:, :-1], index=X.index, columns=self.features)


@dataclass
class ElasticNetLogit:
    """Elastic-net logistic regression (α = 0.5 mixing, as the Early Warning Project's glmnet model), re-estimated.

    Predictors are median-imputed and standardised with statistics of the training rows only; the penalty strength is
    chosen by 5-fold cross-validated log-loss within the training rows (as ``cv.glmnet`` does).
    """

    name: str = "ewp_elastic_net"
    l1_ratio: float = 0.5
    cs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)
    seed: int = 20240201
    _model: Any = None
    _median: pd.Series | None = None
    _mean: pd.Series | None = None
    _std: pd.Series | None = None

    def _prep(self, X: pd.DataFrame) -> FloatArray:
        assert self._median is not None and self._mean is not None and self._std is not None
        Z = (X.fillna(self._median) - self._mean) / self._std
        return Z.to_numpy(dtype=np.float64)

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> ElasticNetLogit:
        import warnings

        from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
        from sklearn.linear_model import LogisticRegressionCV  # type: ignore[import-untyped]
        from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

        self._median = X.median()
        filled = X.fillna(self._median)
        self._mean = filled.mean()
        self._std = filled.std().replace(0.0, 1.0).fillna(1.0)
        model = LogisticRegressionCV(
            Cs=list(self.cs),
            l1_ratios=(self.l1_ratio,),
            solver="saga",
            cv=StratifiedKFold(5, shuffle=True, random_state=self.seed),
            scoring="neg_log_loss",
            max_iter=300,
            tol=1e-3,
            random_state=self.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            model.fit(self._prep(X), y)
        self._model = model
        return self

    def predict(self, X: pd.DataFrame) -> FloatArray:
        out: FloatArray = self._model.predict_proba(self._prep(X))[:, 1]
        return out


@dataclass
class PointCountBaseline:
    """A point mass at a feature column (``zero`` when ``column`` is None)."""

    name: str
    column: str | None = None

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> PointCountBaseline:
        return self

    def sample(self, X: pd.DataFrame, n: int, rng: np.random.Generator) -> FloatArray:
        values = np.zeros(len(X)) if self.column is None else X[self.column].fillna(0.0).to_numpy(dtype=np.float64)
        return np.repeat(values[:, None], n, axis=1)


@dataclass
class EmpiricalCountBaseline:
    """Draws spread evenly over the unit's last values (columns ``columns``, e.g. lags 0..11: conflictology)."""

    name: str
    columns: tuple[str, ...]

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> EmpiricalCountBaseline:
        return self

    def sample(self, X: pd.DataFrame, n: int, rng: np.random.Generator) -> FloatArray:
        values = X[list(self.columns)].to_numpy(dtype=np.float64)
        out = np.empty((len(X), n))
        for i, row in enumerate(values):
            seen = row[~np.isnan(row)]
            if seen.size == 0:
                out[i] = 0.0
            else:
                out[i] = np.resize(np.sort(seen), n)
        return out


@dataclass
class HurdleBoost:
    """Hurdle model for counts: boosted P(y > 0) × boosted log1p(y | y > 0) with out-of-fold residuals."""

    name: str = "detente_hurdle"
    n_estimators: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 20
    folds: int = 4
    seed: int = 20240201
    features: list[str] = field(default_factory=list)
    _clf: Any = None
    _reg: Any = None
    _resid: FloatArray = field(default_factory=lambda: np.zeros(1))
    _p_const: float | None = None

    def _params(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "subsample": 0.8,
            "subsample_freq": 1,
            "colsample_bytree": 0.8,
            "random_state": self.seed,
            "n_jobs": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> HurdleBoost:
        lgb = load_lightgbm()
        self.features = list(X.columns)
        pos = y > 0
        if len(np.unique(pos)) < 2:
            self._p_const = float(pos.mean()) if y.size else 0.0
            self._clf = None
        else:
            self._p_const = None
            self._clf = lgb.LGBMClassifier(**self._params()).fit(X, pos.astype(int))
        if pos.sum() >= 10:
            Xp, yp = X[pos], np.log1p(y[pos])
            self._reg = lgb.LGBMRegressor(**self._params()).fit(Xp, yp)
            # out-of-fold residuals (folds by period blocks, inside the training window)
            blocks = np.unique(periods[pos])
            folds = np.array_split(blocks, min(self.folds, blocks.size))
            resid: list[FloatArray] = []
            for fold in folds:
                test = np.isin(periods[pos], fold)
                if test.all() or not test.any():
                    continue
                m = lgb.LGBMRegressor(**self._params()).fit(Xp[~test], yp[~test])
                resid.append(yp[test] - m.predict(Xp[test]))
            self._resid = np.concatenate(resid) if resid else yp - self._reg.predict(Xp)
        else:
            self._reg = float(np.log1p(y[pos]).mean()) if pos.any() else 0.0
            self._resid = np.zeros(1)
        return self

    def prob_positive(self, X: pd.DataFrame) -> FloatArray:
        if self._clf is None:
            return np.full(len(X), self._p_const or 0.0)
        out: FloatArray = self._clf.predict_proba(X[self.features])[:, 1]
        return out

    def sample(self, X: pd.DataFrame, n: int, rng: np.random.Generator) -> FloatArray:
        p = self.prob_positive(X)
        mu = np.full(len(X), self._reg) if isinstance(self._reg, float) else self._reg.predict(X[self.features])
        # stratified draws: the same quantiles of the residuals for every unit, Bernoulli via sorted uniforms
        u = (np.arange(n) + 0.5) / n
        resid_q = np.quantile(self._resid, u)
        positive = np.maximum(np.rint(np.expm1(mu[:, None] + resid_q[None, :])), 1.0)
        gate = rng.random((len(X), n)) < p[:, None]
        out: FloatArray = np.where(gate, positive, 0.0)
        return out
