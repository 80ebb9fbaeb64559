"""Recalibration of a classifier's raw probabilities, and the choice of the calibrator out of sample.

Three calibrators map a raw probability s to a calibrated one, each fitted on validation rows (s, y):

- ``platt``: logistic regression of y on logit(s) (Platt 1999, "Probabilistic outputs for support vector machines").
- ``beta``: logistic regression of y on [ln s, −ln(1 − s)], the three-parameter beta calibration of Kull, Silva Filho
  & Flach (2017, "Beyond sigmoids: how to obtain well-calibrated probabilities from binary classifiers with beta
  calibration", Electronic Journal of Statistics 11). As the paper prescribes, a negative coefficient (which would
  make the map non-monotone) is dropped and the model refitted on the other feature.
- ``isotonic``: isotonic regression (scikit-learn ``IsotonicRegression``, pool-adjacent-violators) on bins of
  consecutive validation rows in score order, each bin's rate taken as the posterior mean under a Jeffreys
  Beta(½, ½) prior, (k + ½)/(n + 1), so that no bin says 0 or 1; between bin centres the map is linear, outside them
  it is constant. A bin holds at least ``min_bin`` rows and at least as many as hold ``BIN_POSITIVES`` positives at
  the rows' overall rate (n·5/k rows for k positives in n), the rule of thumb that a binned rate needs about five
  expected events (Cochran 1954, "Some methods for strengthening the common χ² tests", Biometrics 10). So the top
  bin averages many rows, not the few highest scores, and a rare outcome gets few, wide bins. The map is mixed with
  ``TIE_BREAK`` (0.1 %) of the raw score, q = (1 − δ)·iso(s) + δ·s, so that it is strictly increasing: forecasts
  that share a bin keep the order of their raw scores (a flat map would tie them and scramble any top-k list).

:func:`choose_calibrator` picks one by cross-fitting over the validation periods: each period in turn is held out,
every calibrator is fitted on the other periods and scored by the log loss on the held-out one; the lowest pooled
loss wins (ties go to the simpler, in the order above), and the winner is refitted on all validation rows. No row is
scored by a calibrator fitted on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "BIN_POSITIVES",
    "CALIBRATORS",
    "ISOTONIC_MIN_BIN",
    "TIE_BREAK",
    "Calibrator",
    "choose_calibrator",
    "fit_calibrator",
]

FloatArray = npt.NDArray[np.float64]

#: the calibrators, simplest first (ties in the cross-fitted score go to the earlier)
CALIBRATORS: tuple[str, ...] = ("platt", "beta", "isotonic")
#: the fewest validation rows an isotonic bin may hold
ISOTONIC_MIN_BIN = 40
#: an isotonic bin holds at least as many rows as carry this many positives at the overall rate
BIN_POSITIVES = 5
#: the share of the raw score mixed into the isotonic map to keep it strictly increasing
TIE_BREAK = 1e-3
_EPS = 1e-6


def _clip(p: npt.ArrayLike) -> FloatArray:
    out: FloatArray = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return out


def _logistic(features: FloatArray, y: FloatArray) -> tuple[FloatArray, float]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(features, y)
    return np.asarray(lr.coef_[0], dtype=np.float64), float(lr.intercept_[0])


def _beta_features(s: FloatArray) -> FloatArray:
    q = _clip(s)
    return np.column_stack([np.log(q), -np.log(1 - q)])


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from raw to calibrated probabilities. ``identity`` when the rows held one class only."""

    kind: str = "identity"
    coef: tuple[float, ...] = ()
    intercept: float = 0.0
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def apply(self, s: npt.ArrayLike) -> FloatArray:
        q = _clip(s)
        if self.kind == "platt":
            z = self.coef[0] * np.log(q / (1 - q)) + self.intercept
        elif self.kind == "beta":
            z = _beta_features(q) @ np.asarray(self.coef) + self.intercept
        elif self.kind == "isotonic":
            iso = np.interp(q, np.asarray(self.knots_x), np.asarray(self.knots_y))
            out: FloatArray = (1 - TIE_BREAK) * iso + TIE_BREAK * q
            return out
        else:
            return q
        res: FloatArray = 1.0 / (1.0 + np.exp(-z))
        return res


def _fit_isotonic(s: FloatArray, y: FloatArray, min_bin: int) -> Calibrator:
    from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]

    size = max(min_bin, int(np.ceil(BIN_POSITIVES * s.size / max(float(y.sum()), 1.0))), 1)
    order = np.argsort(s, kind="mergesort")
    groups = np.array_split(order, max(1, s.size // size))
    x = np.array([s[g].mean() for g in groups])
    n = np.array([float(g.size) for g in groups])
    rate = np.array([(y[g].sum() + 0.5) / (g.size + 1.0) for g in groups])
    iso = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(x, rate, sample_weight=n)
    fitted = np.asarray(iso.predict(x), dtype=np.float64)
    # equal bin means (ties in the scores) would make np.interp ambiguous: keep the first of each
    x_u, first = np.unique(x, return_index=True)
    return Calibrator("isotonic", knots_x=tuple(map(float, x_u)), knots_y=tuple(map(float, fitted[first])))


def fit_calibrator(kind: str, s: npt.ArrayLike, y: npt.ArrayLike, *, min_bin: int = ISOTONIC_MIN_BIN) -> Calibrator:
    """Fit the calibrator ``kind`` (one of :data:`CALIBRATORS`) on raw probabilities ``s`` and 0/1 outcomes ``y``."""
    sa, ya = _clip(s).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if kind not in CALIBRATORS:
        raise ValueError(f"unknown calibrator {kind!r}; known: {', '.join(CALIBRATORS)}")
    if sa.size != ya.size:
        raise ValueError(f"scores and outcomes differ in length ({sa.size} vs {ya.size})")
    if np.unique(ya).size < 2:
        return Calibrator()
    if kind == "platt":
        coef, b = _logistic(np.log(sa / (1 - sa)).reshape(-1, 1), ya)
        return Calibrator("platt", (float(coef[0]),), b)
    if kind == "beta":
        feats = _beta_features(sa)
        coef, b = _logistic(feats, ya)
        if coef[0] < 0 or coef[1] < 0:  # keep the map monotone: refit on the feature whose coefficient is positive
            keep = 1 if coef[0] < 0 else 0
            one, b = _logistic(feats[:, [keep]], ya)
            coef = np.zeros(2)
            coef[keep] = max(float(one[0]), 0.0)
        return Calibrator("beta", (float(coef[0]), float(coef[1])), b)
    return _fit_isotonic(sa, ya, min_bin)


def _log_loss(y: FloatArray, p: FloatArray) -> float:
    q = _clip(p)
    return float(-np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)))


def choose_calibrator(
    s: npt.ArrayLike,
    y: npt.ArrayLike,
    periods: npt.ArrayLike,
    *,
    kinds: tuple[str, ...] = CALIBRATORS,
    min_bin: int = ISOTONIC_MIN_BIN,
) -> tuple[Calibrator, dict[str, Any]]:
    """The calibrator with the lowest leave-one-period-out log loss on (``s``, ``y``), refitted on all rows, and the
    record of the choice (``calibrator``, ``calibration_logloss`` per kind: the mean held-out loss per row)."""
    sa, ya, pa = _clip(s).ravel(), np.asarray(y, dtype=np.float64).ravel(), np.asarray(periods).ravel()
    if not kinds:
        raise ValueError("no calibrator to choose from")
    folds = np.unique(pa)
    losses: dict[str, float] = {}
    if folds.size >= 2 and np.unique(ya).size == 2:
        for kind in kinds:
            total = 0.0
            for v in folds:
                out = pa == v
                total += _log_loss(ya[out], fit_calibrator(kind, sa[~out], ya[~out], min_bin=min_bin).apply(sa[out]))
            losses[kind] = total / sa.size
        best = min(kinds, key=lambda k: (losses[k], kinds.index(k)))
        reason = "lowest leave-one-period-out log loss"
    else:
        best = kinds[0]
        reason = "fewer than two validation periods or one class: first calibrator"
    chosen = fit_calibrator(best, sa, ya, min_bin=min_bin)
    record = {
        "calibrator": chosen.kind,
        "calibration_reason": reason,
        "calibration_logloss": {k: round(v, 6) for k, v in losses.items()},
    }
    return chosen, record
