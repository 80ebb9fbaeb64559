"""The typed results of the CBM use cases, for the pages and the JSON API: measures, trust, plan revisions and what
changed between two revisions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from detente.cbm import ComplianceRecord, FallbackAction, Measure, Plan, TrustState, TrustUpdate
from detente.services.cbm_plans import StoredRevision

__all__ = [
    "BeliefOut",
    "ChangesOut",
    "MeasureOut",
    "PlanRevisionOut",
    "PlanSummaryOut",
    "RecordOut",
    "TrustOut",
    "changes",
    "measure_out",
    "revision_out",
    "revision_summary",
    "trust_out",
]


class MeasureOut(Measure):
    """A measure of the caller's catalogue, with where it comes from and, for a process measure, its label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    label: str | None


def measure_out(m: Measure, labels: dict[str, str]) -> MeasureOut:
    return MeasureOut(**m.model_dump(), source="process" if m.id in labels else "built-in", label=labels.get(m.id))


class BeliefOut(BaseModel):
    truster: str
    trustee: str
    belief: float


class TrustOut(BaseModel):
    revision: int | None
    label: str
    parties: list[str]
    beliefs: list[BeliefOut]
    history: list[TrustUpdate]
    update: TrustUpdate | None = None


def trust_out(state: TrustState, revision: int | None, label: str) -> TrustOut:
    return TrustOut(
        revision=revision,
        label=label,
        parties=list(state.parties),
        beliefs=[BeliefOut(truster=a, trustee=b, belief=p) for (a, b), p in sorted(state.beliefs().items())],
        history=list(state.history),
    )


class RecordOut(BaseModel):
    commitment_id: str
    party: str
    outcome: str
    verification: str
    measure_id: str | None
    summary: str | None
    time: datetime


def _record(record: ComplianceRecord) -> RecordOut:
    return RecordOut(
        commitment_id=record.commitment_id,
        party=record.party,
        outcome=record.outcome.value,
        verification=record.verification.value,
        measure_id=record.measure_id,
        summary=record.summary,
        time=record.time,
    )


class PlanSummaryOut(BaseModel):
    revision: int
    supersedes: int | None
    label: str
    plan_id: str
    p_goal: float
    steps: int
    next_step: str | None
    threshold: float
    trigger: RecordOut | None
    fallback: str | None


def _next(plan: Plan) -> str | None:
    step = plan.next_step
    return f"{step.initiator}: {step.measure_name}" if step is not None else None


def revision_summary(stored: StoredRevision) -> PlanSummaryOut:
    rev = stored.revision
    return PlanSummaryOut(
        revision=rev.revision,
        supersedes=rev.supersedes,
        label=stored.label,
        plan_id=rev.plan.plan_id,
        p_goal=rev.plan.p_goal,
        steps=len(rev.plan.steps),
        next_step=_next(rev.plan),
        threshold=rev.plan.goal.threshold,
        trigger=_record(rev.trigger) if rev.trigger is not None else None,
        fallback=rev.fallback.explanation if rev.fallback is not None else None,
    )


class BeliefChange(BaseModel):
    pair: str
    before: float | None
    after: float | None


class Moved(BaseModel):
    before: str | float | None
    after: str | float | None


class ChangesOut(BaseModel):
    from_revision: int
    beliefs: list[BeliefChange]
    p_goal: Moved
    next_step: Moved
    dropped: list[str]
    added: list[str]
    trust_moves: list[str]
    fallback: str | None


def changes(before: StoredRevision | None, after: StoredRevision) -> ChangesOut | None:
    """What moved from ``before`` to ``after``: beliefs, P(goal), the next step, steps dropped and added, and the
    trust updates recorded in between (with their explanations)."""
    if before is None:
        return None
    b, a = before.revision, after.revision
    old_steps = [(s.measure_id, s.initiator) for s in b.plan.steps]
    new_steps = [(s.measure_id, s.initiator) for s in a.plan.steps]
    names = {s.measure_id: s.measure_name for s in (*b.plan.steps, *a.plan.steps)}
    pairs = sorted(set(b.plan.beliefs) | set(a.plan.beliefs))
    return ChangesOut(
        from_revision=b.revision,
        beliefs=[BeliefChange(pair=k, before=b.plan.beliefs.get(k), after=a.plan.beliefs.get(k)) for k in pairs],
        p_goal=Moved(before=b.plan.p_goal, after=a.plan.p_goal),
        next_step=Moved(before=_next(b.plan), after=_next(a.plan)),
        dropped=[f"{who}: {names[m]}" for m, who in old_steps if (m, who) not in new_steps],
        added=[f"{who}: {names[m]}" for m, who in new_steps if (m, who) not in old_steps],
        trust_moves=[u.explanation for u in a.state.history[len(b.state.history) :]],
        fallback=a.fallback.explanation if a.fallback is not None else None,
    )


class PlanRevisionOut(PlanSummaryOut):
    plan: Plan
    fallback_action: FallbackAction | None
    commitments: dict[str, int]
    changes: ChangesOut | None
    #: for a replan: the verified records applied and how each moved trust
    records_applied: int | None = None
    trust_moves: list[str] | None = None


def revision_out(stored: StoredRevision, before: StoredRevision | None, links: dict[int, int]) -> PlanRevisionOut:
    return PlanRevisionOut(
        **revision_summary(stored).model_dump(),
        plan=stored.revision.plan,
        fallback_action=stored.revision.fallback,
        commitments={str(k): v for k, v in links.items()},
        changes=changes(before, stored),
    )
