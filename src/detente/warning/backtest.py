"""Rolling-origin (walk-forward) backtests.

At origin t the panel is rebuilt from data dated ≤ t (``panel_at(t)``), the models are fitted on the rows whose
outcome is known by t and forecast the rows of period t. Outcomes of the test rows come from a separate ``truth``
frame and are used only for scoring. Nothing a model sees — features, windows, imputation, scaling, tuning,
calibration — is computed from data after t.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from detente.warning import metrics
from detente.warning.models import BinaryModel, CountModel

__all__ = [
    "BinarySpec",
    "CountSpec",
    "Progress",
    "calibration_by_model",
    "score_binary",
    "score_counts",
    "walk_forward_binary",
    "walk_forward_counts",
]

FloatArray = npt.NDArray[np.float64]
PanelAt = Callable[[int], pd.DataFrame]
#: told after each origin: (what is being backtested, origins done, origins in all) — the CLI draws a progress bar
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BinarySpec:
    """A binary outcome: ``target`` is the outcome column (NaN = not at risk / unknown), ``lead`` its delay.

    A row of period s has its outcome known at the end of period s + ``lead``; only such rows are trained on.
    """

    target: str
    features: tuple[str, ...]
    lead: int = 1


@dataclass(frozen=True)
class CountSpec:
    """A count outcome ``target`` forecast ``horizons`` periods ahead from ``features`` of the origin period."""

    target: str
    features: tuple[str, ...]
    horizons: tuple[int, ...] = (1, 2, 3)
    samples: int = 500
    min_train_periods: int = 6


def walk_forward_binary(
    panel_at: PanelAt,
    truth: pd.DataFrame,
    origins: Sequence[int],
    spec: BinarySpec,
    make_models: Callable[[], Sequence[BinaryModel]],
    *,
    tuning: list[dict[str, Any]] | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Predictions (``origin``, ``unit``, ``model``, ``p``, ``y``) for every origin and model.

    When ``tuning`` is a list, the settings each model chose inside its training window (its ``tuning`` record, for
    models that tune) are appended to it, one dict per origin and model with ``origin`` and ``model`` keys.
    """
    truth_y = truth.set_index(["unit", "period"])[spec.target]
    rows: list[pd.DataFrame] = []
    for done, t in enumerate(origins):
        if progress is not None:
            progress(spec.target, done, len(origins))
        panel = panel_at(t)
        train = panel[(panel["period"] <= t - spec.lead) & panel[spec.target].notna()]
        test = panel[panel["period"] == t]
        keys = pd.MultiIndex.from_arrays([test["unit"], test["period"]])
        y = truth_y.reindex(keys).to_numpy(dtype=np.float64)
        keep = ~np.isnan(y)
        test, y = test[keep], y[keep]
        if test.empty or train.empty:
            continue
        X, Xt = train[list(spec.features)], test[list(spec.features)]
        ytr = train[spec.target].to_numpy(dtype=np.float64)
        periods = train["period"].to_numpy(dtype=np.float64)
        for model in make_models():
            p = model.fit(X, ytr, periods).predict(Xt)
            record = getattr(model, "tuning", None)
            if tuning is not None and isinstance(record, dict) and record:
                tuning.append({"origin": t, "model": model.name, **record})
            rows.append(
                pd.DataFrame({"origin": t, "unit": test["unit"].to_numpy(), "model": model.name, "p": p, "y": y})
            )
    if progress is not None:
        progress(spec.target, len(origins), len(origins))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["origin", "unit", "model", "p", "y"])


def score_binary(predictions: pd.DataFrame, *, k: int, prefix: str = "") -> dict[str, dict[str, float]]:
    """Metrics per model: AUROC (pooled over origins, and the mean of each origin's), AUPR, Brier, ECE (10 bins),
    recall in the top k per origin, counts, and the highest 5 % of forecasts pooled over origins: their count, mean
    forecast, observed rate and the gap between."""
    out: dict[str, dict[str, float]] = {}
    for name, frame in predictions.groupby("model", sort=False):
        y, p = frame["y"].to_numpy(dtype=np.float64), frame["p"].to_numpy(dtype=np.float64)
        hits = 0.0
        per_origin: list[float] = []
        for _, f in frame.groupby("origin"):
            top = f.sort_values("p", ascending=False, kind="mergesort").head(k)
            hits += float(top["y"].sum())
            per_origin.append(metrics.auroc(f["y"].to_numpy(dtype=np.float64), f["p"].to_numpy(dtype=np.float64)))
        positives = float(y.sum())
        top5 = metrics.top_bin(p, 0.05) if y.size else np.zeros(0, dtype=bool)
        top_mean = float(p[top5].mean()) if top5.any() else float("nan")
        top_rate = float(y[top5].mean()) if top5.any() else float("nan")
        out[str(name)] = {
            f"{prefix}auroc": metrics.auroc(y, p),
            f"{prefix}auroc_mean_by_origin": float(np.nanmean(per_origin)) if np.isfinite(per_origin).any() else np.nan,
            f"{prefix}aupr": metrics.aupr(y, p),
            f"{prefix}brier": metrics.brier(y, p),
            f"{prefix}ece": metrics.expected_calibration_error(y, p),
            f"{prefix}recall_top{k}": hits / positives if positives else float("nan"),
            f"{prefix}positives_in_top{k}": hits,
            f"{prefix}positives": positives,
            f"{prefix}n": float(y.size),
            f"{prefix}top5pct_n": float(top5.sum()),
            f"{prefix}top5pct_mean_forecast": top_mean,
            f"{prefix}top5pct_observed": top_rate,
            f"{prefix}top5pct_gap": abs(top_mean - top_rate),
        }
    return out


def calibration_by_model(predictions: pd.DataFrame) -> dict[str, list[dict[str, float]]]:
    """The calibration table (tenths of the probability scale and the top 5 %, with counts and Wilson intervals) of
    each model's forecasts pooled over origins; see :func:`detente.warning.metrics.calibration_table`."""
    return {
        str(name): metrics.calibration_table(frame["y"].to_numpy(dtype=np.float64), frame["p"].to_numpy(np.float64))
        for name, frame in predictions.groupby("model", sort=False)
    }


def walk_forward_counts(
    panel_at: PanelAt,
    truth: pd.DataFrame,
    origins: Sequence[int],
    spec: CountSpec,
    make_models: Callable[[], Sequence[CountModel]],
    *,
    seed: int = 20240201,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Per-row scores (``origin``, ``horizon``, ``unit``, ``model``, ``y``, ``crps``, ``ignorance``, ``interval``,
    ``q05``, ``q50``, ``q95``) for every origin, horizon and model."""
    truth_y = truth.set_index(["unit", "period"])[spec.target]
    rows: list[pd.DataFrame] = []
    for done, t in enumerate(origins):
        if progress is not None:
            progress(spec.target, done, len(origins))
        panel = panel_at(t)
        target_by_key = panel.set_index(["unit", "period"])[spec.target]
        test = panel[panel["period"] == t]
        for h in spec.horizons:
            keys = pd.MultiIndex.from_arrays([test["unit"], test["period"] + h])
            y = truth_y.reindex(keys).to_numpy(dtype=np.float64)
            keep = ~np.isnan(y)
            if not keep.any():
                continue
            tst, yt = test[keep], y[keep]
            train = panel[panel["period"] <= t - h].copy()
            # the outcome of a training row is the target h periods later, read from the as-of-t panel
            ykeys = pd.MultiIndex.from_arrays([train["unit"], train["period"] + h])
            train["_y"] = target_by_key.reindex(ykeys).to_numpy(dtype=np.float64)
            train = train[train["_y"].notna()]
            if train["period"].nunique() < spec.min_train_periods:
                continue
            X, Xt = train[list(spec.features)], tst[list(spec.features)]
            ytr = train["_y"].to_numpy(dtype=np.float64)
            periods = train["period"].to_numpy(dtype=np.float64)
            for model in make_models():
                rng = np.random.default_rng([seed, t, h])
                draws = model.fit(X, ytr, periods).sample(Xt, spec.samples, rng)
                q = np.quantile(draws, [0.05, 0.5, 0.95], axis=1)
                rows.append(
                    pd.DataFrame(
                        {
                            "origin": t,
                            "horizon": h,
                            "unit": tst["unit"].to_numpy(),
                            "model": model.name,
                            "y": yt,
                            "crps": metrics.crps_samples(yt, draws),
                            "ignorance": metrics.ignorance_samples(yt, draws),
                            "interval": metrics.interval_score_samples(yt, draws, alpha=0.1),
                            "q05": q[0],
                            "q50": q[1],
                            "q95": q[2],
                        }
                    )
                )
    if progress is not None:
        progress(spec.target, len(origins), len(origins))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def score_counts(scores: pd.DataFrame, *, prefix: str = "") -> dict[str, dict[str, float]]:
    """Mean CRPS, ignorance and 90 % interval score per model, per horizon and over all horizons."""
    out: dict[str, dict[str, float]] = {}
    for name, frame in scores.groupby("model", sort=False):
        entry: dict[str, float] = {}
        for h, f in frame.groupby("horizon"):
            entry[f"{prefix}h{h}_crps"] = float(f["crps"].mean())
            entry[f"{prefix}h{h}_ignorance"] = float(f["ignorance"].mean())
            entry[f"{prefix}h{h}_mis90"] = float(f["interval"].mean())
        entry[f"{prefix}crps"] = float(frame["crps"].mean())
        entry[f"{prefix}ignorance"] = float(frame["ignorance"].mean())
        entry[f"{prefix}mis90"] = float(frame["interval"].mean())
        entry[f"{prefix}n"] = float(len(frame))
        out[str(name)] = entry
    return out
