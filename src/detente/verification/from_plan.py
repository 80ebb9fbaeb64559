"""How a planned step reads as a commitment of the verification module: who is bound, what it says, its
category, how it is verified (from the measure) and its due date. Pure."""

from __future__ import annotations

from datetime import datetime

from detente.cbm.measure import Domain, Measure, VerificationMethod
from detente.cbm.planner_types import PlannedStep
from detente.verification.commitments import Category, Commitment, Indicator, Schedule

__all__ = ["category_for", "commitment_for_step", "verifier_for"]

_BY_WORD: tuple[tuple[tuple[str, ...], Category], ...] = (
    (("ceasefire", "tranquillity"), Category.CEASEFIRE),
    (("detainee_release", "prisoner", "early_release", "amnesty"), Category.DETAINEE_RELEASE),
    (("withdrawal", "pullback", "disengagement", "cantonment"), Category.WITHDRAWAL),
    (("humanitarian_access", "crossing", "consular_access"), Category.HUMANITARIAN_ACCESS),
    (
        ("hotline", "liaison", "channel", "talks", "incident_prevention", "risk_reduction"),
        Category.COMMUNICATION_CHANNEL,
    ),
)
_BY_DOMAIN: dict[Domain, Category] = {
    Domain.COMMUNICATION: Category.COMMUNICATION_CHANNEL,
    Domain.TRANSPARENCY: Category.INFORMATION_EXCHANGE,
    Domain.VERIFICATION: Category.INFORMATION_EXCHANGE,
    Domain.HUMANITARIAN: Category.GOODWILL_GESTURE,
    Domain.POLITICAL: Category.GOODWILL_GESTURE,
    Domain.CIVIL_SOCIETY: Category.GOODWILL_GESTURE,
}

_VERIFIERS: dict[VerificationMethod, str] = {
    VerificationMethod.THIRD_PARTY_OBSERVER: "the third-party observer mission",
    VerificationMethod.REMOTE_SENSING: "the monitoring team (remote sensing)",
    VerificationMethod.RECIPROCAL_INSPECTION: "the parties' joint inspection team",
    VerificationMethod.COUNTERPART_OBSERVATION: "the other party, reporting to the mediators",
    VerificationMethod.EVENT_DATA_CHECK: "the analysts (event data)",
    VerificationMethod.SELF_REPORT: "the acting party (self-report)",
}


def category_for(measure_id: str, domain: Domain) -> Category:
    """The verification category a measure's commitment falls under (by its id, else by its domain)."""
    for words, category in _BY_WORD:
        if any(w in measure_id for w in words):
            return category
    return _BY_DOMAIN.get(domain, Category.OTHER)


def verifier_for(methods: tuple[VerificationMethod, ...]) -> str:
    strongest = max(methods, key=list(VerificationMethod).index)
    return _VERIFIERS[strongest]


def commitment_for_step(step: PlannedStep, measure: Measure | None, *, label: str, due: datetime) -> Commitment:
    """The commitment of the step's initiator to carry out the measure by ``due``, under ``label``.

    Its text is the step's public announcement and the measure's description, never the plan's reasons (those
    speak of trust levels and stay under the plan's own label)."""
    methods = measure.verification_methods if measure is not None else (step.verification_method,)
    description = measure.description if measure is not None else ""
    text = f"{step.announcement}\n\n{step.measure_name}: {description}".strip()
    return Commitment(
        title=f"{step.measure_name} ({step.initiator})"[:200],
        text=text,
        parties=(step.initiator,),
        category=category_for(step.measure_id, step.domain),
        schedule=Schedule(deadline=due),
        methods=methods,
        verifier=verifier_for(methods),
        label=label,
        indicators=(Indicator(name=step.measure_name, target="carried out as announced"),),
        measure_id=step.measure_id,
    )
