"""What a process keeps beside the catalogue, as values: its settings (the widest labels its trust state and plans may
be shown under), the measures it added, and its plan revisions. Stored in SQL by ``detente.db.cbm``; pure here.

Labels are kept as their text form (``detente.access`` reads them); this module decides nothing.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from .evidence import ComplianceRecord
from .measure import Measure
from .planner_replan import FallbackAction
from .planner_types import Plan
from .trust import PairBelief, TrustState

__all__ = ["CbmSettings", "PlanRevision", "StoredMeasure", "extend_parties"]


class CbmSettings(BaseModel):
    """The widest labels a process's trust state and plans are shown under (plans are sensitive: mediators only by
    default). What they were computed from may narrow that further (``detente.access.narrowest``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trust_label: str = "mediators_only"
    plan_label: str = "mediators_only"


class StoredMeasure(BaseModel):
    """A measure a process added to its catalogue, with its visibility label and who added it when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    added_by: int | None
    added_at: AwareDatetime
    measure: Measure


class PlanRevision(BaseModel):
    """One saved plan of a process: the plan, the trust state it was made from, and what triggered it (a compliance
    record and the fallback taken, or nothing for a first plan). Revisions are never overwritten."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    process: str
    revision: int
    supersedes: int | None
    plan: Plan
    state: TrustState
    trigger: ComplianceRecord | None = None
    fallback: FallbackAction | None = None


def extend_parties(state: TrustState, parties: tuple[str, ...], prior: float = 0.5) -> TrustState:
    """``state`` with parties added since it was made (their pairs start at ``prior``; the history is kept)."""
    missing = [p for p in parties if p not in state.parties]
    if not missing:
        return state
    names = (*state.parties, *missing)
    known = {(b.truster, b.trustee) for b in state.priors}
    added = tuple(
        PairBelief(truster=a, trustee=b, belief=prior) for a in names for b in names if a != b and (a, b) not in known
    )
    return TrustState(parties=names, parameters=state.parameters, priors=state.priors + added, history=state.history)
