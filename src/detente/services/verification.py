"""The verification use cases that write: commitments, reports with evidence, assessments, violation procedures,
escalations, and the process's log. Each asks :mod:`detente.access`, then stores the record, its log entry, a
checkpoint signed at the new log size and the audit event in **one** transaction, so a record can be proved as soon as
it is written and a crash leaves all of it or none of it.

Records the caller may not read answer exactly like missing ones (the one "not found").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.db import ledger as ldb
from detente.db import verification as vdb
from detente.db.models import Process
from detente.db.processes import list_parties
from detente.db.verification_models import CommitmentRow, ReportRow, ViolationRow
from detente.errors import AccessDenied, DetenteError, InputError, NotFoundError, NotInForce
from detente.services.audit import audit
from detente.services.authz import allowed, hidden, label_of, process_label, require
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.services.verification_models import (
    AssessmentOut,
    CheckpointOut,
    ReportOut,
    ViolationOut,
    assessment_out,
    report_out,
)
from detente.services.witnesses import cosign_quietly
from detente.text import check_text
from detente.verification.consent import Change, counts, effective_state
from detente.verification.evidence import EvidenceFile
from detente.verification.inputs import assessment_from, optional_id, parse_time
from detente.verification.reports import Report
from detente.verification.violations import overdue

P = ParamSpec("P")
R = TypeVar("R")


def then_cosign(
    use_case: Callable[Concatenate[AppContext, Caller, int, P], R],
) -> Callable[Concatenate[AppContext, Caller, int, P], R]:
    """After the use case's transaction has committed, ask the log's witnesses to cosign the new checkpoint
    (best effort, short timeouts: a witness that is down never fails the write; ``detente ledger cosign`` retries)."""

    @wraps(use_case)
    def run(app: AppContext, caller: Caller, process_id: int, /, *args: P.args, **kwargs: P.kwargs) -> R:
        result = use_case(app, caller, process_id, *args, **kwargs)
        cosign_quietly(app, caller, process_id)
        return result

    return run


__all__ = [
    "MAX_FILES",
    "ProcessInfo",
    "allege",
    "assess",
    "check_record",
    "escalate_overdue",
    "file_report",
    "in_force",
    "info_in",
    "init_log",
    "logged",
    "may_file_report",
    "move",
    "process_info",
    "readable_commitment",
    "readable_report",
    "readable_violation",
    "sign_checkpoint",
    "sign_in_transaction",
    "then_cosign",
    "violation_out",
]

#: evidence files per report
MAX_FILES = 5


@dataclass(frozen=True)
class ProcessInfo:
    """A process as the verification pages see it, for one caller."""

    id: int
    name: str
    fictional: bool
    party_names: dict[int, str]
    readable: frozenset[str]
    creatable: list[str]
    #: the labels the caller may propose commitments under (``access`` on ``PROPOSE``)
    proposable: list[str] = dataclasses.field(default_factory=list)

    @property
    def parties(self) -> list[str]:
        return list(self.party_names.values())

    @property
    def may_write(self) -> bool:
        return bool(self.creatable)

    @property
    def may_propose(self) -> bool:
        return bool(self.proposable)

    def labels(self) -> list[str]:
        return sorted(str(x) for x in access.all_labels(self.party_names))

    def check_label(self, text: str) -> Label:
        """A label of this process (``party:<id>`` must name one of its parties)."""
        return process_label(text, self.party_names)


def info_in(s: Session, caller: Caller, process_id: int) -> ProcessInfo:
    require(caller, Action.READ, Resource.process(process_id))
    process = s.get(Process, process_id)
    if process is None:
        raise hidden()
    names = {party.id: party.name for party in list_parties(s, process_id)}
    return ProcessInfo(
        id=process_id,
        name=process.name,
        fictional=process.fictional,
        party_names=names,
        readable=access.readable_label_texts(caller.subject, process_id, names),
        creatable=sorted(str(x) for x in access.creatable_labels(caller.subject, process_id, names)),
        proposable=sorted(str(x) for x in access.all_labels(names)
                          if allowed(caller, Action.PROPOSE, Resource.record(process_id, x, owner_id=caller.user_id))),
    )  # fmt: skip


def process_info(app: AppContext, caller: Caller, process_id: int) -> ProcessInfo:
    with app.db.transaction() as s:
        return info_in(s, caller, process_id)


def check_record(caller: Caller, action: Action, process_id: int, label: str, owner: int | None = None) -> None:
    require(caller, action, Resource.record(process_id, label_of(label), owner_id=owner))


def readable_commitment(s: Session, caller: Caller, process_id: int, commitment_id: int) -> CommitmentRow:
    try:
        row = vdb.get_commitment(s, process_id, commitment_id)
    except NotFoundError:
        raise hidden() from None
    check_record(caller, Action.READ, process_id, row.label, row.created_by)
    return row


def in_force(s: Session, app: AppContext, caller: Caller, process_id: int, commitment_id: int) -> CommitmentRow:
    """A commitment the caller may read that is in force (every bound party accepted it; not amended or withdrawn
    since): only these are assessed, alleged against, amended or withdrawn."""
    row = readable_commitment(s, caller, process_id, commitment_id)
    state = effective_state(row.state, row.expires_at, app.clock())
    if not counts(row.change, state.value):
        what = "a withdrawal request" if row.change == Change.WITHDRAWAL else state.value
        raise NotInForce(f"commitment {row.id} is {what}, not in force")
    return row


def readable_report(s: Session, caller: Caller, process_id: int, report_id: int) -> ReportRow:
    row = s.get(ReportRow, report_id)
    if row is None or row.process_id != process_id:
        raise hidden()
    check_record(caller, Action.READ, process_id, row.label, row.author_id)
    return row


def readable_violation(
    s: Session, caller: Caller, process_id: int, violation_id: int, action: Action = Action.READ
) -> ViolationRow:
    row = s.get(ViolationRow, violation_id)
    if row is None or row.process_id != process_id:
        raise hidden()
    check_record(caller, Action.READ, process_id, row.label, row.created_by)
    if action is not Action.READ:
        check_record(caller, action, process_id, row.label, row.created_by)
    return row


def logged(app: AppContext, s: Session, process_id: int) -> None:
    """The process's log (created the first time) — before a write."""
    ldb.ensure_log(s, process_id, app.vault(), clock=app.clock)


def sign_in_transaction(app: AppContext, s: Session, process_id: int) -> str:
    """Sign a checkpoint at the log's new size, in the writing use case's transaction."""
    return ldb.sign_log_checkpoint(s, ldb.get_log(s, process_id).id, app.vault(), clock=app.clock)


def violation_out(s: Session, app: AppContext, row: ViolationRow) -> ViolationOut:
    state = vdb.violation_state(s, row.id)
    late = overdue(state, app.clock())
    procedure = vdb.procedure_of(s, row.process_id)
    return ViolationOut(
        id=row.id,
        process_id=row.process_id,
        commitment_id=row.commitment_id,
        label=row.label,
        summary=row.summary,
        state=state.state,
        final=state.final,
        entered_at=state.entered_at,
        due_at=state.due_at,
        overdue_by_days=None if late is None else round(late / timedelta(days=1), 1),
        escalations=state.escalations,
        allowed=procedure.allowed(state.state) + ([] if late is None else ["escalate"]),
        created_by=row.created_by,
        created_at=row.created_at,
    )


# --- writes --------------------------------------------------------------------------------------------------------


def may_file_report(app: AppContext, caller: Caller, process_id: int) -> None:
    """Refuse, before anything of the report is read, a caller who could not file one under any label: not a user
    (a report is signed by its author), not a member (the one "not found"), or a member whose role creates no
    record. The web shells ask this before they read an upload; :func:`file_report` still decides on the label."""
    if caller.user_id is None:
        raise InputError("a report is signed by its author: act as a user", field="user")
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
    for label in access.all_labels(info.party_names):
        if allowed(caller, Action.CREATE, Resource.record(process_id, label, owner_id=caller.user_id)):
            return
    check_record(caller, Action.CREATE, process_id, str(Label.public()), caller.user_id)  # raises its denial
    raise AccessDenied("you may not file reports in this process")


@then_cosign
def file_report(
    app: AppContext,
    caller: Caller,
    process_id: int,
    *,
    narrative: str,
    place: str,
    time: str | None,
    label: str,
    commitment_id: str | int | None,
    uploads: Sequence[tuple[str, bytes]],
) -> ReportOut:
    """File a report signed with the caller's key, with evidence files (checked and stored by content).

    The files are stored first, by content (a crash leaves at most an unreferenced file, never half a record); the
    report, its entry, the checkpoint and the audit event are then written in one transaction."""
    if len(uploads) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} evidence files per report", field="files")
    # a multipart form's text is not seen by the web edge's text guard: check it here, naming each field
    for field, text in (("narrative", narrative), ("place", place), ("time", time or ""), ("label", label)):
        check_text(text, field)
    for name, _ in uploads:
        check_text(name, "files")
    if caller.user_id is None:
        raise InputError("a report is signed by its author: act as a user", field="user")
    cid = optional_id(commitment_id, "commitment_id")
    when = parse_time(time, "time", default=app.clock())
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        parsed = info.check_label(label)
        check_record(caller, Action.CREATE, process_id, str(parsed), caller.user_id)
        if cid is not None:
            readable_commitment(s, caller, process_id, cid)
    store = app.evidence(process_id)
    files: tuple[EvidenceFile, ...] = tuple(store.put(data, name) for name, data in uploads)
    report = Report(
        author=caller.username,
        time=when,
        place=place.strip(),
        narrative=narrative,
        label=str(parsed),
        commitment_id=cid,
        evidence=files,
    )
    with app.db.transaction(write=True) as s:
        info_in(s, caller, process_id)
        check_record(caller, Action.CREATE, process_id, str(parsed), caller.user_id)
        logged(app, s, process_id)
        row = vdb.file_report(s, process_id, report, author_id=caller.user_id, vault=app.vault(), clock=app.clock)
        sign_in_transaction(app, s, process_id)
        audit(s, app, caller, "report.filed", target=f"report:{row.id}", process_id=process_id, label=parsed,
              detail={"log_index": row.log_index, "evidence": [f.sha256 for f in files]})  # fmt: skip
        return report_out(row)


@then_cosign
def assess(
    app: AppContext,
    caller: Caller,
    process_id: int,
    commitment_id: int,
    *,
    period: str,
    status: str,
    rationale: str,
    label: str,
    report_ids: Sequence[int] = (),
    score: int | None = None,
) -> AssessmentOut:
    """Assess a commitment for a period, citing reports the caller may read (monitors and mediators judge)."""
    with app.db.transaction(write=True) as s:
        info = info_in(s, caller, process_id)
        row = in_force(s, app, caller, process_id, commitment_id)
        parsed = info.check_label(label)
        check_record(caller, Action.ASSESS, process_id, str(parsed), caller.user_id)
        check_record(caller, Action.CREATE, process_id, str(parsed), caller.user_id)
        for rid in report_ids:
            try:
                readable_report(s, caller, process_id, rid)
            except DetenteError:
                raise InputError(f"no report {rid} that you may cite", field="report_ids") from None
        assessment = assessment_from(
            row.id,
            period=period,
            status=status,
            rationale=rationale,
            assessor=caller.username,
            time=app.clock(),
            label=str(parsed),
            report_ids=report_ids,
            score=score,
        )
        logged(app, s, process_id)
        made = vdb.record_assessment(s, process_id, assessment, actor_id=caller.user_id, clock=app.clock)
        sign_in_transaction(app, s, process_id)
        audit(s, app, caller, "assessment.recorded", target=f"assessment:{made.id}", process_id=process_id,
              label=access.narrowest([parsed, label_of(row.label)]), detail={"log_index": made.log_index})  # fmt: skip
        return assessment_out(made)


@then_cosign
def allege(
    app: AppContext, caller: Caller, process_id: int, commitment_id: int, *, summary: str, label: str
) -> ViolationOut:
    with app.db.transaction(write=True) as s:
        info = info_in(s, caller, process_id)
        row = in_force(s, app, caller, process_id, commitment_id)
        parsed = info.check_label(label)
        check_record(caller, Action.CREATE, process_id, str(parsed), caller.user_id)
        logged(app, s, process_id)
        made = vdb.allege_violation(
            s, process_id, row.id, summary, label=str(parsed), actor_id=caller.user_id, actor=caller.username,
            at=app.clock(),
        )  # fmt: skip
        sign_in_transaction(app, s, process_id)
        audit(s, app, caller, "violation.alleged", target=f"violation:{made.id}", process_id=process_id,
              label=access.narrowest([parsed, label_of(row.label)]))  # fmt: skip
        return violation_out(s, app, made)


@then_cosign
def move(app: AppContext, caller: Caller, process_id: int, violation_id: int, *, to: str, reason: str) -> ViolationOut:
    """Move a violation along the agreed procedure; an illegal move is refused with what is allowed."""
    with app.db.transaction(write=True) as s:
        info_in(s, caller, process_id)
        row = readable_violation(s, caller, process_id, violation_id, Action.ASSESS)
        vdb.transition_violation(
            s, row.id, to.strip(), reason, actor_id=caller.user_id, actor=caller.username, at=app.clock()
        )
        sign_in_transaction(app, s, process_id)
        audit(s, app, caller, "violation.moved", target=f"violation:{row.id}", process_id=process_id,
              label=row.label, detail={"to": to.strip()})  # fmt: skip
        return violation_out(s, app, row)


@then_cosign
def escalate_overdue(app: AppContext, caller: Caller, process_id: int) -> list[tuple[int, timedelta]]:
    """Escalate every open violation of the process past its step's deadline (run from a scheduler)."""
    with app.db.transaction(write=True) as s:
        require(caller, Action.ADMINISTER, Resource.process(process_id))
        if s.get(Process, process_id) is None:
            raise hidden()
        done = vdb.escalate_overdue(s, process_id, app.clock(), actor=caller.username, actor_id=caller.user_id)
        if done:
            sign_in_transaction(app, s, process_id)
            audit(s, app, caller, "violation.escalated", target=f"process:{process_id}", process_id=process_id,
                  label=Label.all_parties(), detail={"count": len(done)})  # fmt: skip
        return done


def sign_checkpoint(app: AppContext, caller: Caller, process_id: int) -> CheckpointOut:
    """Sign a checkpoint at the log's current size (members who may write records in the process)."""
    with app.db.transaction(write=True) as s:
        info = info_in(s, caller, process_id)
        if not info.may_write:  # the labels ``access`` lets the caller create with: none
            raise AccessDenied("only members who may record in this process may ask for a checkpoint")
        try:
            log = ldb.get_log(s, process_id)
        except NotFoundError:
            raise hidden() from None
        note = ldb.sign_log_checkpoint(s, log.id, app.vault(), clock=app.clock)
        return CheckpointOut(note=note, size=log.size)


def init_log(
    app: AppContext, caller: Caller, process_id: int, *, witnesses: Sequence[str] = (), quorum: int | None = None
) -> tuple[str, str]:
    """Create the process's log with its witnesses (process administrators); returns its origin and key."""
    with app.db.transaction(write=True) as s:
        require(caller, Action.ADMINISTER, Resource.process(process_id))
        if s.get(Process, process_id) is None:
            raise hidden()
        log = ldb.create_log(s, process_id, app.vault(), witnesses=witnesses, quorum=quorum, clock=app.clock)
        audit(s, app, caller, "ledger.created", target=f"process:{process_id}", process_id=process_id,
              detail={"origin": log.origin, "witnesses": len(log.witness_keys), "quorum": log.quorum})  # fmt: skip
        return log.origin, log.vkey
