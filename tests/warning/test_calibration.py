"""Calibrators (Platt, beta, isotonic with a minimum bin) and their choice by leave-one-period-out log loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.warning.calibration import CALIBRATORS, TIE_BREAK, Calibrator, choose_calibrator, fit_calibrator

pytest.importorskip("sklearn")


def _rows(n: int, seed: int, truth: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw scores, outcomes drawn from a known true map of the scores, and 5 periods."""
    rng = np.random.default_rng(seed)
    s = rng.beta(0.6, 3.0, n)  # skewed to low scores, as a rare outcome's
    # "beta": a beta map with very different exponents, which a logistic in logit(s) cannot follow
    platt = 0.7 * np.log(s / (1 - s)) - 0.5
    z = platt if truth == "platt" else 0.5 * np.log(s) - 8.0 * np.log(1 - s) - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(float)
    return s, y, np.repeat(np.arange(5), n // 5 + 1)[:n].astype(float)


def _loss(y: np.ndarray, p: np.ndarray) -> float:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


@given(st.integers(0, 10_000), st.sampled_from(CALIBRATORS))
@settings(max_examples=25, deadline=None)
def test_every_calibrator_is_a_monotone_map_into_the_unit_interval(seed: int, kind: str) -> None:
    s, y, _ = _rows(300, seed, "beta")
    cal = fit_calibrator(kind, s, y)
    grid = np.linspace(0, 1, 201)
    out = cal.apply(grid)
    assert np.all((out >= 0) & (out <= 1))
    assert np.all(np.diff(out) >= -1e-12)


def test_one_class_gives_the_identity() -> None:
    s = np.linspace(0.01, 0.5, 50)
    for kind in CALIBRATORS:
        assert fit_calibrator(kind, s, np.zeros(50)).kind == "identity"
    assert Calibrator().apply([0.2, 0.7]).tolist() == pytest.approx([0.2, 0.7])
    with pytest.raises(ValueError, match="unknown calibrator"):
        fit_calibrator("spline", s, np.zeros(50))


def test_beta_follows_a_map_platt_cannot_and_is_chosen_for_it() -> None:
    s, y, periods = _rows(4000, 1, "beta")
    fresh_s, fresh_y, _ = _rows(20_000, 2, "beta")
    platt, beta = fit_calibrator("platt", s, y), fit_calibrator("beta", s, y)
    assert _loss(fresh_y, beta.apply(fresh_s)) < _loss(fresh_y, platt.apply(fresh_s)) - 0.002
    chosen, record = choose_calibrator(s, y, periods)
    assert record["calibrator"] == chosen.kind != "platt"
    assert record["calibration_logloss"]["beta"] < record["calibration_logloss"]["platt"]


def test_the_choice_scores_each_period_with_a_calibrator_fitted_on_the_others() -> None:
    s, y, periods = _rows(1000, 3, "platt")
    _, record = choose_calibrator(s, y, periods)
    for kind in CALIBRATORS:
        total = 0.0
        for v in np.unique(periods):
            out = periods == v
            p = np.clip(fit_calibrator(kind, s[~out], y[~out]).apply(s[out]), 1e-6, 1 - 1e-6)
            total -= float(np.sum(y[out] * np.log(p) + (1 - y[out]) * np.log(1 - p)))
        assert record["calibration_logloss"][kind] == pytest.approx(total / s.size, abs=1e-6)
    # ties go to the simpler calibrator; the winner has the lowest held-out loss
    losses = record["calibration_logloss"]
    assert losses[record["calibrator"]] == min(losses.values())


def test_isotonic_top_bin_averages_at_least_min_bin_rows() -> None:
    # 400 rows, the 5 highest scores all came true and nothing else did: a plain isotonic fit would say 1.0 at the
    # top; with bins of >= 40 rows the top is at most (5 + 1/2) / (40 + 1) (and the raw score's 0.1 % share)
    s = np.linspace(0.01, 0.6, 400)
    y = np.zeros(400)
    y[-5:] = 1.0
    cal = fit_calibrator("isotonic", s, y, min_bin=40)
    assert cal.apply([0.6])[0] <= 5.5 / 41 + TIE_BREAK
    assert 0 < cal.apply([0.99])[0] - cal.apply([0.6])[0] <= TIE_BREAK  # flat beyond the last bin, ties broken
    # a common outcome: 200 of 400 came true, so bins of 40 rows (10 bins) and a steep map
    y = (np.arange(400) >= 200).astype(float)
    cal = fit_calibrator("isotonic", s, y, min_bin=40)
    assert len(cal.knots_x) == 10 and cal.apply([0.6])[0] > 0.9 and cal.apply([0.01])[0] < 0.1


def test_one_validation_period_falls_back_to_the_first_calibrator() -> None:
    s, y, _ = _rows(500, 4, "platt")
    chosen, record = choose_calibrator(s, y, np.zeros(500))
    assert chosen.kind == "platt" and record["calibration_logloss"] == {}
