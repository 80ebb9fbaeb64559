"""Détente's classifier chooses its tree settings inside the training window, from the rows given to ``fit`` only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.warning.backtest import BinarySpec, walk_forward_binary
from detente.warning.models import DEFAULT_TREES, BoostClassifier, log_loss

pytest.importorskip("lightgbm")

#: two settings at opposite ends: additive stumps with big leaves, and deep trees with tiny leaves
GRID = ((2, 100), (31, 5))
STUMPS = {"num_leaves": 2, "min_child_samples": 100, "n_estimators": 300}
DEEP = {"num_leaves": 31, "min_child_samples": 5, "n_estimators": 300}


def _panel(kind: str, periods: int, units: int, seed: int) -> pd.DataFrame:
    """Rows unit × period, 8 features; the outcome is weakly additive (``noise``) or a sign interaction (``xor``)."""
    rng = np.random.default_rng(seed)
    n = periods * units
    X = rng.normal(size=(n, 8))
    additive = 1 / (1 + np.exp(-(-1.0 + 0.6 * X[:, 0])))
    p = additive if kind == "noise" else np.where(X[:, 0] * X[:, 1] > 0, 0.9, 0.1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    frame["unit"] = np.tile(np.arange(units), periods)
    frame["period"] = np.repeat(np.arange(periods), units)
    frame["y"] = (rng.random(n) < p).astype(float)
    return frame


def _fit(frame: pd.DataFrame) -> BoostClassifier:
    model = BoostClassifier("t", grid=GRID, tree_counts=(300,), calibration_periods=4)
    features = [f"x{i}" for i in range(8)]
    return model.fit(frame[features], frame["y"].to_numpy(float), frame["period"].to_numpy(float))


def _chosen(model: BoostClassifier) -> dict[str, int]:
    return {k: model.tuning[k] for k in ("num_leaves", "min_child_samples", "n_estimators")}


@pytest.mark.parametrize(("kind", "better", "worse"), [("noise", STUMPS, DEEP), ("xor", DEEP, STUMPS)])
def test_inner_selection_picks_the_setting_that_is_better_out_of_time(
    kind: str, better: dict[str, int], worse: dict[str, int]
) -> None:
    train = _panel(kind, periods=16, units=60, seed=1)
    model = _fit(train)
    assert model.tuning["tuned"] is True and model.tuning["reason"] == "lowest validation log loss"
    assert _chosen(model) == better
    # the construction is honest: on fresh rows the chosen setting is indeed the better one
    fresh = _panel(kind, periods=10, units=60, seed=2)
    features = [f"x{i}" for i in range(8)]
    y = fresh["y"].to_numpy(float)
    raw, calibrated = {}, {}
    for name, settings in (("better", better), ("worse", worse)):
        grid = ((settings["num_leaves"], settings["min_child_samples"]),)
        m = BoostClassifier("t", grid=grid, tree_counts=(300,), calibration_periods=4)
        m.fit(train[features], train["y"].to_numpy(float), train["period"].to_numpy(float))
        raw[name] = log_loss(y, m.raw(fresh[features]))
        calibrated[name] = log_loss(y, m.predict(fresh[features]))
    assert raw["better"] < raw["worse"] - 0.05
    assert calibrated["better"] < calibrated["worse"]


def test_too_few_validation_positives_falls_back_to_the_default() -> None:
    train = _panel("noise", periods=16, units=60, seed=3)
    late = train["period"] >= 12
    train.loc[late, "y"] = 0.0
    train.loc[train.index[late][:3], "y"] = 1.0  # 3 positives in the validation periods, fewer than 5
    model = _fit(train)
    assert model.tuning["tuned"] is False and model.tuning["reason"] == "too few validation positives"
    assert _chosen(model) == DEFAULT_TREES.as_dict()
    assert model.tuning["validation_positives"] == 3


def test_tuning_ignores_rows_after_the_origin_and_test_labels() -> None:
    """Rows dated after t (with any labels) and the outcomes of the rows forecast at t change nothing."""
    panel = _panel("noise", periods=30, units=40, seed=4)
    t = 19
    spec = BinarySpec(target="y", features=tuple(f"x{i}" for i in range(8)), lead=1)
    rng = np.random.default_rng(5)

    def run(frame: pd.DataFrame, truth: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, object]]]:
        log: list[dict[str, object]] = []
        preds = walk_forward_binary(
            lambda s: frame[frame["period"] <= s] if frame is panel else frame,
            truth,
            [t],
            spec,
            lambda: [BoostClassifier("detente_gbm", calibration_periods=3)],
            tuning=log,
        )
        return preds, log

    a, log_a = run(panel, panel)
    # every row after t scrambled (features and labels), plus extra rows dated after t, handed to the backtest
    bad = panel.copy()
    late = bad["period"] > t
    for col in [f"x{i}" for i in range(8)] + ["y"]:
        bad.loc[late, col] = rng.permutation(bad.loc[late, col].to_numpy())
    extra = bad[late].assign(period=lambda f: f["period"] + 100, y=1.0)
    bad = pd.concat([bad, extra], ignore_index=True)
    # the outcomes of the rows forecast at t (known only after t) are flipped in the panel the model is given
    bad.loc[bad["period"] == t, "y"] = 1.0 - bad.loc[bad["period"] == t, "y"]
    b, log_b = run(bad, panel)
    pd.testing.assert_frame_equal(a, b)
    assert log_a == log_b and log_a[0]["tuned"] is True
    # scoring labels differ, forecasts do not
    flipped = panel.assign(y=lambda f: np.where(f["period"] == t, 1.0 - f["y"], f["y"]))
    c, log_c = run(panel, flipped)
    np.testing.assert_array_equal(a["p"].to_numpy(), c["p"].to_numpy())
    assert not np.array_equal(a["y"].to_numpy(), c["y"].to_numpy())
    assert log_c == log_a


def test_the_calibrator_is_chosen_out_of_time_on_earlier_blocks_too() -> None:
    """The calibrator sees out-of-time probabilities of the validation block and of earlier blocks (each forecast by
    trees fitted on the periods before it), is chosen among the candidates, and the choice is recorded."""
    from detente.warning.calibration import CALIBRATORS

    train = _panel("noise", periods=20, units=60, seed=6)
    features = [f"x{i}" for i in range(8)]
    y, periods = train["y"].to_numpy(float), train["period"].to_numpy(float)
    model = BoostClassifier("t", grid=GRID, tree_counts=(300,), calibration_periods=4, calibration_blocks=3)
    model.fit(train[features], y, periods)
    assert model.tuning["calibrator"] in CALIBRATORS
    assert set(model.tuning["calibration_logloss"]) == set(CALIBRATORS)
    assert model.validation is not None
    _, yv, pv = model.validation
    assert sorted(np.unique(pv)) == list(range(8, 20))  # three blocks of 4 periods, the oldest after 8 periods
    np.testing.assert_array_equal(yv, y[np.isin(periods, np.unique(pv))])  # the rows of those periods, in order
    # one block only: the validation periods alone
    single = BoostClassifier("t", grid=GRID, tree_counts=(300,), calibration_periods=4, calibration_blocks=1)
    single.fit(train[features], y, periods)
    assert single.validation is not None and sorted(np.unique(single.validation[2])) == [16, 17, 18, 19]
