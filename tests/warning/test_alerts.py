"""Escalation alerts: the exceedance test, change levels, measured rates, evidence; the watchlist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente.warning.alerts import AlertRule, exceedance_probability, measure_rates, scan_panel


@given(st.lists(st.integers(0, 200), min_size=2, max_size=24), st.integers(0, 300), st.integers(1, 50))
def test_exceedance_is_a_probability_and_decreases_with_the_count(hist: list[int], x: int, dx: int) -> None:
    p1, _ = exceedance_probability(hist, x)
    p2, _ = exceedance_probability(hist, x + dx)
    assert 0.0 <= p2 <= p1 <= 1.0


def test_false_alarm_rate_is_near_alpha_and_surges_are_detected() -> None:
    rule = AlertRule(alpha=0.01)
    rates = measure_rates(rule, trials=400)
    assert rates["false_alarm_rate"] < 0.05
    assert measure_rates(rule, trials=400, surge=10)["detection_rate"] > 0.4


def test_alert_cites_its_events() -> None:
    panel = pd.DataFrame({"unit": ["a"] * 13 + ["b"] * 13, "period": list(range(13)) * 2})
    panel["fatalities"] = [2.0] * 12 + [60.0] + [3.0] * 13
    events = pd.DataFrame(
        {
            "unit": ["a", "a", "a", "b"],
            "period": [12, 12, 12, 12],
            "event_id": ["ev_1", "ev_2", "ev_0", "ev_3"],
            "fatalities_best": [10, 50, 0, 3],  # ev_0 killed no one: it is not behind the count
        }
    )
    alerts = {a.unit: a for a in scan_panel(panel, "fatalities", 12, AlertRule(), events=events)}
    assert alerts["a"].level == "surge" and alerts["a"].events == ("ev_2", "ev_1")
    assert alerts["b"].level == "stable"
    assert np.isclose(alerts["a"].expected, 2.0)


@pytest.mark.shared_data
def test_watchlist_json(shared_data: Path) -> None:
    import json

    from detente.cli.forecast import watchlist_app

    args = ["--config", "ged-syria-monthly", "--as-of", "2019-06", "--data", str(shared_data), "--json"]
    res = CliRunner().invoke(watchlist_app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    units = doc["units"]
    assert [u["rank"] for u in units] == list(range(1, len(units) + 1)) and len(units) == 14
    first = units[0]
    assert first["interval90"][0] <= first["forecast"] <= first["interval90"][1]
    assert len(first["history"]) == 12 and len(first["drivers"]) == 3
    assert all(e.startswith("ev_") for u in units if u["alert"] for e in u["alert"]["events"])
    assert 0 <= doc["alert_rule"]["false_alarm_rate"] < 0.05
