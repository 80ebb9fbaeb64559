"""Replanning from verification outcomes, the fallback after a defection, and the plan store's history."""

from __future__ import annotations

from datetime import UTC, datetime

from detente.cbm import (
    ComplianceRecord,
    Constraints,
    Goal,
    Outcome,
    SearchSettings,
    TrustState,
    VerificationMethod,
    load_catalogue,
    plan,
    replan,
)

CATALOGUE = load_catalogue()
STATE = TrustState.start(["Government", "Front"], prior={("Government", "Front"): 0.3, ("Front", "Government"): 0.4})
SETTINGS = SearchSettings(worlds=200, beam_width=6, evaluations_per_depth=512)
WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def test_verified_compliance_moves_trust_and_changes_the_next_step() -> None:
    first = plan(STATE, CATALOGUE, Goal(threshold=0.6), Constraints(horizon=6), SETTINGS)
    step = first.next_step
    assert step is not None
    record = ComplianceRecord(
        commitment_id="c-1",
        party=step.initiator,
        outcome=Outcome.COMPLIANT,
        verification=VerificationMethod.THIRD_PARTY_OBSERVER,
        time=WHEN,
        measure_id=step.measure_id,
        summary=f"carried out {step.measure_name}",
    )
    result = replan(first, STATE, record, CATALOGUE)
    other = next(p for p in STATE.parties if p != step.initiator)
    assert result.state.belief(other, step.initiator) > STATE.belief(other, step.initiator)
    assert result.trust_moves and "rose" in result.trust_moves[0]
    assert result.fallback is None
    new = result.plan.next_step
    assert new is not None
    assert (new.measure_id, new.initiator) != (step.measure_id, step.initiator)
    assert step.measure_id in result.plan.constraints.in_place
    # It is the trust that changed the recommendation: with the measure in place but beliefs unchanged, the planner
    # would open differently, and the old plan's second step is not simply promoted.
    unchanged = plan(STATE, CATALOGUE, Goal(threshold=0.6), result.plan.constraints, SETTINGS).next_step
    assert unchanged is not None
    assert (new.measure_id, new.initiator) != (unchanged.measure_id, unchanged.initiator)
    assert (new.measure_id, new.initiator) != (first.steps[1].measure_id, first.steps[1].initiator)
    # The new plan starts from the new beliefs, not the old ones.
    label = f"{other}->{step.initiator}"
    assert result.plan.beliefs[label] > first.beliefs[label]
    assert result.plan.plan_id != first.plan_id


def test_observed_defection_triggers_the_fallback() -> None:
    first = plan(STATE, CATALOGUE, Goal(threshold=0.6), Constraints(horizon=6), SETTINGS)
    done = first.steps[0]
    kept = ComplianceRecord(
        commitment_id="c-1",
        party=done.initiator,
        outcome=Outcome.COMPLIANT,
        verification=VerificationMethod.THIRD_PARTY_OBSERVER,
        time=WHEN,
        measure_id=done.measure_id,
    )
    after_kept = replan(first, STATE, kept, CATALOGUE)
    defector = next(p for p in STATE.parties if p != done.initiator)
    broken = ComplianceRecord(
        commitment_id="c-2",
        party=defector,
        outcome=Outcome.NON_COMPLIANT,
        verification=VerificationMethod.THIRD_PARTY_OBSERVER,
        time=WHEN,
        measure_id=done.measure_id,
        summary="did not reciprocate as agreed",
    )
    result = replan(after_kept.plan, after_kept.state, broken, CATALOGUE)
    assert result.state.belief(done.initiator, defector) < after_kept.state.belief(done.initiator, defector)
    fallback = result.fallback
    assert fallback is not None and fallback.defector == defector
    cost = CATALOGUE.get(done.measure_id).cost_to_initiator
    assert fallback.max_cost_after <= cost
    if done.reversibility >= first.fallback.reverse_threshold:
        assert fallback.reverse == (done.measure_id,)
    assert "Fallback" in fallback.explanation
    new = result.plan
    assert new.steps and new.steps[0].initiator == defector
    assert all(s.cost <= cost for s in new.steps)
    assert done.measure_id in new.constraints.exclude
