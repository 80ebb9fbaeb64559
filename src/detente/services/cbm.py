"""The CBM use cases of a process: its catalogue, its own measures, its trust state and analysts' judgements, and who
may read them. Plans and replans are in :mod:`detente.services.cbm_plans`.

Labels flow into derived data: a trust revision records ``inputs_label``, the narrowest label of what it was computed
from (analysts' judgements under the process's trust label, compliance records under their commitment's and
assessment's labels). It is shown under the narrower of that and the process's setting, and the setting cannot be
widened past it (``detente.access.decide_derived``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.cbm import (
    AnalystAction,
    AnalystInput,
    Catalogue,
    CbmSettings,
    Measure,
    StoredMeasure,
    TrustState,
    extend_parties,
)
from detente.cbm.process_catalogue import new_measure, user_catalogue
from detente.db import cbm as cbm_db
from detente.db import processes as proc_db
from detente.db.models import Process
from detente.errors import InputError
from detente.services.audit import audit
from detente.services.authz import allowed, hidden, label_of, process_label, require, require_derived
from detente.services.caller import Caller
from detente.services.concurrency import retrying
from detente.services.context import AppContext

__all__ = [
    "CbmPermissions",
    "CbmProcess",
    "CurrentTrust",
    "TrustView",
    "add_measure",
    "analyst_input",
    "current_trust",
    "get_measure",
    "open_process",
    "permissions",
    "set_labels",
    "trust_view",
]


@dataclass(frozen=True)
class CbmProcess:
    """A process as the CBM pages see it, for one caller."""

    id: int
    name: str
    fictional: bool
    parties: dict[int, str]
    readable: frozenset[str]
    creatable: frozenset[str]
    settings: CbmSettings
    settings_version: int
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

    def check_label(self, label: str, field: str = "label") -> str:
        return str(process_label(label, self.parties, field))

    def measure_label(self, measure_id: str) -> Label | None:
        """The label of a process measure (None for a built-in one, which is public)."""
        text = self.process_measures.get(measure_id)
        return Label.parse(text) if text is not None else None


@dataclass(frozen=True)
class CbmPermissions:
    """What the caller may do on the CBM pages of a process (each answer from ``access``)."""

    plannable: list[str]  # labels the caller may make planning judgements under (add measures with)
    may_plan: bool  # under the process's plan label
    may_relabel_trust: bool
    may_relabel_plans: bool
    may_read_trust: bool = True  # the trust page (its label); a tab or link the caller may not follow is not shown
    may_read_plans: bool = True


def permissions(caller: Caller, cp: CbmProcess) -> CbmPermissions:
    return CbmPermissions(
        plannable=[x for x in cp.labels() if allowed(caller, Action.PLAN, _record(cp.id, x))],
        may_plan=allowed(caller, Action.PLAN, _record(cp.id, cp.settings.plan_label)),
        may_relabel_trust=allowed(caller, Action.UPDATE, _record(cp.id, cp.settings.trust_label)),
        may_relabel_plans=allowed(caller, Action.UPDATE, _record(cp.id, cp.settings.plan_label)),
        may_read_trust=allowed(caller, Action.READ, _record(cp.id, cp.settings.trust_label)),
        may_read_plans=allowed(caller, Action.READ, _record(cp.id, cp.settings.plan_label)),
    )


def get_measure(cp: CbmProcess, measure_id: str) -> Measure:
    """A measure of the caller's catalogue; anything else is the one "not found" (the same words for a measure that
    does not exist and one under a label the caller may not read)."""
    if measure_id not in cp.catalogue:
        raise hidden()
    return cp.catalogue.get(measure_id)


def _load(s: Session, caller: Caller, process_id: int) -> CbmProcess:
    require(caller, Action.READ, Resource.process(process_id))
    process = s.get(Process, process_id)
    if process is None:
        raise hidden()
    parties = {party.id: party.name for party in proc_db.list_parties(s, process_id)}
    readable = access.readable_label_texts(caller.subject, process_id, parties)
    stored = tuple(cbm_db.list_measures(s, process_id))
    catalogue, labels = user_catalogue(stored, readable)
    settings, version = cbm_db.get_settings(s, process_id)
    membership = caller.subject.membership(process_id)
    return CbmProcess(
        id=process_id,
        name=process.name,
        fictional=process.fictional,
        parties=parties,
        readable=readable,
        creatable=frozenset(str(x) for x in access.creatable_labels(caller.subject, process_id, parties)),
        settings=settings,
        settings_version=version,
        role=membership.role.value if membership else None,
        catalogue=catalogue,
        process_measures=labels,
        stored=stored,
    )


def open_process(app: AppContext, caller: Caller, process_id: int) -> CbmProcess:
    """Decide ``read`` on the process (a non-member is told "not found", as for a missing process)."""
    with app.db.transaction() as s:
        return _load(s, caller, process_id)


def _record(process_id: int, label: str) -> Resource:
    return Resource.record(process_id, Label.parse(label))


# --- measures ------------------------------------------------------------------------------------------------


def add_measure(app: AppContext, caller: Caller, cp: CbmProcess, fields: Mapping[str, Any], label: str) -> Measure:
    """Add a measure to the process's catalogue under ``label`` (the process's planners)."""
    label = cp.check_label(label)
    require(caller, Action.PLAN, _record(cp.id, label))
    stored = new_measure(cp.catalogue, fields, label, caller.user_id or 0, app.clock())
    stored = stored.model_copy(update={"added_by": caller.user_id})
    with app.db.transaction(write=True) as s:
        cbm_db.add_measure(s, cp.id, stored)
        audit(s, app, caller, "cbm.measure_added", target=f"process:{cp.id}", process_id=cp.id, label=label,
              detail={"measure": stored.measure.id})  # fmt: skip
    return stored.measure


# --- trust ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentTrust:
    revision: int | None
    state: TrustState
    inputs_label: Label
    label: Label  # what it is shown under: the narrower of the setting and the inputs


def current_trust(s: Session, cp: CbmProcess, settings: CbmSettings | None = None) -> CurrentTrust:
    if len(cp.parties) < 2:
        raise InputError("the trust model needs a process with at least two parties", field="parties")
    ceiling = Label.parse((settings or cp.settings).trust_label)
    found = cbm_db.latest_trust(s, cp.id)
    if found is None:
        return CurrentTrust(None, TrustState.start(cp.party_names, prior=0.5), Label.public(), ceiling)
    inputs = Label.parse(found.inputs_label)
    state = extend_parties(found.state, cp.party_names)
    return CurrentTrust(found.revision, state, inputs, access.narrowest([ceiling, inputs]))


@dataclass(frozen=True)
class TrustView:
    state: TrustState
    revision: int | None
    label: str
    may_input: bool


def trust_view(app: AppContext, caller: Caller, cp: CbmProcess) -> TrustView:
    with app.db.transaction() as s:
        current = current_trust(s, cp)
    require(caller, Action.READ, Resource.record(cp.id, current.label))
    may_input = allowed(caller, Action.PLAN, _record(cp.id, cp.settings.trust_label))
    return TrustView(state=current.state, revision=current.revision, label=str(current.label), may_input=may_input)


def analyst_input(
    app: AppContext,
    caller: Caller,
    cp: CbmProcess,
    *,
    truster: str,
    trustee: str,
    action: str,
    value: float,
    rationale: str,
) -> TrustState:
    """Set or nudge one pair's belief with a rationale; kept in the trust history and in the audit trail."""
    if action not in ("set", "nudge"):
        raise InputError("action is 'set' or 'nudge'", field="action")

    def attempt() -> TrustState:
        with app.db.transaction(write=True) as s:
            settings, _ = cbm_db.get_settings(s, cp.id)
            current = current_trust(s, cp, settings)
            require(caller, Action.READ, Resource.record(cp.id, current.label))
            ceiling = Label.parse(settings.trust_label)
            require(caller, Action.PLAN, Resource.record(cp.id, ceiling))
            evidence = AnalystInput(
                truster=truster,
                trustee=trustee,
                action=AnalystAction(action),
                value=value,
                rationale=rationale,
                author=caller.username,
                time=app.clock(),
            )
            after = current.state.apply(evidence)
            inputs = access.narrowest([current.inputs_label, ceiling])
            revision = cbm_db.add_trust(
                s, cp.id, after, expected=current.revision, inputs_label=str(inputs), at=app.clock(),
                by=caller.user_id,
            )  # fmt: skip
            detail = {
                "truster": truster,
                "trustee": trustee,
                "action": action,
                "value": value,
                "rationale": rationale,
                "before": round(current.state.belief(truster, trustee), 6),
                "after": round(after.belief(truster, trustee), 6),
                "revision": revision,
            }
            audit(s, app, caller, "cbm.trust_input", target=f"process:{cp.id}", process_id=cp.id,
                  label=access.narrowest([inputs, ceiling]), detail=detail)  # fmt: skip
            return after

    return retrying(attempt)


# --- labels --------------------------------------------------------------------------------------------------


def set_labels(
    app: AppContext, caller: Caller, cp: CbmProcess, *, trust_label: str | None, plan_label: str | None
) -> CbmSettings:
    """Change who reads the trust state and the plans: ``update`` on the current label, ``create`` with the new,
    and never wider than what the latest trust state or plan was computed from."""
    with app.db.transaction(write=True) as s:
        current, version = cbm_db.get_settings(s, cp.id)
        changes: dict[str, str] = {}
        for field, new in (("trust_label", trust_label), ("plan_label", plan_label)):
            if new is None:
                continue
            new = cp.check_label(new, field)
            require(caller, Action.UPDATE, _record(cp.id, getattr(current, field)))
            require(caller, Action.CREATE, _record(cp.id, new))
            if field == "trust_label":
                trust = cbm_db.latest_trust(s, cp.id)
                inputs = [Label.parse(trust.inputs_label)] if trust else []
            else:
                plan = cbm_db.latest_plan(s, cp.id)
                inputs = [Label.parse(plan.inputs_label)] if plan else []
            require_derived(Label.parse(new), inputs, field=field)
            changes[field] = new
        updated = current.model_copy(update=changes)
        cbm_db.save_settings(s, cp.id, updated, expected=version, at=app.clock())
        shown = access.narrowest(label_of(x) for x in (*current.model_dump().values(), *updated.model_dump().values()))
        audit(s, app, caller, "cbm.labels", target=f"process:{cp.id}", process_id=cp.id, label=shown,
              detail={"before": current.model_dump(), "after": updated.model_dump()})  # fmt: skip
        return updated
