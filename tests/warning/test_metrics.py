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
