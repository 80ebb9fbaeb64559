"""Plans of a process: the planner on its current trust state, replanning from verified compliance records, and a
planned step made a commitment of the verification capability — each one action, in one transaction.

A plan revision records ``inputs_label``: the narrowest label of the trust state it started from (as shown), the
process measures it names (steps, steps taken, exclusions) and the compliance record that triggered it. It is shown
under the narrower of that and the process's plan label.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.cbm import (
    ComplianceRecord,
    Constraints,
    FallbackAction,
    Goal,
    Plan,
    PlanRevision,
    SearchSettings,
    TrustState,
    plan,
    replan_many,
)
from detente.db import cbm as cbm_db
from detente.db import verification as vdb
from detente.errors import Busy, ConflictError, InputError
from detente.services.audit import audit
from detente.services.authz import allowed, hidden, require
from detente.services.caller import Caller
from detente.services.cbm import CbmProcess, CurrentTrust, current_trust
from detente.services.concurrency import retrying
from detente.services.consent import expiry, propose_in
from detente.services.context import AppContext
from detente.services.witnesses import cosign_quietly
from detente.verification.consent import Change
from detente.verification.from_plan import commitment_for_step
from detente.verification.track_record import compliance_records

__all__ = [
    "MAX_HORIZON",
    "MAX_WORLDS",
    "PlanRequest",
    "ReplanResult",
    "StoredRevision",
    "get_plan",
    "list_plans",
    "make_commitment",
    "may_plan",
    "new_plan",
    "replan_verified",
    "step_links",
]

#: planning requests stay bounded in time: at most this many steps, these many worlds, two runs at once
MAX_HORIZON = 12
MAX_WORLDS = 400
_PLANNING = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class PlanRequest:
    horizon: int = 8
    threshold: float = 0.6
    max_cost: float = 0.6
    max_risk: float = 0.6
    min_verifiability: float = 0.5
    exclude: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= MAX_HORIZON:
            raise InputError(f"the horizon is 1 to {MAX_HORIZON} steps", field="horizon")
        if not 0.0 < self.threshold < 1.0:
            raise InputError("the goal threshold is strictly between 0 and 1", field="threshold")
        for name in ("max_cost", "max_risk", "min_verifiability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InputError("must be between 0 and 1", field=name)
        if not 0 <= self.seed <= 2**31 - 1:
            raise InputError("the seed is a whole number from 0", field="seed")


@dataclass(frozen=True)
class StoredRevision:
    """A plan revision with the label it is shown under."""

    revision: PlanRevision
    label: str


def _shown(cp: CbmProcess, settings_label: str, inputs_label: str) -> Label:
    return access.narrowest([Label.parse(settings_label), Label.parse(inputs_label)])


def may_plan(caller: Caller, cp: CbmProcess) -> bool:
    return allowed(caller, Action.PLAN, Resource.record(cp.id, Label.parse(cp.settings.plan_label)))


def _readable(caller: Caller, cp: CbmProcess, stored: cbm_db.StoredPlan, plan_label: str) -> StoredRevision | None:
    label = _shown(cp, plan_label, stored.inputs_label)
    if not allowed(caller, Action.READ, Resource.record(cp.id, label)):
        return None
    return StoredRevision(stored.revision, str(label))


def list_plans(app: AppContext, caller: Caller, cp: CbmProcess) -> list[StoredRevision]:
    """The revisions the caller may read, oldest first (a revision computed from records they may not read is left
    out, as if it did not exist)."""
    require(caller, Action.READ, Resource.record(cp.id, Label.parse(cp.settings.plan_label)))
    with app.db.transaction() as s:
        history = cbm_db.plan_history(s, cp.id)
    return [r for r in (_readable(caller, cp, h, cp.settings.plan_label) for h in history) if r is not None]


def get_plan(
    app: AppContext, caller: Caller, cp: CbmProcess, revision: int
) -> tuple[StoredRevision, StoredRevision | None]:
    """A revision and the one it superseded (for "what changed"), when the caller may read them."""
    by_number = {r.revision.revision: r for r in list_plans(app, caller, cp)}
    found = by_number.get(revision)
    if found is None:
        raise hidden()
    before = by_number.get(found.revision.supersedes) if found.revision.supersedes is not None else None
    return found, before


class _Slot:
    def __enter__(self) -> None:
        if not _PLANNING.acquire(timeout=10):
            raise Busy("the planner is busy; try again in a moment", retry_after=5)

    def __exit__(self, *exc: object) -> None:
        _PLANNING.release()


def _measure_labels(cp: CbmProcess, result: Plan) -> list[Label]:
    used = [s.measure_id for s in (*result.steps, *result.taken)] + list(result.constraints.exclude)
    return [label for m in used if (label := cp.measure_label(m)) is not None]


def _save(
    s: Session,
    app: AppContext,
    caller: Caller,
    cp: CbmProcess,
    result: Plan,
    state: TrustState,
    inputs: list[Label],
    *,
    trigger: ComplianceRecord | None = None,
    fallback: FallbackAction | None = None,
) -> StoredRevision:
    latest = cbm_db.latest_plan(s, cp.id)
    number = latest.revision.revision + 1 if latest else 1
    revision = PlanRevision(
        process=cp.key,
        revision=number,
        supersedes=latest.revision.revision if latest else None,
        plan=result,
        state=state,
        trigger=trigger,
        fallback=fallback,
    )
    inputs_label = access.narrowest([*inputs, *_measure_labels(cp, result)])
    cbm_db.add_plan(s, revision, process_id=cp.id, inputs_label=str(inputs_label), at=app.clock(), by=caller.user_id)
    settings, _ = cbm_db.get_settings(s, cp.id)
    return StoredRevision(revision, str(_shown(cp, settings.plan_label, str(inputs_label))))


def _trust_input(trust: CurrentTrust) -> Label:
    """What a plan reveals of the trust state it starts from: the beliefs, shown under the trust state's label — or
    nothing restricted while no judgement or record has been applied (every pair at the prior)."""
    return trust.inputs_label if trust.revision is None else trust.label


def _plan_write(caller: Caller, cp: CbmProcess) -> Label:
    ceiling = Label.parse(cp.settings.plan_label)
    require(caller, Action.READ, Resource.record(cp.id, ceiling))
    require(caller, Action.PLAN, Resource.record(cp.id, ceiling))
    return ceiling


def new_plan(app: AppContext, caller: Caller, cp: CbmProcess, req: PlanRequest) -> StoredRevision:
    """Run the planner (bounded) on the process's current trust state and save the plan as a new revision."""
    _plan_write(caller, cp)
    unknown = [m for m in req.exclude if m not in cp.catalogue]
    if unknown:
        raise InputError(f"not in the catalogue: {', '.join(unknown)}", field="exclude")
    with app.db.transaction() as s:
        trust = current_trust(s, cp)
    require(caller, Action.READ, Resource.record(cp.id, trust.label))
    constraints = Constraints(
        horizon=req.horizon,
        max_cost=req.max_cost,
        max_risk=req.max_risk,
        min_verifiability=req.min_verifiability,
        exclude=tuple(req.exclude),
    )
    with _Slot():
        result = plan(trust.state, cp.catalogue, Goal(threshold=req.threshold), constraints, _settings(req.seed))

    def attempt() -> StoredRevision:
        with app.db.transaction(write=True) as s:
            saved = _save(s, app, caller, cp, result, trust.state, [_trust_input(trust)])
            detail = {"plan_id": result.plan_id, "p_goal": round(result.p_goal, 4), "steps": len(result.steps),
                      "revision": saved.revision.revision}  # fmt: skip
            audit(s, app, caller, "cbm.plan", target=f"process:{cp.id}", process_id=cp.id, label=saved.label,
                  detail=detail)  # fmt: skip
            return saved

    return retrying(attempt)


def _settings(seed: int) -> SearchSettings:
    return SearchSettings(seed=seed, worlds=MAX_WORLDS)


def _key(record: ComplianceRecord) -> tuple[str, str, str]:
    return (record.commitment_id, record.party, record.time.isoformat())


def verified_records(s: Session, cp: CbmProcess) -> list[tuple[ComplianceRecord, Label]]:
    """The process's assessed commitments the caller may read, as trust-model records with their labels."""
    outcomes = vdb.assessed_outcomes(s, cp.id, cp.readable)
    labels = {(str(o.commitment_id), o.time.isoformat()): Label.parse(o.label) for o in outcomes}
    out = []
    for record in compliance_records(outcomes):
        if record.measure_id is not None and record.measure_id not in cp.catalogue:
            record = dataclasses.replace(record, measure_id=None, signal_strength=0.5)
        out.append((record, labels.get((record.commitment_id, record.time.isoformat()), Label.mediators_only())))
    return out


@dataclass(frozen=True)
class ReplanResult:
    revision: StoredRevision
    applied: int
    trust_moves: tuple[str, ...]


def replan_verified(app: AppContext, caller: Caller, cp: CbmProcess) -> ReplanResult:
    """Pull the verified compliance records not yet in the trust history, update trust, recompute the latest plan;
    the new trust revision and the new plan revision are saved together, or neither is."""
    ceiling = _plan_write(caller, cp)

    def attempt() -> ReplanResult:
        with app.db.transaction() as s:
            latest = cbm_db.latest_plan(s, cp.id)
            trust = current_trust(s, cp)
            records = verified_records(s, cp)
        if latest is None:
            raise InputError("make a first plan before replanning", field="plan")
        require(caller, Action.READ, Resource.record(cp.id, _shown(cp, str(ceiling), latest.inputs_label)))
        require(caller, Action.READ, Resource.record(cp.id, trust.label))
        seen = {_key(u.evidence) for u in trust.state.history if isinstance(u.evidence, ComplianceRecord)}
        fresh = [(r, label) for r, label in records if _key(r) not in seen and r.party in trust.state.parties]
        with _Slot():
            result = replan_many(latest.revision.plan, trust.state, [r for r, _ in fresh], cp.catalogue)
        record_labels = [label for _, label in fresh]
        trigger = fresh[-1][0] if fresh else None
        with app.db.transaction(write=True) as s:
            trust_inputs = access.narrowest([trust.inputs_label, *record_labels])
            if fresh:
                cbm_db.add_trust(s, cp.id, result.state, expected=trust.revision, inputs_label=str(trust_inputs),
                                 at=app.clock(), by=caller.user_id)  # fmt: skip
            settings, _ = cbm_db.get_settings(s, cp.id)
            shown_trust = access.narrowest([Label.parse(settings.trust_label), trust_inputs])
            saved = _save(s, app, caller, cp, result.plan, result.state,
                          [shown_trust, Label.parse(latest.inputs_label), *record_labels], trigger=trigger,
                          fallback=result.fallback)  # fmt: skip
            audit(s, app, caller, "cbm.replan", target=f"process:{cp.id}", process_id=cp.id, label=saved.label,
                  detail={"revision": saved.revision.revision, "records": len(fresh),
                          "p_goal": round(result.plan.p_goal, 4), "fallback": result.fallback is not None})  # fmt: skip
        return ReplanResult(revision=saved, applied=len(fresh), trust_moves=result.trust_moves)

    return retrying(attempt)


# --- commitments ---------------------------------------------------------------------------------------------


def step_links(app: AppContext, caller: Caller, cp: CbmProcess, revision: PlanRevision) -> dict[int, int]:
    """Position -> commitment id, for the commitments made from this revision's steps that the caller reads (proposals
    awaiting a party's acceptance included: the commitment page says where each stands)."""
    with app.db.transaction() as s:
        links = cbm_db.step_links(s, cp.id, revision.revision)
        if not links:
            return {}
        readable = {row.id for row in vdb.list_commitments(s, cp.id, cp.readable, in_force=False)}
    return {pos: cid for pos, cid in links.items() if cid in readable}


def step_labels(caller: Caller, cp: CbmProcess) -> list[str]:
    """The labels the caller may make a planned step a (proposed) commitment under."""
    return sorted(
        x
        for x in cp.creatable
        if allowed(caller, Action.PROPOSE, Resource.record(cp.id, Label.parse(x), owner_id=caller.user_id))
    )


def make_commitment(
    app: AppContext, caller: Caller, cp: CbmProcess, revision: int, position: int, *, label: str
) -> int:
    """ONE action: the planned step becomes a proposed commitment in the verification capability (logged, its
    checkpoint signed), linked back to the step, audited — all in one transaction. It binds the step's initiator once
    that party's representative accepts it.

    The commitment says only the step's public announcement and the measure's description, never the plan's
    reasons; so its label must be within the measure's (a process measure under a narrower label stays there)."""
    found, _ = get_plan(app, caller, cp, revision)
    label = cp.check_label(label)
    require(caller, Action.PROPOSE, Resource.record(cp.id, Label.parse(label), owner_id=caller.user_id))
    step = next((s for s in found.revision.plan.steps if s.position == position), None)
    if step is None:
        raise hidden()
    measure = cp.catalogue.get(step.measure_id) if step.measure_id in cp.catalogue else None
    measure_label = cp.measure_label(step.measure_id)
    if measure_label is not None and not access.within(Label.parse(label), measure_label):
        raise InputError(
            f"the measure {step.measure_id!r} is labelled {measure_label}: its commitment may not be shown wider",
            field="label",
        )
    days = max(1, measure.time_to_implement_days) if measure is not None else 30
    commitment = commitment_for_step(step, measure, label=label, due=app.clock() + timedelta(days=days))
    expires_at = expiry(app, {})
    with app.db.transaction(write=True) as s:
        if cbm_db.step_link(s, cp.id, revision, position) is not None:
            raise ConflictError("this step is already a commitment")
        made = propose_in(app, caller, s, cp.id, commitment, expires_at, change=Change.NEW, amends=None)
        cbm_db.add_step_link(s, cp.id, revision, position, made.id)
        audit(s, app, caller, "cbm.step_commitment", target=f"commitment:{made.id}", process_id=cp.id, label=label,
              detail={"revision": revision, "position": position, "commitment_id": made.id})  # fmt: skip
    cosign_quietly(app, caller, cp.id)  # after the commit: the witnesses cosign the new checkpoint
    return made.id
