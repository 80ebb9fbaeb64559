"""How well the escalation alerts warn, measured walk-forward on real data.

**The event to detect** (fixed before looking at results): unit u *escalates* in month s when its fatalities in s
are at least ``min_deaths`` (5) and above the ``quantile`` (90th percentile) of its own monthly fatalities in all
earlier months of the panel, given at least ``min_history`` (12) earlier months. The threshold is thus known at the
end of s - 1; the event is observed at the end of s.

**The warning.** At each origin month t the alert test of :mod:`detente.warning.alerts` (negative-binomial
exceedance of month t against the unit's previous ``window`` months) is run on the panel as of t; a unit is alerted
when its exceedance probability is below ``alpha`` and its count is at least ``min_count`` — the levels *surge* and
*sharp increase*. The alert at t is scored against the escalation event in t + 1.

**Rates** over all scored unit-months (a unit-month is scored when its event in t + 1 is defined and observed):
detection rate = alerted escalations / escalations; false-alarm rate = alerts before no escalation / unit-months
without escalation; precision = alerts followed by an escalation / alerts. **Lead time**: an escalation *episode*
starts in month s when u escalates in s and not in s - 1; it is *warned* when an alert was raised in one of the
``lookahead`` (3) months before s, and its lead time is s minus the earliest such alert month.
:func:`alert_rates` reports these at the stated threshold and for a range of thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from detente.warning.alerts import AlertRule, scan_panel

__all__ = ["ALPHAS", "EscalationEvent", "alert_rates", "escalations", "monthly_alert_rates", "scan_origins"]

#: the thresholds of the table (the stated one, ``AlertRule().alpha``, is among them)
ALPHAS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class EscalationEvent:
    quantile: float = 0.9
    min_deaths: float = 5.0
    min_history: int = 12
    lookahead: int = 3

    def describe(self) -> str:
        return (
            f"fatalities in month s >= {self.min_deaths:g} and above the {self.quantile:.0%} quantile of the unit's "
            f"own months before s (at least {self.min_history} of them); the alert at t is scored against s = t + 1"
        )


def escalations(panel: pd.DataFrame, column: str, event: EscalationEvent = EscalationEvent()) -> pd.DataFrame:
    """``unit``, ``period``, ``escalation`` (1.0/0.0, NaN when fewer than ``min_history`` earlier months)."""
    frame = panel[["unit", "period", column]].sort_values(["unit", "period"], kind="mergesort")
    grouped = frame.groupby("unit", sort=False)[column]
    before = grouped.transform(lambda s: s.expanding().quantile(event.quantile).shift(1))
    seen = grouped.cumcount()
    value = frame[column]
    hit = ((value >= event.min_deaths) & (value > before)).astype("float64")
    out = frame[["unit", "period"]].copy()
    out["escalation"] = hit.where(seen >= event.min_history)
    return out.reset_index(drop=True)


def scan_origins(
    panel_at: Callable[[int], pd.DataFrame], origins: Sequence[int], column: str, rule: AlertRule
) -> pd.DataFrame:
    """The alert test at every origin on the panel as of that origin: ``origin``, ``unit``, ``value``,
    ``expected``, ``exceedance``, ``level``."""
    rows: list[dict[str, Any]] = []
    for t in origins:
        for a in scan_panel(panel_at(t), column, t, rule):
            rows.append(
                {
                    "origin": t,
                    "unit": a.unit,
                    "value": a.value,
                    "expected": a.expected,
                    "exceedance": a.exceedance,
                    "level": a.level,
                }
            )
    return pd.DataFrame(rows, columns=["origin", "unit", "value", "expected", "exceedance", "level"])


def _rates(scored: pd.DataFrame, alert: pd.Series, event: EscalationEvent) -> dict[str, float | None]:
    y = scored["escalation"].to_numpy(dtype=bool)
    a = alert.to_numpy(dtype=bool)
    tp, fp = int((a & y).sum()), int((a & ~y).sum())
    fn, tn = int((~a & y).sum()), int((~a & ~y).sum())
    # episodes: escalation onsets, warned by an alert in the lookahead months before them
    alerted = set(zip(scored.loc[a, "unit"], scored.loc[a, "origin"], strict=True))
    leads: list[int] = []
    onsets = scored[scored["escalation"] == 1.0]
    previous = set(zip(onsets["unit"], onsets["origin"] + 1, strict=True))
    episodes = 0
    for unit, origin in zip(onsets["unit"], onsets["origin"], strict=True):
        s = int(origin) + 1
        if (unit, s - 1) in previous:
            continue  # the escalation goes on; not a new episode
        episodes += 1
        before = [t for t in range(s - event.lookahead, s) if (unit, t) in alerted]
        if before:
            leads.append(s - min(before))

    def ratio(num: int, den: int) -> float | None:
        return round(num / den, 6) if den else None

    return {
        "alerts": float(tp + fp),
        "escalations": float(tp + fn),
        "unit_months": float(len(scored)),
        "detection_rate": ratio(tp, tp + fn),
        "false_alarm_rate": ratio(fp, fp + tn),
        "precision": ratio(tp, tp + fp),
        "episodes": float(episodes),
        "episodes_warned": float(len(leads)),
        "episode_detection_rate": ratio(len(leads), episodes),
        "lead_time_mean": round(float(np.mean(leads)), 3) if leads else None,
        "lead_time_median": float(np.median(leads)) if leads else None,
    }


def alert_rates(
    scans: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    column: str = "fatalities",
    rule: AlertRule = AlertRule(),
    event: EscalationEvent = EscalationEvent(),
    alphas: Sequence[float] = ALPHAS,
) -> dict[str, Any]:
    """Detection and false-alarm rates, precision and lead time of the alerts in ``scans`` (from
    :func:`scan_origins`) against the escalations of ``truth`` (the panel as of the last month, for scoring only)."""
    esc = escalations(truth, column, event)
    target = esc.assign(origin=esc["period"] - 1)[["unit", "origin", "escalation"]]
    scored = scans.merge(target, on=["unit", "origin"], how="inner")
    scored = scored[scored["escalation"].notna()].reset_index(drop=True)

    def alerted(alpha: float) -> pd.Series:
        return (scored["value"] >= rule.min_count) & (scored["exceedance"] < alpha)

    table = [{"alpha": alpha, **_rates(scored, alerted(alpha), event)} for alpha in sorted({*alphas, rule.alpha})]
    stated = next(row for row in table if row["alpha"] == rule.alpha)
    origins = sorted(int(o) for o in scored["origin"].unique())
    return {
        "rule": {
            "test": "negative-binomial exceedance vs. the unit's previous months (method of moments)",
            **asdict(rule),
        },
        "event": event.describe(),
        "lookahead_months": event.lookahead,
        "origins": [origins[0], origins[-1]] if origins else [],
        "units": int(scored["unit"].nunique()),
        "base_rate": round(float(scored["escalation"].mean()), 6) if len(scored) else None,
        "at_threshold": stated,
        "thresholds": table,
    }


def monthly_alert_rates(
    truth_by_level: dict[str, pd.DataFrame],
    *,
    first_origin: int,
    rule: AlertRule = AlertRule(),
    event: EscalationEvent = EscalationEvent(),
) -> dict[str, Any]:
    """The alert rates of each level, walking forward month by month from ``first_origin`` to the month before the
    last. The panel as of origin t is ``truth`` cut at t: a unit-month's fatalities come from the events dated in
    that month only, so the cut equals the panel rebuilt from the events dated ≤ t (``tests/warning`` checks it)."""
    from detente.warning.panels import month_label

    out: dict[str, Any] = {}
    for level, truth in truth_by_level.items():
        last = int(truth["period"].max())

        def cut(t: int, truth: pd.DataFrame = truth) -> pd.DataFrame:
            return truth[truth["period"] <= t]

        scans = scan_origins(cut, range(first_origin, last), "fatalities", rule)
        doc = alert_rates(scans, truth, rule=rule, event=event)
        doc["origins"] = [month_label(o) for o in doc["origins"]]
        out[level] = doc
    return out
