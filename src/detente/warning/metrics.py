"""Scoring rules for binary and count forecasts. Pure functions over NumPy arrays.

Binary: AUROC, AUPR (average precision), Brier score, expected calibration error, recall in the top k, the
reliability table behind a reliability diagram, and the calibration table: the ten tenths of the probability scale,
the ten deciles of the forecasts and a bin of the highest 5 % of forecasts, each with its count, positives, mean
forecast, observed rate and the Wilson score interval of that rate (Wilson 1927, "Probable inference, the law of
succession, and statistical inference", JASA 22: ``(k + z²/2 ± z·sqrt(k(n-k)/n + z²/4)) / (n + z²)`` for k
successes in n trials).

Counts (predictive distributions given as samples): CRPS, the ignorance score and the mean interval score, as the
ViEWS 2023/24 prediction challenge defines them (Hegre et al., "The 2023/24 VIEWS Prediction challenge"):

- CRPS of an ensemble: ``E|X - y| - ½ E|X - X'|`` over the samples X, X' (the ``crps_ensemble`` estimator).
- Ignorance: ``-log2 p(bin of y)`` where samples and the observation are binned with the edges
  ``[0, 0.5, 2.5, 5.5, 10.5, 25.5, 50.5, 100.5, 250.5, 500.5, 1000.5]`` (values above the last edge form the last
  category), and one pseudo-sample is added to each of the 11 categories so that no probability is zero:
  ``p = (count_b + 1) / (n + 11)``.
- Interval score at level 1 - α (α = 0.1 for the 90 % interval), with l, u the α/2 and 1 - α/2 sample quantiles:
  ``(u - l) + (2/α)(l - y)·[y < l] + (2/α)(y - u)·[y > u]``; the mean over units is the MIS.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "VIEWS_BINS",
    "aupr",
    "auroc",
    "brier",
    "calibration_table",
    "crps_samples",
    "expected_calibration_error",
    "ignorance_samples",
    "interval_score_samples",
    "recall_at_k",
    "reliability_table",
    "top_bin",
    "wilson_interval",
]

FloatArray = npt.NDArray[np.float64]

#: bin edges of the ViEWS 2023/24 challenge ignorance score
VIEWS_BINS: tuple[float, ...] = (0.0, 0.5, 2.5, 5.5, 10.5, 25.5, 50.5, 100.5, 250.5, 500.5, 1000.5)


def _binary(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    ya = np.asarray(y, dtype=np.float64).ravel()
    pa = np.asarray(p, dtype=np.float64).ravel()
    if ya.shape != pa.shape:
        raise ValueError(f"outcomes and forecasts differ in length ({ya.size} vs {pa.size})")
    if not np.all((ya == 0) | (ya == 1)):
        raise ValueError("outcomes must be 0 or 1")
    return ya, pa


def auroc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann–Whitney with mid-ranks for ties); NaN when one class is absent."""
    ya, sa = _binary(y, score)
    pos = int(ya.sum())
    neg = ya.size - pos
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(sa, kind="mergesort")
    ranks = np.empty(sa.size, dtype=np.float64)
    sorted_s = sa[order]
    # mid-ranks for ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    mid = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mid, counts)
    return float((ranks[ya == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def aupr(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the precision–recall curve as average precision (ties share one threshold); NaN without positives."""
    ya, sa = _binary(y, score)
    pos = ya.sum()
    if pos == 0:
        return float("nan")
    order = np.argsort(-sa, kind="mergesort")
    s_sorted = sa[order]
    y_sorted = ya[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(1.0 - y_sorted)
    # keep the last index of each block of tied scores: one threshold per distinct score
    last = np.r_[np.nonzero(np.diff(s_sorted))[0], s_sorted.size - 1]
    tp_t, fp_t = tp[last], fp[last]
    precision = tp_t / (tp_t + fp_t)
    recall = tp_t / pos
    recall_prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - recall_prev) * precision))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared difference between probability and outcome."""
    ya, pa = _binary(y, p)
    return float(np.mean((pa - ya) ** 2)) if ya.size else float("nan")


def reliability_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> list[dict[str, float]]:
    """Equal-width probability bins: count, mean forecast and observed frequency per non-empty bin."""
    ya, pa = _binary(y, p)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(pa, edges[1:-1], right=True), 0, bins - 1)
    rows: list[dict[str, float]] = []
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append(
                {
                    "bin_low": float(edges[b]),
                    "bin_high": float(edges[b + 1]),
                    "count": float(m.sum()),
                    "mean_forecast": float(pa[m].mean()),
                    "observed_frequency": float(ya[m].mean()),
                }
            )
    return rows


def wilson_interval(k: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion, k successes in n trials (z = 1.96: 95 %); (NaN, NaN) when n = 0."""
    if n <= 0:
        return float("nan"), float("nan")
    if not 0 <= k <= n:
        raise ValueError(f"successes {k} outside 0..{n}")
    centre = k + z * z / 2.0
    half = z * np.sqrt(k * (n - k) / n + z * z / 4.0)
    low, high = (centre - half) / (n + z * z), (centre + half) / (n + z * z)
    # the rate k/n is inside in exact arithmetic; keep it so at the ends despite rounding
    return float(min(max(low, 0.0), k / n)), float(max(min(high, 1.0), k / n))


def top_bin(p: npt.ArrayLike, share: float = 0.05) -> npt.NDArray[np.bool_]:
    """Mask of the highest ``share`` of forecasts: ceil(share·n) rows (at least one), ties cut in input order."""
    pa = np.asarray(p, dtype=np.float64).ravel()
    if not 0 < share <= 1:
        raise ValueError(f"top share must be in (0, 1], not {share}")
    mask = np.zeros(pa.size, dtype=bool)
    if pa.size:
        k = max(1, int(np.ceil(share * pa.size - 1e-9)))
        mask[np.argsort(-pa, kind="mergesort")[:k]] = True
    return mask


def _bin_row(ya: FloatArray, pa: FloatArray, low: float, high: float, top_share: float, z: float) -> dict[str, float]:
    n, k = float(ya.size), float(ya.sum())
    lo, hi = wilson_interval(k, n, z)
    return {
        "bin_low": low,
        "bin_high": high,
        "top_share": top_share,
        "decile": 0.0,
        "count": n,
        "positives": k,
        "mean_forecast": float(pa.mean()),
        "observed_frequency": k / n,
        "interval_low": lo,
        "interval_high": hi,
    }


def calibration_table(
    y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10, top: float = 0.05, z: float = 1.959964
) -> list[dict[str, float]]:
    """Reliability per bin with counts and Wilson intervals, in three groups (each row's ``top_share`` and
    ``decile`` say which):

    - the non-empty equal-width bins of the probability scale (``top_share`` 0, ``decile`` 0; counts sum to n);
    - the deciles of the forecasts, ten equal-count groups in forecast order (``decile`` 1 = lowest … 10; counts
      sum to n; ``bin_low``/``bin_high`` are each group's lowest and highest forecast);
    - the highest ``top`` share of forecasts (``top_share`` = ``top``; ``bin_low``/``bin_high`` as for deciles).

    Empty input gives no rows."""
    ya, pa = _binary(y, p)
    if ya.size == 0:
        return []
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(pa, edges[1:-1], right=True), 0, bins - 1)
    rows = [
        _bin_row(ya[idx == b], pa[idx == b], float(edges[b]), float(edges[b + 1]), 0.0, z)
        for b in range(bins)
        if (idx == b).any()
    ]
    for d, group in enumerate(np.array_split(np.argsort(pa, kind="mergesort"), 10), start=1):
        if group.size:
            row = _bin_row(ya[group], pa[group], float(pa[group].min()), float(pa[group].max()), 0.0, z)
            rows.append({**row, "decile": float(d)})
    mask = top_bin(pa, top)
    rows.append(_bin_row(ya[mask], pa[mask], float(pa[mask].min()), float(pa[mask].max()), top, z))
    return rows


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Count-weighted mean |observed frequency - mean forecast| over equal-width bins."""
    ya, _ = _binary(y, p)
    if ya.size == 0:
        return float("nan")
    table = reliability_table(y, p, bins)
    return float(sum(r["count"] * abs(r["observed_frequency"] - r["mean_forecast"]) for r in table) / ya.size)


def recall_at_k(y: npt.ArrayLike, score: npt.ArrayLike, k: int) -> float:
    """Share of positives among the k highest scores (ties at the cut broken by order of appearance)."""
    ya, sa = _binary(y, score)
    pos = ya.sum()
    if pos == 0:
        return float("nan")
    top = np.argsort(-sa, kind="mergesort")[:k]
    return float(ya[top].sum() / pos)


def _samples(y: npt.ArrayLike, samples: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    ya = np.asarray(y, dtype=np.float64).ravel()
    sa = np.asarray(samples, dtype=np.float64)
    if sa.ndim == 1:
        sa = sa[:, None]
    if sa.shape[0] != ya.size:
        raise ValueError(f"samples have {sa.shape[0]} rows for {ya.size} outcomes")
    return ya, sa


def crps_samples(y: npt.ArrayLike, samples: npt.ArrayLike) -> FloatArray:
    """CRPS of each row of ``samples`` (units × draws) against ``y``; the ensemble estimator, exact for point masses."""
    ya, sa = _samples(y, samples)
    n = sa.shape[1]
    term1 = np.mean(np.abs(sa - ya[:, None]), axis=1)
    s = np.sort(sa, axis=1)
    # E|X - X'| = 2/n² Σ_i (2i - n - 1) x_(i), i = 1..n
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    term2 = (s * weights).sum(axis=1) * 2.0 / (n * n)
    out: FloatArray = term1 - 0.5 * term2
    return out


def _categories(x: FloatArray, edges: tuple[float, ...]) -> npt.NDArray[np.int64]:
    cats = np.digitize(x, np.asarray(edges), right=False) - 1
    return np.clip(cats, 0, len(edges) - 1).astype(np.int64)


def ignorance_samples(y: npt.ArrayLike, samples: npt.ArrayLike, edges: tuple[float, ...] = VIEWS_BINS) -> FloatArray:
    """Ignorance (bits) of each row of ``samples`` against ``y``, ViEWS binning with one pseudo-sample per category."""
    ya, sa = _samples(y, samples)
    if np.any(ya < 0) or np.any(sa < 0):
        raise ValueError("counts must be non-negative")
    k = len(edges)  # categories: one per edge interval, the last open above the last edge
    cats = _categories(sa, edges)
    obs = _categories(ya, edges)
    hits = (cats == obs[:, None]).sum(axis=1)
    prob = (hits + 1.0) / (sa.shape[1] + k)
    out: FloatArray = -np.log2(prob)
    return out


def interval_score_samples(y: npt.ArrayLike, samples: npt.ArrayLike, alpha: float = 0.1) -> FloatArray:
    """Interval score of the central (1 - alpha) interval of each row of ``samples``."""
    ya, sa = _samples(y, samples)
    low = np.quantile(sa, alpha / 2.0, axis=1)
    high = np.quantile(sa, 1.0 - alpha / 2.0, axis=1)
    out: FloatArray = (high - low) + (2.0 / alpha) * (low - ya) * (ya < low) + (2.0 / alpha) * (ya - high) * (ya > high)
    return out
