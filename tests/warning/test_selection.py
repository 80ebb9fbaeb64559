"""The rule that picks the model ranking the watchlist (ADR 0027), on tables shaped as ``store_backtest`` makes them."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from detente.warning.selection import BASELINES, MARGIN, MODEL, select_model


def _row(brier: float | None, crps: float | None, auroc: float | None = 0.5) -> dict[str, float | None]:
    return {"crps": crps, "ignorance": 1.0, "mis90": 10.0, "brier": brier, "auroc": auroc, "aupr": 0.1,
            "ece": 0.01, "positives": 4.0, "n": 96.0}  # fmt: skip


#: ``store_backtest(...)["models"]`` of the demo before it had learnable structure (as of 2025-12, 12 origins,
#: default StoreConfig): the hurdle's AUROC was 0.344 and the constant zero had the best Brier score
OLD_DEMO: dict[str, dict[str, float | None]] = {
    "zero": _row(0.041667, 9.322917, 0.5),
    "last_value": _row(0.083333, 7.645833, 0.478261),
    "historical_average": _row(0.041667, 12.420798, 0.5),
    "conflictology": _row(0.044188, 4.339993, 0.304348),
    "detente_hurdle": _row(0.048026, 4.264818, 0.34375),
}


def test_a_baseline_that_wins_ranks_and_the_reason_says_so() -> None:
    s = select_model(OLD_DEMO, months=12, threshold=25)
    # zero and historical average tie on Brier: the simpler one, zero, is the best baseline
    assert s.chosen == "zero" and s.verdict == "baseline" and s.best_baseline == "zero"
    assert s.reason == (
        "No model beat the best baseline, zero: Détente's model was no better on the Brier score of P(≥ 25), "
        "0.048 vs 0.042 over 12 months. Ranked by zero."
    )
    doc = s.as_dict()
    assert doc["chosen_label"] == "zero" and doc["scores"]["detente_hurdle"]["auroc"] == 0.34375


def test_the_model_that_beats_every_baseline_ranks() -> None:
    models = {**OLD_DEMO, "detente_hurdle": _row(0.030, 4.0, 0.9)}
    s = select_model(models, months=12, threshold=25)
    assert s.chosen == MODEL and s.verdict == "model" and s.best_baseline == "zero"
    assert s.reason == (
        "Détente's model beat the best baseline, zero, on the Brier score of P(≥ 25), 0.030 vs 0.042 over 12 months "
        "(CRPS 4.00 vs 4.34, conflictology). Ranked by Détente's model."
    )


def test_better_by_less_than_the_margin_is_a_tie_and_the_simpler_model_ranks() -> None:
    models = {**OLD_DEMO, "detente_hurdle": _row(0.041667 * (1 - MARGIN / 2), 4.0)}
    s = select_model(models, months=12, threshold=25)
    assert s.chosen == "zero" and "not better by more than 5%" in s.reason
    # among the baselines too: last value within the margin of conflictology is preferred to it
    baselines = {
        "zero": _row(0.2, 9.0),
        "last_value": _row(0.101, 8.0),
        "conflictology": _row(0.100, 7.0),
        "detente_hurdle": _row(0.12, 6.0),
    }
    s = select_model(baselines, months=3, threshold=10)
    assert s.chosen == "last_value" and s.best_baseline == "conflictology"
    assert s.reason.endswith("Ranked by last value, the simpler baseline within 5% of conflictology.")


def test_a_worse_crps_keeps_the_baseline() -> None:
    models = {**OLD_DEMO, "detente_hurdle": _row(0.030, 6.0)}  # conflictology's CRPS is 4.34
    s = select_model(models, months=12, threshold=25)
    assert s.chosen == "zero" and s.verdict == "baseline"
    assert "but its CRPS, 6.00, is worse than conflictology's 4.34" in s.reason


def test_without_scores_the_model_ranks_untested() -> None:
    for models in ({}, {"zero": _row(0.1, 1.0)}, {**OLD_DEMO, "detente_hurdle": _row(None, None)}):
        s = select_model(models, months=0, threshold=25)
        assert s.chosen == MODEL and s.verdict == "untested" and "untested" in s.reason


scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
crpss = st.floats(min_value=0.01, max_value=50.0, allow_nan=False)


@given(st.lists(st.tuples(scores, crpss), min_size=5, max_size=5))
def test_the_rule_holds_on_any_table(values: list[tuple[float, float]]) -> None:
    names = [*BASELINES, MODEL]
    models: dict[str, dict[str, Any]] = {n: _row(b, c) for n, (b, c) in zip(names, values, strict=True)}
    s = select_model(models, months=12, threshold=25)
    brier = {n: v[0] for n, v in zip(names, values, strict=True)}
    crps = {n: v[1] for n, v in zip(names, values, strict=True)}
    assert s.chosen in models
    # the best baseline has the lowest Brier score, a tie going to the simpler
    assert s.best_baseline == min(BASELINES, key=lambda b: (brier[b], BASELINES.index(b)))
    wins = all(brier[MODEL] < brier[b] * (1 - MARGIN) for b in BASELINES) and not any(
        crps[b] < crps[MODEL] * (1 - MARGIN) for b in BASELINES
    )
    assert (s.chosen == MODEL) == wins and s.verdict == ("model" if wins else "baseline")
    if not wins:
        # the ranking baseline: no baseline beats it by the margin, and some baseline beats each simpler one
        assert not any(brier[b] < brier[s.chosen] * (1 - MARGIN) for b in BASELINES)
        for simpler in BASELINES[: BASELINES.index(s.chosen)]:
            assert any(brier[b] < brier[simpler] * (1 - MARGIN) for b in BASELINES)
        assert f"Ranked by {s.as_dict()['chosen_label']}" in s.reason
