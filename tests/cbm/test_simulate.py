"""The simulator: reproducible, beliefs strictly inside (0, 1), updates exactly those of the trust model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.cbm import (
    Constraints,
    Goal,
    Outcome,
    PlanningError,
    Step,
    TrustState,
    likelihood_ratio,
    load_catalogue,
    posterior,
    simulate,
)
from detente.cbm.planner_search import Searcher, build_pool
from detente.cbm.simulate import SimContext, summarise
from detente.cbm.simulate_core import draw_types, position_randoms, strongest_method

CATALOGUE = load_catalogue()
FREE = [m.id for m in CATALOGUE if not m.prerequisites]
STATE = TrustState.start(["Government", "Front"], prior={("Government", "Front"): 0.3, ("Front", "Government"): 0.4})


def test_same_inputs_same_result_byte_for_byte() -> None:
    steps = [
        Step(measure_id="leaders_hotline", initiator="Front"),
        Step(measure_id="family_reunions", initiator="Government"),
    ]
    a = simulate(STATE, CATALOGUE, steps, seed=3, worlds=300).to_json()
    b = simulate(STATE, CATALOGUE, steps, seed=3, worlds=300).to_json()
    c = simulate(STATE, CATALOGUE, steps, seed=4, worlds=300).to_json()
    assert a == b
    assert a != c


def test_one_step_moves_beliefs_only_by_the_trust_models_ratios() -> None:
    measure = CATALOGUE.get("unilateral_detainee_release")
    params = STATE.parameters
    r = params.reliability[strongest_method(measure, params)]
    prior = STATE.belief("Government", "Front")
    allowed = {round(prior, 6)} | {
        round(posterior(prior, likelihood_ratio(o, measure.signal_strength, r, params), params.floor), 6)
        for o in (Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT)
    }
    result = simulate(STATE, CATALOGUE, [Step(measure_id=measure.id, initiator="Front")], seed=1, worlds=2000)
    bands = result.trajectory["Government->Front"][1]
    assert {round(q, 6) for q in bands.quantiles} <= allowed
    # A unilateral gesture asks nothing of the other side: the Front's trust in the Government does not move.
    assert result.trajectory["Front->Government"][1].quantiles == result.trajectory["Front->Government"][0].quantiles


def test_bands_are_ordered_and_goal_probability_never_falls() -> None:
    steps = [Step(measure_id=m, initiator=("Front", "Government")[n % 2]) for n, m in enumerate(FREE[:8])]
    result = simulate(STATE, CATALOGUE, steps, Goal(threshold=0.5), seed=0, worlds=500)
    for bands in result.trajectory.values():
        assert len(bands) == len(steps) + 1
        for band in bands:
            assert list(band.quantiles) == sorted(band.quantiles)
    p = [s.p_goal for s in result.per_step]
    assert p == sorted(p)
    assert result.p_goal == p[-1]


def test_bad_input_is_an_input_error() -> None:
    with pytest.raises(PlanningError):
        simulate(STATE, CATALOGUE, [Step(measure_id="no_such_measure", initiator="Front")], worlds=10)
    with pytest.raises(PlanningError):
        simulate(STATE, CATALOGUE, [Step(measure_id="leaders_hotline", initiator="Nobody")], worlds=10)
    with pytest.raises(PlanningError):
        simulate(STATE, CATALOGUE, [], Goal(pairs=(("Front", "Front"),)), worlds=10)


@settings(max_examples=25, deadline=None)
@given(
    priors=st.tuples(st.floats(0.001, 0.999), st.floats(0.001, 0.999)),
    picks=st.lists(st.tuples(st.sampled_from(FREE), st.booleans()), min_size=1, max_size=8, unique_by=lambda x: x[0]),
    seed=st.integers(0, 2**16),
)
def test_trust_stays_strictly_inside_zero_one(
    priors: tuple[float, float], picks: list[tuple[str, bool]], seed: int
) -> None:
    state = TrustState.start(["A", "B"], prior={("A", "B"): priors[0], ("B", "A"): priors[1]})
    steps = [Step(measure_id=m, initiator="A" if first else "B") for m, first in picks]
    result = simulate(state, CATALOGUE, steps, seed=seed, worlds=64)
    for bands in result.trajectory.values():
        for band in bands:
            assert all(0.0 < q < 1.0 for q in band.quantiles)
            assert 0.0 < band.mean < 1.0 and math.isfinite(band.mean)
    assert np.isfinite(result.expected_exposure)


def test_random_streams_are_independent_and_stream_zero_keeps_its_numbers() -> None:
    beliefs = np.array([[0.5, 0.4], [0.3, 0.5]])
    original = np.random.default_rng([11, 0]).random((500, 2)) < np.array([0.3, 0.4])
    assert np.array_equal(draw_types(beliefs, 11, 500), original)
    assert np.array_equal(position_randoms(11, 2, 50, 2), np.random.default_rng([11, 3]).random((50, 2, 5)))
    blocks = [position_randoms(11, 2, 50, 2, stream) for stream in (0, 1, 2)]
    assert not np.array_equal(blocks[0], blocks[1]) and not np.array_equal(blocks[1], blocks[2])
    assert not np.array_equal(draw_types(beliefs, 11, 500, 1), draw_types(beliefs, 11, 500, 2))


def test_prefix_tree_evaluation_matches_simulating_each_sequence_alone() -> None:
    goal = Goal(threshold=0.45)
    constraints = Constraints(horizon=3, max_cost=1.0, max_risk=1.0, min_verifiability=0.0, max_cost_increase=1.0)
    ctx = SimContext.create(STATE, CATALOGUE, goal, seed=2, worlds=400, stream=1)
    searcher = Searcher(ctx, build_pool(CATALOGUE, constraints, STATE.parameters), constraints, 0.05)
    ids = {m.id: n for n, m in enumerate(searcher.pool.measures)}
    a, b, c = ids["leaders_hotline"], ids["family_reunions"], ids["return_of_remains"]
    seqs = [((a, 0), (b, 1), (c, 0)), ((a, 0), (b, 1)), ((a, 0), (c, 1), (b, 1)), ((b, 1),), ((a, 0), (b, 0), (c, 1))]
    p, exposure = searcher.evaluate_many(seqs)
    for n, seq in enumerate(seqs):
        steps = [Step(measure_id=searcher.pool.measures[m].id, initiator=STATE.parties[who]) for m, who in seq]
        alone = summarise(ctx, steps)
        assert p[n] == alone.per_step[-1].p_goal and exposure[n] == pytest.approx(alone.expected_exposure, abs=2e-6)
    assert len(set(p.tolist())) > 2
