"""Escalation alerts: a unit is flagged when its latest count exceeds what its own history predicts.

**Test.** For unit u and period t, fit a negative binomial to u's counts in the ``window`` periods before t by the
method of moments (mean m, variance v; dispersion r = m² / (v - m) when v > m, else a Poisson with mean m), with a
floor of ``min_mean`` on m so that a quiet history does not make one event alarming. The exceedance probability is
P(X ≥ x_t) under that distribution; an alert is raised when it is below ``alpha`` and x_t ≥ ``min_count``.
:func:`measure_rates` estimates the false-alarm rate (per unit-period, on stationary negative-binomial histories)
and the detection rate (on histories whose last period is multiplied by ``surge``) by simulation with a seeded
generator, so the threshold's behaviour is stated in numbers.

**Change levels** (Trendfinder-style, on the same history): ``surge`` (exceedance < alpha/10), ``sharp increase``
(< alpha), ``increase`` (x_t > the 75th percentile of the history), ``stable``, ``decrease`` (x_t < the 25th
percentile), ``none`` when the history and x_t are all zero.

Each alert carries the ids of the events behind the flagged count (largest fatalities first). A unit-period without
data (NaN in the panel: no source covered it, ADR 0030) neither alerts nor counts in a history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]

__all__ = ["Alert", "AlertRule", "change_level", "exceedance_probability", "measure_rates", "scan_panel"]


@dataclass(frozen=True)
class AlertRule:
    window: int = 12
    alpha: float = 0.01
    min_count: float = 5.0
    min_mean: float = 0.5


@dataclass(frozen=True)
class Alert:
    unit: str
    period: int
    value: float
    expected: float
    exceedance: float
    level: str
    events: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "period": self.period,
            "value": self.value,
            "expected": round(self.expected, 3),
            "exceedance_probability": float(f"{self.exceedance:.3g}"),
            "level": self.level,
            "events": list(self.events),
        }


def exceedance_probability(history: npt.ArrayLike, value: float, *, min_mean: float = 0.5) -> tuple[float, float]:
    """(P(X ≥ value), mean) under a method-of-moments negative binomial fitted to ``history``."""
    h = np.asarray(history, dtype=np.float64)
    m = max(float(h.mean()) if h.size else 0.0, min_mean)
    v = float(h.var(ddof=1)) if h.size > 1 else m
    k = int(np.ceil(value)) - 1
    if v > m:
        r = m * m / (v - m)
        p = r / (r + m)
        return float(stats.nbinom.sf(k, r, p)), m
    return float(stats.poisson.sf(k, m)), m


def change_level(history: npt.ArrayLike, value: float, exceedance: float, rule: AlertRule) -> str:
    h = np.asarray(history, dtype=np.float64)
    if value == 0 and not h.any():
        return "none"
    if value >= rule.min_count and exceedance < rule.alpha / 10:
        return "surge"
    if value >= rule.min_count and exceedance < rule.alpha:
        return "sharp increase"
    if value > np.quantile(h, 0.75):
        return "increase"
    if value < np.quantile(h, 0.25):
        return "decrease"
    return "stable"


def scan_panel(
    panel: pd.DataFrame,
    column: str,
    period: int,
    rule: AlertRule = AlertRule(),
    events: pd.DataFrame | None = None,
    max_events: int = 10,
) -> list[Alert]:
    """Change levels for every unit at ``period``; returns the units that alert (and all levels via ``level``).

    ``events`` (optional) has ``unit``, ``period``, ``event_id`` and ``fatalities_best`` columns; each alert cites
    the events of its unit-period that had deaths (most first): those behind the count, not the month's others.
    """
    out: list[Alert] = []
    for unit, frame in panel.groupby("unit", sort=True):
        hist = frame[(frame["period"] < period) & (frame["period"] >= period - rule.window)][column].to_numpy(float)
        hist = hist[~np.isnan(hist)]  # a month without data is not a quiet month: it is left out of the history
        now = frame.loc[frame["period"] == period, column]
        if now.empty or hist.size == 0 or np.isnan(float(now.iloc[0])):
            continue  # no data this month (or no history with data): no level, no alert
        value = float(now.iloc[0])
        exc, mean = exceedance_probability(hist, value, min_mean=rule.min_mean)
        level = change_level(hist, value, exc, rule)
        cited: tuple[str, ...] = ()
        if events is not None:
            ev = events[(events["unit"] == unit) & (events["period"] == period) & (events["fatalities_best"] > 0)]
            ev = ev.sort_values(["fatalities_best", "event_id"], ascending=[False, True]).head(max_events)
            cited = tuple(str(e) for e in ev["event_id"])
        out.append(Alert(str(unit), period, value, mean, exc, level, cited))
    return out


def measure_rates(
    rule: AlertRule,
    *,
    means: Sequence[float] = (1.0, 5.0, 20.0),
    dispersion: float = 1.0,
    surge: float = 3.0,
    trials: int = 2000,
    seed: int = 20240201,
) -> dict[str, float]:
    """False-alarm rate (stationary NB histories) and detection rate (last period × ``surge``), by simulation."""
    rng = np.random.default_rng(seed)
    false_alarms = detections = total = 0
    for mu in means:
        p = dispersion / (dispersion + mu)
        for _ in range(trials):
            series = rng.negative_binomial(dispersion, p, rule.window + 1).astype(float)
            hist, last = series[:-1], series[-1]
            exc, _ = exceedance_probability(hist, last, min_mean=rule.min_mean)
            false_alarms += int(last >= rule.min_count and exc < rule.alpha)
            surged = float(rng.negative_binomial(dispersion, dispersion / (dispersion + mu * surge)))
            exc2, _ = exceedance_probability(hist, surged, min_mean=rule.min_mean)
            detections += int(surged >= rule.min_count and exc2 < rule.alpha)
            total += 1
    return {"false_alarm_rate": false_alarms / total, "detection_rate": detections / total, "trials": float(total)}
