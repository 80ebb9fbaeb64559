"""Replanning: when a verification outcome arrives, update trust and recompute the plan from the new state.

A compliant record puts its measure in place (it satisfies prerequisites and is not proposed again). A verified
non-compliance is an observed defection and triggers the plan's fallback rule: the broken measure is withdrawn,
the next steps may cost no more than the broken one, the defecting side must take the first step of the new plan
(resume only after its verified compliance), and the wronged side's most recent sufficiently reversible step towards
the defector is named for reversal. The previous plan is not changed; both revisions are kept in SQL by
:mod:`detente.services.cbm_plans`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from .catalogue import Catalogue
from .evidence import ComplianceRecord, Outcome
from .planner import plan
from .planner_types import Plan
from .trust import TrustState

__all__ = ["FallbackAction", "Replan", "replan", "replan_many"]


class FallbackAction(BaseModel):
    """The fallback taken after an observed defection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    defector: str
    commitment_id: str
    measure_id: str | None
    pause_steps: int
    #: measures the wronged side should reverse (its most recent reversible step towards the defector), if any
    reverse: tuple[str, ...]
    max_cost_after: float
    explanation: str


class Replan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: Plan
    state: TrustState
    #: explanations of the trust updates the record caused
    trust_moves: tuple[str, ...]
    fallback: FallbackAction | None = None


def _advance(
    previous: Plan, state: TrustState, record: ComplianceRecord, catalogue: Catalogue
) -> tuple[TrustState, Plan, tuple[str, ...], FallbackAction | None]:
    """Apply ``record`` and carry ``previous``'s constraints forward (no planning): the new state, ``previous`` with
    the updated constraints and taken steps, the trust moves and the fallback taken, if any."""
    after = state.apply(record, catalogue)
    moves = tuple(u.explanation for u in after.history[len(state.history) :])
    constraints = previous.constraints
    fallback = None
    measure = record.measure_id
    taken = previous.taken
    if record.outcome is Outcome.COMPLIANT and measure is not None and measure not in constraints.in_place:
        constraints = constraints.model_copy(update={"in_place": (*constraints.in_place, measure)})
        taken = (*taken, *(s for s in previous.steps if s.measure_id == measure and s.initiator == record.party))
    elif record.outcome is Outcome.NON_COMPLIANT:
        cost = catalogue.get(measure).cost_to_initiator if measure is not None else constraints.max_cost
        cap = min(constraints.max_cost, cost)
        threshold = previous.fallback.reverse_threshold
        done = set(constraints.in_place)
        reverse = tuple(
            s.measure_id
            for s in reversed((*previous.taken, *previous.steps))
            if s.initiator != record.party and s.measure_id in done and s.reversibility >= threshold
        )[:1]
        exclude = (
            constraints.exclude
            if measure is None or measure in constraints.exclude
            else (
                *constraints.exclude,
                measure,
            )
        )
        constraints = constraints.model_copy(
            update={"max_cost": cap, "exclude": exclude, "first_initiator": record.party}
        )
        undo = f"; reverse '{reverse[0]}'" if reverse else "; no recent step is reversible enough to undo"
        fallback = FallbackAction(
            defector=record.party,
            commitment_id=record.commitment_id,
            measure_id=measure,
            pause_steps=previous.fallback.pause_steps,
            reverse=reverse,
            max_cost_after=cap,
            explanation=(
                f"Fallback: {record.party} broke commitment {record.commitment_id}; pause "
                f"{previous.fallback.pause_steps} step(s){undo}; no step costing more than {cap:.2f}; the new plan "
                f"starts with a step by {record.party}, and escalation resumes only after its verified compliance."
            ),
        )
    elif constraints.first_initiator == record.party and record.outcome is Outcome.COMPLIANT:
        constraints = constraints.model_copy(update={"first_initiator": None})
    carried = previous.model_copy(update={"constraints": constraints, "taken": taken})
    return after, carried, moves, fallback


def replan(previous: Plan, state: TrustState, record: ComplianceRecord, catalogue: Catalogue) -> Replan:
    """Apply ``record`` to ``state`` and plan again under ``previous``'s goal, constraints and settings."""
    return replan_many(previous, state, (record,), catalogue)


def replan_many(previous: Plan, state: TrustState, records: Sequence[ComplianceRecord], catalogue: Catalogue) -> Replan:
    """Apply ``records`` in order (each carries the constraints forward as :func:`replan` would), then plan once.

    The fallback reported is the last one taken; with no records the plan is recomputed from ``state`` as it is
    (for example after an analyst's input)."""
    moves: tuple[str, ...] = ()
    fallback = None
    carried = previous
    for record in records:
        state, carried, more, taken_fallback = _advance(carried, state, record, catalogue)
        moves += more
        fallback = taken_fallback or fallback
    new = plan(state, catalogue, previous.goal, carried.constraints, previous.settings)
    new = new.model_copy(update={"taken": carried.taken})
    return Replan(plan=new, state=state, trust_moves=moves, fallback=fallback)
