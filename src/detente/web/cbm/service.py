"""The CBM operations of the workbench, once for pages and API: each asks :mod:`.policy` (hence
:func:`detente.access.decide`), then calls the CBM stores, the planner and the verification services."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from detente import access
from detente.access import Action, Label
from detente.cbm import (
    AnalystAction,
    AnalystInput,
    Catalogue,
    CbmSettings,
    ComplianceRecord,
    Constraints,
    Goal,
    Measure,
    PlanRevision,
    PlanStore,
    ProcessStore,
    SearchSettings,
    StoredMeasure,
    TrustState,
    plan,
    replan_many,
)
from detente.cbm.process_store import extend_parties
from detente.db import processes as proc_db
from detente.db.audit import record_audit
from detente.db.models import Process
from detente.errors import ConflictError, InputError
from detente.web.cbm import policy
from detente.web.cbm.catalogue import new_measure, user_catalogue
from detente.web.cbm.commitment import commitment_for_step
from detente.web.errors import RateLimited, not_found
from detente.web.security import Principal, WebContext

__all__ = [
    "MAX_HORIZON",
    "CbmProcess",
    "PlanRequest",
    "add_measure",
    "analyst_input",
    "get_measure",
    "get_plan",
    "list_plans",
    "make_commitment",
    "new_plan",
    "open_process",
    "replan_verified",
    "set_labels",
    "step_links",
    "trust_view",
]

#: planning requests stay bounded in time: at most this many steps, these many worlds, two runs at once
MAX_HORIZON = 12
MAX_WORLDS = 400
_PLANNING = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class CbmProcess:
    """A process as the CBM pages see it, for one principal."""

    id: int
    name: str
    fictional: bool
    parties: dict[int, str]
    readable: frozenset[str]
    creatable: frozenset[str]
    settings: CbmSettings
    role: str | None
    catalogue: Catalogue
    process_measures: dict[str, str]  # id -> label
    stored: tuple[StoredMeasure, ...]

    @property
    def key(self) -> str:
        return str(self.id)

    @property
    def party_names(self) -> tuple[str, ...]:
        return tuple(self.parties.values())

    def labels(self) -> list[str]:
        """Every label a record of this process can carry, in a stable order."""
        return sorted(str(x) for x in access.all_labels(self.parties))

    def check_label(self, label: str) -> str:
        text = str(Label.parse(label))
        if text not in self.labels():
            raise InputError(f"{label!r} is not a label of this process", field="label")
        return text


def get_measure(cp: CbmProcess, measure_id: str) -> Measure:
    """A measure of the principal's catalogue; anything else is the one "not found" (same words for a measure
    that does not exist and one under a label the principal may not read)."""
    if measure_id not in cp.catalogue:
        raise not_found()
    return cp.catalogue.get(measure_id)


def _stores(ctx: WebContext) -> tuple[ProcessStore, PlanStore]:
    return ProcessStore(ctx.workspace), PlanStore(ctx.workspace)


def open_process(ctx: WebContext, p: Principal, process_id: int) -> CbmProcess:
    """Decide ``read`` on the process (a non-member is told "not found", as for a missing process)."""
    policy.require_label(p, Action.READ, process_id)
    with ctx.db.transaction() as s:
        process = s.get(Process, process_id)
        if process is None:
            raise not_found()
        parties = {party.id: party.name for party in proc_db.list_parties(s, process_id)}
        name, fictional = process.name, process.fictional
    store, _ = _stores(ctx)
    readable = access.readable_label_texts(p.subject, process_id, parties)
    stored = tuple(store.measures(str(process_id)))
    catalogue, labels = user_catalogue(stored, readable)
    membership = p.subject.membership(process_id)
    return CbmProcess(
        id=process_id,
        name=name,
        fictional=fictional,
        parties=parties,
        readable=readable,
        creatable=frozenset(str(x) for x in access.creatable_labels(p.subject, process_id, parties)),
        settings=store.settings(str(process_id)),
        role=membership.role.value if membership else None,
        catalogue=catalogue,
        process_measures=labels,
        stored=stored,
    )


def _audit(ctx: WebContext, p: Principal, action: str, process_id: int, detail: Mapping[str, Any], ip: str) -> None:
    with ctx.db.transaction() as s:
        record_audit(
            s,
            action,
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{process_id}",
            detail=dict(detail),
            ip=ip,
            clock=ctx.clock,
        )


# --- measures ------------------------------------------------------------------------------------------------


def add_measure(
    ctx: WebContext, p: Principal, cp: CbmProcess, fields: Mapping[str, Any], label: str, ip: str
) -> Measure:
    label = cp.check_label(label)
    policy.require_role(p, cp.id)
    policy.require_label(p, Action.CREATE, cp.id, label)
    stored = new_measure(cp.catalogue, fields, label, p.user_id, ctx.clock())
    with ctx.db.transaction() as s:
        record_audit(
            s,
            "cbm.measure_added",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{cp.id}",
            detail={"measure": stored.measure.id, "label": label},
            ip=ip,
            clock=ctx.clock,
        )
        ProcessStore(ctx.workspace).add_measure(cp.key, stored)
    return stored.measure


# --- trust ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustView:
    state: TrustState
    revision: int | None
    may_input: bool


def _current_trust(ctx: WebContext, cp: CbmProcess) -> tuple[int | None, TrustState]:
    if len(cp.parties) < 2:
        raise InputError("the trust model needs a process with at least two parties", field="parties")
    found = ProcessStore(ctx.workspace).trust(cp.key)
    if found is None:
        return None, TrustState.start(cp.party_names, prior=0.5)
    return found[0], extend_parties(found[1], cp.party_names)


def trust_view(ctx: WebContext, p: Principal, cp: CbmProcess) -> TrustView:
    label = cp.settings.trust_label
    policy.require_label(p, Action.READ, cp.id, label)
    revision, state = _current_trust(ctx, cp)
    membership = p.subject.membership(cp.id)
    may_input = (
        membership is not None
        and membership.role in policy.PLANNING_ROLES
        and policy.may(p, Action.CREATE, cp.id, label)
    )
    return TrustView(state=state, revision=revision, may_input=may_input)


def analyst_input(
    ctx: WebContext,
    p: Principal,
    cp: CbmProcess,
    *,
    truster: str,
    trustee: str,
    action: str,
    value: float,
    rationale: str,
    ip: str,
) -> TrustState:
    """Set or nudge one pair's belief with a rationale; kept in the trust history and in the audit trail."""
    label = cp.settings.trust_label
    policy.require_label(p, Action.READ, cp.id, label)
    policy.require_role(p, cp.id)
    policy.require_label(p, Action.CREATE, cp.id, label)
    revision, state = _current_trust(ctx, cp)
    if action not in ("set", "nudge"):
        raise InputError("action is 'set' or 'nudge'", field="action")
    evidence = AnalystInput(
        truster=truster,
        trustee=trustee,
        action=AnalystAction(action),
        value=value,
        rationale=rationale,
        author=p.username,
        time=ctx.clock(),
    )
    after = state.apply(evidence)
    detail = {"truster": truster, "trustee": trustee, "action": action, "value": value, "rationale": rationale}
    detail["before"] = round(state.belief(truster, trustee), 6)
    detail["after"] = round(after.belief(truster, trustee), 6)
    with ctx.db.transaction() as s:
        record_audit(
            s,
            "cbm.trust_input",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{cp.id}",
            detail=detail,
            ip=ip,
            clock=ctx.clock,
        )
        ProcessStore(ctx.workspace).save_trust(cp.key, after, expected=revision)
    return after


# --- plans ---------------------------------------------------------------------------------------------------


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


def _plan_read(p: Principal, cp: CbmProcess) -> None:
    policy.require_label(p, Action.READ, cp.id, cp.settings.plan_label)


def _plan_write(p: Principal, cp: CbmProcess) -> None:
    _plan_read(p, cp)
    policy.require_role(p, cp.id)
    policy.require_label(p, Action.CREATE, cp.id, cp.settings.plan_label)


def may_plan(p: Principal, cp: CbmProcess) -> bool:
    membership = p.subject.membership(cp.id)
    return (
        membership is not None
        and membership.role in policy.PLANNING_ROLES
        and policy.may(p, Action.CREATE, cp.id, cp.settings.plan_label)
    )


def list_plans(ctx: WebContext, p: Principal, cp: CbmProcess) -> list[PlanRevision]:
    _plan_read(p, cp)
    return PlanStore(ctx.workspace).history(cp.key)


def get_plan(ctx: WebContext, p: Principal, cp: CbmProcess, revision: int) -> tuple[PlanRevision, PlanRevision | None]:
    """A revision and the one it superseded (for "what changed")."""
    _plan_read(p, cp)
    history = PlanStore(ctx.workspace).history(cp.key)
    by_number = {r.revision: r for r in history}
    found = by_number.get(revision)
    if found is None:
        raise not_found()
    return found, by_number.get(found.supersedes) if found.supersedes is not None else None


class _Slot:
    def __enter__(self) -> None:
        if not _PLANNING.acquire(timeout=10):
            raise RateLimited("the planner is busy; try again in a moment", headers={"Retry-After": "5"})

    def __exit__(self, *exc: object) -> None:
        _PLANNING.release()


def new_plan(ctx: WebContext, p: Principal, cp: CbmProcess, req: PlanRequest, ip: str) -> PlanRevision:
    _plan_write(p, cp)
    _, state = _current_trust(ctx, cp)
    unknown = [m for m in req.exclude if m not in cp.catalogue]
    if unknown:
        raise InputError(f"not in the catalogue: {', '.join(unknown)}", field="exclude")
    constraints = Constraints(
        horizon=req.horizon,
        max_cost=req.max_cost,
        max_risk=req.max_risk,
        min_verifiability=req.min_verifiability,
        exclude=tuple(req.exclude),
    )
    with _Slot():
        result = plan(state, cp.catalogue, Goal(threshold=req.threshold), constraints, _settings(req.seed))
    detail = {"plan_id": result.plan_id, "p_goal": round(result.p_goal, 4), "steps": len(result.steps)}
    with ctx.db.transaction() as s:
        revision = PlanStore(ctx.workspace).save(cp.key, result, state)
        record_audit(
            s,
            "cbm.plan",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{cp.id}",
            detail={**detail, "revision": revision.revision},
            ip=ip,
            clock=ctx.clock,
        )
    return revision


def _settings(seed: int) -> SearchSettings:
    return SearchSettings(seed=seed, worlds=MAX_WORLDS)


def _key(record: ComplianceRecord) -> tuple[str, str, str]:
    return (record.commitment_id, record.party, record.time.isoformat())


def verified_records(ctx: WebContext, p: Principal, cp: CbmProcess) -> list[ComplianceRecord]:
    """The process's assessed commitments the principal may read, as trust-model records."""
    from detente.db.verification import assessed_outcomes
    from detente.verification.track_record import compliance_records

    with ctx.db.transaction() as s:
        outcomes = assessed_outcomes(s, cp.id, cp.readable)
    records = []
    for record in compliance_records(outcomes):
        if record.measure_id is not None and record.measure_id not in cp.catalogue:
            record = dataclasses.replace(record, measure_id=None, signal_strength=0.5)
        records.append(record)
    return records


@dataclass(frozen=True)
class ReplanResult:
    revision: PlanRevision
    applied: int
    trust_moves: tuple[str, ...]


def replan_verified(ctx: WebContext, p: Principal, cp: CbmProcess, ip: str) -> ReplanResult:
    """Pull the verified compliance records not yet in the trust history, update trust, recompute the latest plan."""
    _plan_write(p, cp)
    latest = PlanStore(ctx.workspace).latest(cp.key)
    if latest is None:
        raise InputError("make a first plan before replanning", field="plan")
    trust_revision, state = _current_trust(ctx, cp)
    seen = {_key(u.evidence) for u in state.history if isinstance(u.evidence, ComplianceRecord)}
    fresh = [r for r in verified_records(ctx, p, cp) if _key(r) not in seen and r.party in state.parties]
    with _Slot():
        result = replan_many(latest.plan, state, fresh, cp.catalogue)
    trigger = fresh[-1] if fresh else None
    with ctx.db.transaction() as s:
        if fresh:
            ProcessStore(ctx.workspace).save_trust(cp.key, result.state, expected=trust_revision)
        revision = PlanStore(ctx.workspace).save(cp.key, result.plan, result.state, trigger, result.fallback)
        record_audit(
            s,
            "cbm.replan",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{cp.id}",
            detail={
                "revision": revision.revision,
                "records": len(fresh),
                "p_goal": round(result.plan.p_goal, 4),
                "fallback": result.fallback is not None,
            },
            ip=ip,
            clock=ctx.clock,
        )
    return ReplanResult(revision=revision, applied=len(fresh), trust_moves=result.trust_moves)


# --- commitments ---------------------------------------------------------------------------------------------


def step_links(ctx: WebContext, p: Principal, cp: CbmProcess, revision: PlanRevision) -> dict[int, int]:
    """Position -> commitment id, for the commitments made from this revision's steps that the principal reads."""
    from detente.db.verification import list_commitments

    store = ProcessStore(ctx.workspace)
    links = {s.position: cid for s in revision.plan.steps if (cid := store.link(cp.key, revision.revision, s.position))}
    if not links:
        return {}
    with ctx.db.transaction() as s:
        readable = {row.id for row in list_commitments(s, cp.id, cp.readable)}
    return {pos: cid for pos, cid in links.items() if cid in readable}


def make_commitment(
    ctx: WebContext,
    p: Principal,
    cp: CbmProcess,
    revision: int,
    position: int,
    *,
    label: str,
    ip: str,
) -> int:
    """ONE action: the planned step becomes a commitment in the verification module (logged), linked back."""
    from detente.db.verification import create_commitment, ensure_log
    from detente.verification.keys import KeyVault, load_vault_secret

    found, _ = get_plan(ctx, p, cp, revision)
    label = cp.check_label(label)
    policy.require_label(p, Action.CREATE, cp.id, label)
    step = next((s for s in found.plan.steps if s.position == position), None)
    if step is None:
        raise not_found()
    store = ProcessStore(ctx.workspace)
    if store.link(cp.key, revision, position) is not None:
        raise ConflictError("this step is already a commitment")
    measure = cp.catalogue.get(step.measure_id) if step.measure_id in cp.catalogue else None
    days = max(1, measure.time_to_implement_days) if measure is not None else 30
    commitment = commitment_for_step(step, measure, label=label, due=ctx.clock() + timedelta(days=days))
    vault = KeyVault(load_vault_secret(Path(ctx.workspace)))
    with ctx.db.transaction() as s:
        ensure_log(s, cp.id, vault, clock=ctx.clock)
        row = create_commitment(s, cp.id, commitment, actor_id=p.user_id, clock=ctx.clock)
        record_audit(
            s,
            "cbm.step_commitment",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{cp.id}",
            detail={"revision": revision, "position": position, "commitment_id": row.id, "label": label},
            ip=ip,
            clock=ctx.clock,
        )
        store.save_link(cp.key, revision, position, row.id)
        return row.id


# --- labels --------------------------------------------------------------------------------------------------


def set_labels(
    ctx: WebContext, p: Principal, cp: CbmProcess, *, trust_label: str | None, plan_label: str | None, ip: str
) -> CbmSettings:
    """Change who reads the trust state and the plans: ``update`` on the current label, ``create`` with the new."""
    current = cp.settings
    changes: dict[str, str] = {}
    for field, new in (("trust_label", trust_label), ("plan_label", plan_label)):
        if new is None:
            continue
        new = cp.check_label(new)
        policy.require_label(p, Action.UPDATE, cp.id, getattr(current, field))
        policy.require_label(p, Action.CREATE, cp.id, new)
        changes[field] = new
    updated = current.model_copy(update=changes)
    with ctx.db.transaction() as s:
        record_audit(
            s,
            "cbm.labels",
            actor_id=p.user_id,
            actor_name=p.username,
            target=f"process:{cp.id}",
            detail={"before": current.model_dump(), "after": updated.model_dump()},
            ip=ip,
            clock=ctx.clock,
        )
        ProcessStore(ctx.workspace).save_settings(cp.key, updated)
    return updated
