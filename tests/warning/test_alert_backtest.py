"""The escalation alerts' detection and false-alarm rates, measured walk-forward: by hand on a small panel, and on
the real UCDP GED Syria data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.warning.alert_backtest import (
    EscalationEvent,
    alert_rates,
    escalations,
    monthly_alert_rates,
    scan_origins,
)
from detente.warning.alerts import AlertRule


def test_escalation_is_above_the_units_own_quantile_so_far() -> None:
    values = [2.0] * 12 + [20.0, 3.0, 20.0]
    panel = pd.DataFrame({"unit": "a", "period": range(15), "fatalities": values})
    esc = escalations(panel, "fatalities", EscalationEvent())
    assert esc["escalation"].iloc[:12].isna().all()  # fewer than 12 earlier months: undefined
    # month 12 (20 deaths) exceeds the 90 % quantile (2) of months 0..11; month 13 (3 deaths) is below the 5-death
    # floor; month 14 (20) exceeds the 90 % quantile of months 0..13, 2 + 0.7 * (3 - 2) = 2.7
    assert esc["escalation"].iloc[12:].tolist() == [1.0, 0.0, 1.0]


def test_rates_by_hand() -> None:
    # unit a: quiet at 2, an alert-worthy jump at month 13 followed by an escalation at 14;
    # unit b: quiet at 2, a jump at 13 (a false alarm), then back to 2
    a = [2.0] * 13 + [30.0, 40.0]
    b = [2.0] * 13 + [30.0, 2.0]
    panel = pd.DataFrame({"unit": ["a"] * 15 + ["b"] * 15, "period": list(range(15)) * 2, "fatalities": a + b})

    def at(t: int) -> pd.DataFrame:
        return panel[panel["period"] <= t]

    rule = AlertRule()
    scans = scan_origins(at, range(12, 14), "fatalities", rule)
    doc = alert_rates(scans, panel, rule=rule, alphas=(0.01,))
    stated = doc["at_threshold"]
    # scored unit-months: origins 12 and 13 for both units; escalations: a at 13 (30 > 2) and 14 (40 > q90), b at 13
    assert stated["unit_months"] == 4 and stated["escalations"] == 3
    # alerts: both units at origin 13; a's is followed by an escalation, b's is not
    assert stated["alerts"] == 2 and stated["precision"] == 0.5
    assert stated["detection_rate"] == round(1 / 3, 6) and stated["false_alarm_rate"] == 1.0
    # episodes: a starts at 13 (continues at 14), b at 13; neither was warned at 10..12
    assert stated["episodes"] == 2 and stated["episodes_warned"] == 0 and stated["lead_time_mean"] is None


@pytest.mark.shared_data
def test_alert_rates_on_ged_syria(shared_data: Path, tmp_path: Path) -> None:
    from detente.warning.monthly import syria_panels

    panels = syria_panels(shared_data, tmp_path / "ws")
    truths = {level: panels.at(level, panels.last) for level in ("admin1", "priogrid")}
    # the cut of the final panel at t is the panel rebuilt from the events dated <= t (what the alerts see)
    for level in ("admin1", "priogrid"):
        for t in (panels.first + 14, panels.first + 30):
            rebuilt = panels.at(level, t)[["unit", "period", "fatalities"]].reset_index(drop=True)
            cut = truths[level][truths[level]["period"] <= t][["unit", "period", "fatalities"]].reset_index(drop=True)
            pd.testing.assert_frame_equal(rebuilt, cut)
    doc = monthly_alert_rates(truths, first_origin=panels.first + 12)
    for level in ("admin1", "priogrid"):
        block = doc[level]
        stated = block["at_threshold"]
        assert block["origins"] == ["2017-01", "2019-10"] and stated["alpha"] == AlertRule().alpha
        assert stated["escalations"] > 20 and stated["alerts"] > 10
        # the alerts carry information: an alert is followed by an escalation far more often than the base rate
        assert stated["detection_rate"] > 2 * stated["false_alarm_rate"]
        assert stated["precision"] > 2 * block["base_rate"]
        rows = block["thresholds"]
        detection = [r["detection_rate"] for r in rows]
        false_alarm = [r["false_alarm_rate"] for r in rows]
        assert detection == sorted(detection) and false_alarm == sorted(false_alarm)
        assert all(r["lead_time_mean"] is None or 1 <= r["lead_time_mean"] <= 3 for r in rows)
    assert np.isclose(doc["admin1"]["base_rate"], doc["admin1"]["at_threshold"]["escalations"] / 476)
    # the CLI's table of the same numbers
    from detente.cli.common import console
    from detente.cli.forecast import _print_alert_rates

    with console.capture() as captured:
        _print_alert_rates(doc)
    text = captured.get()
    assert "Escalation alerts, admin1" in text and "Escalation alerts, priogrid" in text and "0.250" in text
