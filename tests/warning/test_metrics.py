"""Scoring rules: known values, agreement with scikit-learn and invariants (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from detente.warning import metrics

probs = st.lists(st.integers(0, 1000).map(lambda k: k / 1000), min_size=2, max_size=60)


@st.composite
def labelled(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    p = np.array(draw(probs))
    y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(p), max_size=len(p))))
    return y, p


@given(st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=50))
def test_brier_of_perfect_forecasts_is_zero(y: list[float]) -> None:
    assert metrics.brier(y, y) == 0.0


@given(st.lists(st.integers(0, 5000), min_size=1, max_size=30))
def test_crps_of_point_mass_at_truth_is_zero(y: list[int]) -> None:
    ya = np.array(y, dtype=float)
    samples = np.repeat(ya[:, None], 7, axis=1)
    assert np.allclose(metrics.crps_samples(ya, samples), 0.0)


@given(labelled())
@settings(max_examples=60)
def test_auroc_invariant_to_monotone_transforms(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    a = metrics.auroc(y, p)
    b = metrics.auroc(y, np.exp(3 * p) + 1)
    assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b)


@given(labelled())
@settings(max_examples=60)
def test_auroc_and_aupr_agree_with_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    if 0 < y.sum() < y.size:
        assert metrics.auroc(y, p) == pytest.approx(roc_auc_score(y, p))
        assert metrics.aupr(y, p) == pytest.approx(average_precision_score(y, p))


def test_crps_matches_the_closed_form_for_two_points() -> None:
    # samples {0, 10}, y = 4: E|X-y| = 5, E|X-X'| = 5 -> 5 - 2.5
    assert metrics.crps_samples([4.0], [[0.0, 10.0]])[0] == pytest.approx(2.5)


def test_ignorance_uses_views_bins_with_one_pseudo_sample_per_category() -> None:
    # 9 draws of 3 (bin 2.5..5.5) and y = 4: p = (9 + 1) / (9 + 11)
    assert metrics.ignorance_samples([4.0], [[3.0] * 9])[0] == pytest.approx(-np.log2(10 / 20))
    # y = 2000 lands in the open last category, where no draw is
    assert metrics.ignorance_samples([2000.0], [[3.0] * 9])[0] == pytest.approx(-np.log2(1 / 20))


def test_interval_score_penalises_misses_by_two_over_alpha() -> None:
    samples = np.linspace(0, 100, 1001)[None, :]
    low, high = np.quantile(samples, [0.05, 0.95])
    assert metrics.interval_score_samples([50.0], samples)[0] == pytest.approx(high - low)
    assert metrics.interval_score_samples([200.0], samples)[0] == pytest.approx(high - low + 20 * (200 - high))


def test_calibration_and_top_k() -> None:
    y = np.array([0, 0, 1, 1, 0, 1], dtype=float)
    p = np.array([0.1, 0.1, 0.9, 0.9, 0.1, 0.9])
    assert metrics.expected_calibration_error(y, p) == pytest.approx(0.1)
    assert metrics.recall_at_k(y, p, 2) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        metrics.brier([0, 2], [0.1, 0.2])


# -- calibration table: tenths of the probability scale + the highest 5 %, with Wilson intervals -------------------


@given(labelled())
@settings(max_examples=80)
def test_calibration_table_counts_order_and_intervals(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = data
    rows = metrics.calibration_table(y, p)
    scale = [r for r in rows if not r["top_share"] and not r["decile"]]
    deciles = [r for r in rows if r["decile"]]
    (top,) = [r for r in rows if r["top_share"]]
    assert top["top_share"] == 0.05 and top is rows[-1]
    for group in (scale, deciles):
        assert sum(r["count"] for r in group) == y.size  # every forecast in exactly one bin of each group
        assert sum(r["positives"] for r in group) == y.sum()
        lows, highs = [r["bin_low"] for r in group], [r["bin_high"] for r in group]
        assert lows == sorted(lows) and highs == sorted(highs)  # bins ordered
    assert len({r["bin_low"] for r in scale}) == len(scale)
    assert [r["decile"] for r in deciles] == list(range(1, min(10, y.size) + 1))  # fewer rows than 10: one each
    assert all(abs(a["count"] - b["count"]) <= 1 for a in deciles for b in deciles)  # equal counts
    for r in rows:
        assert r["bin_low"] - 1e-12 <= r["mean_forecast"] <= r["bin_high"] + 1e-12
        assert 0.0 <= r["interval_low"] <= r["observed_frequency"] <= r["interval_high"] <= 1.0
        assert r["observed_frequency"] == pytest.approx(r["positives"] / r["count"])
    # the top bin is the ceil(5 %) highest forecasts: none outside it is higher than any inside
    k = int(np.ceil(0.05 * y.size))
    assert top["count"] == max(1, k)
    highest = np.sort(p)[::-1][: int(top["count"])]
    assert top["mean_forecast"] == pytest.approx(highest.mean())
    assert top["bin_low"] == pytest.approx(highest.min()) and top["bin_high"] == pytest.approx(highest.max())


def test_calibration_table_matches_hand_counts() -> None:
    # 20 forecasts: ten of 0.05 (one came true), ten of 0.45 (four came true); the top 5 % is one forecast of 0.45
    p = np.r_[np.full(10, 0.05), np.full(10, 0.45)]
    y = np.r_[np.eye(1, 10).ravel(), np.ones(4), np.zeros(6)]
    low, high, *deciles, top = metrics.calibration_table(y, p)
    assert [d["count"] for d in deciles] == [2.0] * 10 and [d["positives"] for d in deciles[5:]] == [2, 2, 0, 0, 0]
    assert (low["bin_low"], low["bin_high"], low["count"], low["positives"]) == (0.0, 0.1, 10.0, 1.0)
    assert (high["bin_low"], high["bin_high"], high["count"], high["positives"]) == (0.4, 0.5, 10.0, 4.0)
    assert high["mean_forecast"] == pytest.approx(0.45) and high["observed_frequency"] == pytest.approx(0.4)
    assert (top["count"], top["mean_forecast"]) == (1.0, pytest.approx(0.45))
    assert metrics.calibration_table([], []) == []


def test_wilson_interval_known_values() -> None:
    # Wilson (1927); e.g. Agresti & Coull (1998), Am. Stat. 52: 0 of 10 gives (0, 0.2775) at 95 %
    low, high = metrics.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.27753, abs=1e-4)
    low, high = metrics.wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.23659, abs=1e-4), pytest.approx(0.76341, abs=1e-4))
    assert all(np.isnan(metrics.wilson_interval(0, 0)))
    with pytest.raises(ValueError):
        metrics.wilson_interval(3, 2)


@given(st.integers(0, 400), st.integers(1, 400))
def test_wilson_interval_contains_the_rate(k: int, n: int) -> None:
    k = min(k, n)
    low, high = metrics.wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(st.lists(st.floats(0, 1), min_size=1, max_size=200), st.sampled_from([0.01, 0.05, 0.1, 0.5, 1.0]))
def test_top_bin_is_the_highest_share(p: list[float], share: float) -> None:
    pa = np.array(p)
    mask = metrics.top_bin(pa, share)
    assert mask.sum() == max(1, int(np.ceil(share * pa.size - 1e-9)))
    if (~mask).any():
        assert pa[mask].min() >= pa[~mask].max()
