"""Plain dictionaries for the API and the templates: measures, trust, plan revisions and what changed between two
revisions."""

from __future__ import annotations

from typing import Any

from detente.cbm import ComplianceRecord, Measure, PlanRevision, TrustState

__all__ = ["changes", "measure_dict", "revision_dict", "revision_summary", "trust_dict"]


def measure_dict(m: Measure, labels: dict[str, str]) -> dict[str, Any]:
    data = m.model_dump(mode="json")
    data["source"] = "process" if m.id in labels else "built-in"
    data["label"] = labels.get(m.id)
    return data


def trust_dict(state: TrustState, revision: int | None, label: str) -> dict[str, Any]:
    return {
        "revision": revision,
        "label": label,
        "parties": list(state.parties),
        "beliefs": [{"truster": a, "trustee": b, "belief": p} for (a, b), p in sorted(state.beliefs().items())],
        "history": [u.model_dump(mode="json") for u in state.history],
    }


def _next(rev: PlanRevision) -> str | None:
    step = rev.plan.next_step
    return f"{step.initiator}: {step.measure_name}" if step is not None else None


def revision_summary(rev: PlanRevision) -> dict[str, Any]:
    trigger = rev.trigger
    return {
        "revision": rev.revision,
        "supersedes": rev.supersedes,
        "plan_id": rev.plan.plan_id,
        "p_goal": rev.plan.p_goal,
        "steps": len(rev.plan.steps),
        "next_step": _next(rev),
        "threshold": rev.plan.goal.threshold,
        "trigger": _record(trigger) if trigger is not None else None,
        "fallback": rev.fallback.explanation if rev.fallback is not None else None,
    }


def _record(record: ComplianceRecord) -> dict[str, Any]:
    return {
        "commitment_id": record.commitment_id,
        "party": record.party,
        "outcome": record.outcome.value,
        "verification": record.verification.value,
        "measure_id": record.measure_id,
        "summary": record.summary,
        "time": record.time.isoformat(),
    }


def changes(before: PlanRevision | None, after: PlanRevision) -> dict[str, Any] | None:
    """What moved from ``before`` to ``after``: beliefs, P(goal), the next step, steps dropped and added, and the
    trust updates recorded in between (with their explanations)."""
    if before is None:
        return None
    old_steps = [(s.measure_id, s.initiator) for s in before.plan.steps]
    new_steps = [(s.measure_id, s.initiator) for s in after.plan.steps]
    names = {s.measure_id: s.measure_name for s in (*before.plan.steps, *after.plan.steps)}
    pairs = sorted(set(before.plan.beliefs) | set(after.plan.beliefs))
    moves = [u.explanation for u in after.state.history[len(before.state.history) :]]
    return {
        "from_revision": before.revision,
        "beliefs": [
            {"pair": k, "before": before.plan.beliefs.get(k), "after": after.plan.beliefs.get(k)} for k in pairs
        ],
        "p_goal": {"before": before.plan.p_goal, "after": after.plan.p_goal},
        "next_step": {"before": _next(before), "after": _next(after)},
        "dropped": [f"{who}: {names[m]}" for m, who in old_steps if (m, who) not in new_steps],
        "added": [f"{who}: {names[m]}" for m, who in new_steps if (m, who) not in old_steps],
        "trust_moves": moves,
        "fallback": after.fallback.explanation if after.fallback is not None else None,
    }


def revision_dict(rev: PlanRevision, before: PlanRevision | None, links: dict[int, int]) -> dict[str, Any]:
    return {
        **revision_summary(rev),
        "plan": rev.plan.model_dump(mode="json"),
        "commitments": {str(k): v for k, v in links.items()},
        "changes": changes(before, rev),
    }
