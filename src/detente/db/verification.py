"""Storage of the verification capability's records: each commitment, report, assessment or violation step stored
together with its log entry (:mod:`detente.db.ledger`) in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.access import Label, narrowest
from detente.cbm.evidence import Outcome
from detente.cbm.measure import VerificationMethod
from detente.clock import Clock
from detente.db.ledger import log_entry
from detente.db.processes import get_process, list_parties
from detente.db.users import get_user
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    ReportRow,
    UserKey,
    ViolationProcedureRow,
    ViolationRow,
    ViolationTransitionRow,
)
from detente.errors import DetenteError, InputError, NotFoundError, StoreError
from detente.verification.assessments import Assessment, Implementation, aggregate, latest_scores
from detente.verification.commitments import Commitment, iso
from detente.verification.consent import Change, ProposalState
from detente.verification.keys import KeyVault
from detente.verification.ledger import (
    ALG_ED25519,
    KeyPair,
    generate_key,
    parse_vkey,
)
from detente.verification.reports import Report, sign_report, verify_report_signature
from detente.verification.track_record import AssessedOutcome
from detente.verification.violations import (
    DEFAULT_PROCEDURE,
    Procedure,
    Transition,
    ViolationState,
    apply,
    overdue,
    replay,
    start,
)

__all__ = [
    "agree_procedure",
    "allege_violation",
    "assessed_outcomes",
    "check_report_signature",
    "create_commitment",
    "escalate_overdue",
    "file_report",
    "get_commitment",
    "has_commitments",
    "implementation",
    "list_commitments",
    "procedure_of",
    "record_assessment",
    "transition_violation",
    "user_key",
    "violation_state",
]


# --- records: each stored with its log entry in the caller's transaction ---------------------------------------------


def _add_logged(session: Session, process_id: int, row: Any, kind: str, entry: dict[str, Any]) -> None:
    """Insert ``row`` and append its log entry — which names the row's new id — in the same transaction."""
    session.add(row)
    session.flush()
    row.log_index = log_entry(session, process_id, kind, {"id": row.id, "process_id": process_id, **entry})
    session.flush()


def _label(text: str) -> str:
    try:
        return str(Label.parse(text))
    except (ValueError, DetenteError) as exc:
        raise InputError(f"unknown visibility label {text!r}", field="label") from exc


def user_key(session: Session, user_id: int, vault: KeyVault, *, seed: bytes | None = None, clock: Clock) -> KeyPair:
    """The user's report-signing key, created (and sealed) the first time."""
    row = session.get(UserKey, user_id)
    purpose = f"user:{user_id}"
    if row is None:
        get_user(session, user_id)
        key = generate_key(f"detente-user-{user_id}", ALG_ED25519, seed=seed)
        session.add(
            UserKey(user_id=user_id, vkey=key.public.vkey, sealed_key=vault.seal(key, purpose), created_at=clock())
        )
        session.flush()
        return key
    key = vault.open(row.sealed_key, purpose)
    if key.public.vkey != row.vkey:
        raise StoreError(f"user {user_id}: the sealed key does not match the published key")
    return key


def create_commitment(
    session: Session,
    process_id: int,
    commitment: Commitment,
    *,
    actor_id: int | None,
    expires_at: datetime,
    change: Change = Change.NEW,
    amends: CommitmentRow | None = None,
    reason: str = "",
    clock: Clock,
) -> CommitmentRow:
    """Record a proposal — a new commitment, or an amendment or withdrawal of ``amends`` — and log it. It binds the
    parties it names (and, for a change, those of the commitment it changes) once each of them has accepted it."""
    get_process(session, process_id)
    ids = {p.name: p.id for p in list_parties(session, process_id)}
    unknown = [p for p in commitment.parties if p not in ids]
    if unknown:
        raise InputError(f"not parties of this process: {', '.join(unknown)}", field="parties")
    binds = {ids[name] for name in commitment.parties} | set(amends.binds if amends is not None else ())
    body = commitment.to_body()
    body["label"] = _label(commitment.label)
    if reason:
        body["reason"] = reason
    now = clock()
    row = CommitmentRow(
        process_id=process_id,
        title=commitment.title.strip(),
        category=commitment.category.value,
        label=body["label"],
        body=body,
        created_by=actor_id,
        created_at=now,
        log_index=-1,
        change=change.value,
        amends=amends.id if amends is not None else None,
        state=ProposalState.PROPOSED.value,
        binds=sorted(binds),
        expires_at=expires_at,
    )
    proposal = {"change": change.value, "amends": row.amends, "binds": row.binds, "expires_at": iso(expires_at)}
    _add_logged(session, process_id, row, "commitment",
                {"created_by": actor_id, "created_at": iso(now), "commitment": body, "proposal": proposal})  # fmt: skip
    return row


def get_commitment(session: Session, process_id: int, commitment_id: int) -> CommitmentRow:
    row = session.get(CommitmentRow, commitment_id)
    if row is None or row.process_id != process_id:
        raise NotFoundError(f"no commitment {commitment_id} in this process")
    return row


def has_commitments(session: Session, process_id: int) -> bool:
    """Whether the process has any commitment (whatever its label: for set-up steps, never shown to a user)."""
    return session.scalars(select(CommitmentRow.id).where(CommitmentRow.process_id == process_id)).first() is not None


def list_commitments(
    session: Session, process_id: int, labels: Collection[str], *, in_force: bool = True
) -> Sequence[CommitmentRow]:
    """The commitments whose label is among *labels* (``detente.access.readable_label_texts``): those in force (every
    bound party accepted them, and they were not amended or withdrawn since), or with ``in_force=False`` every row —
    proposals, declined ones, amendments and withdrawals included."""
    query = select(CommitmentRow).where(CommitmentRow.process_id == process_id, CommitmentRow.label.in_(list(labels)))
    if in_force:
        query = query.where(CommitmentRow.state == ProposalState.ACCEPTED, CommitmentRow.change != Change.WITHDRAWAL)
    return session.scalars(query.order_by(CommitmentRow.id)).all()


def file_report(
    session: Session,
    process_id: int,
    report: Report,
    *,
    author_id: int,
    vault: KeyVault,
    clock: Clock,
) -> ReportRow:
    """Store a report signed with its author's key, and log body, signature and the author's public key."""
    get_process(session, process_id)
    if report.commitment_id is not None:
        get_commitment(session, process_id, report.commitment_id)
    body = report.to_body()
    body["label"] = _label(report.label)
    key = user_key(session, author_id, vault, clock=clock)
    signature = sign_report(body, key)
    now = clock()
    row = ReportRow(
        process_id=process_id,
        commitment_id=report.commitment_id,
        label=body["label"],
        body=body,
        signature=signature,
        author_id=author_id,
        created_at=now,
        log_index=-1,
    )
    _add_logged(
        session,
        process_id,
        row,
        "report",
        {
            "author_id": author_id,
            "author_key": key.public.vkey,
            "created_at": iso(now),
            "report": body,
            "signature": signature,
        },
    )
    return row


def check_report_signature(session: Session, report_id: int) -> bool:
    row = session.get(ReportRow, report_id)
    if row is None:
        raise NotFoundError(f"no report {report_id}")
    key = session.get(UserKey, row.author_id) if row.author_id is not None else None
    return key is not None and verify_report_signature(row.body, row.signature, parse_vkey(key.vkey))


def record_assessment(
    session: Session, process_id: int, assessment: Assessment, *, actor_id: int | None, clock: Clock
) -> AssessmentRow:
    commitment = get_commitment(session, process_id, assessment.commitment_id)
    for report_id in assessment.report_ids:
        report = session.get(ReportRow, report_id)
        if report is None or report.process_id != process_id:
            raise InputError(f"report {report_id} is not a report of this process", field="report_ids")
    body = assessment.to_body()
    body["label"] = _label(assessment.label)
    now = clock()
    row = AssessmentRow(
        process_id=process_id,
        commitment_id=commitment.id,
        period=assessment.period,
        status=assessment.status.value,
        score=assessment.score,
        label=body["label"],
        body=body,
        created_by=actor_id,
        created_at=now,
        log_index=-1,
    )
    _add_logged(
        session, process_id, row, "assessment", {"created_by": actor_id, "created_at": iso(now), "assessment": body}
    )
    return row


def implementation(
    session: Session, process_id: int, labels: Collection[str]
) -> tuple[Implementation, dict[str, Implementation]]:
    """PAM-style implementation of the process and of each party, over the commitments the caller may read."""
    commitments = list_commitments(session, process_id, labels)
    rows = session.execute(
        select(AssessmentRow.commitment_id, AssessmentRow.created_at, AssessmentRow.score).where(
            AssessmentRow.process_id == process_id, AssessmentRow.label.in_(list(labels))
        )
    )
    scores = latest_scores((cid, at, score) for cid, at, score in rows)
    return aggregate({c.id: list(c.body["parties"]) for c in commitments}, scores)


#: commitments whose assessments count: in force, or in force when they were assessed (assessments are recorded only
#: on commitments in force)
_WAS_IN_FORCE = (ProposalState.ACCEPTED, ProposalState.SUPERSEDED, ProposalState.WITHDRAWN)


def assessed_outcomes(session: Session, process_id: int, labels: Collection[str]) -> list[AssessedOutcome]:
    """What the track record and the trust model read: every readable assessment joined with its commitment (never a
    proposal: only commitments every bound party accepted are assessed)."""
    query = (
        select(AssessmentRow, CommitmentRow)
        .join(CommitmentRow, CommitmentRow.id == AssessmentRow.commitment_id)
        .where(AssessmentRow.process_id == process_id, AssessmentRow.label.in_(list(labels)))
        .where(CommitmentRow.label.in_(list(labels)), CommitmentRow.state.in_(_WAS_IN_FORCE))
        .order_by(AssessmentRow.created_at, AssessmentRow.id)
    )
    out = []
    for assessment, commitment in session.execute(query):
        methods = [VerificationMethod(m) for m in commitment.body["methods"]]
        out.append(
            AssessedOutcome(
                commitment_id=commitment.id,
                parties=tuple(commitment.body["parties"]),
                outcome=Outcome(assessment.status),
                time=assessment.created_at,
                verification=max(methods, key=list(VerificationMethod).index),
                measure_id=commitment.body.get("measure_id"),
                summary=f"{assessment.status.replace('_', ' ')}: {commitment.title}",
                label=str(narrowest([Label.parse(assessment.label), Label.parse(commitment.label)])),
            )
        )
    return out


def agree_procedure(
    session: Session, process_id: int, procedure: Procedure, *, actor_id: int | None, clock: Clock
) -> ViolationProcedureRow:
    """Record the violation procedure the process agreed (replacing an earlier one; both stay in the log)."""
    get_process(session, process_id)
    body = procedure.to_body()
    now = clock()
    index = log_entry(
        session,
        process_id,
        "violation.procedure",
        {"process_id": process_id, "agreed_by": actor_id, "agreed_at": iso(now), "procedure": body},
    )
    row = session.get(ViolationProcedureRow, process_id)
    if row is None:
        row = ViolationProcedureRow(process_id=process_id, body=body, created_at=now, log_index=index)
        session.add(row)
    else:
        row.body, row.created_at, row.log_index = body, now, index
    session.flush()
    return row


def procedure_of(session: Session, process_id: int) -> Procedure:
    row = session.get(ViolationProcedureRow, process_id)
    return DEFAULT_PROCEDURE if row is None else Procedure.from_body(row.body)


def _add_transition(
    session: Session, violation: ViolationRow, seq: int, t: Transition, actor_id: int | None
) -> ViolationTransitionRow:
    body = t.to_body()
    index = log_entry(
        session,
        violation.process_id,
        "violation.transition",
        {"violation_id": violation.id, "commitment_id": violation.commitment_id, "seq": seq, **body},
    )
    row = ViolationTransitionRow(
        violation_id=violation.id, seq=seq, body=body, actor_id=actor_id, at=t.at, log_index=index
    )
    session.add(row)
    session.flush()
    return row


def allege_violation(
    session: Session,
    process_id: int,
    commitment_id: int,
    summary: str,
    *,
    label: str,
    actor_id: int | None,
    actor: str,
    at: datetime,
) -> ViolationRow:
    """Open a violation procedure (state ``alleged``) on a commitment; logged as its first transition."""
    commitment = get_commitment(session, process_id, commitment_id)
    state, first = start(procedure_of(session, process_id), actor, summary, at)
    row = ViolationRow(
        process_id=process_id,
        commitment_id=commitment.id,
        label=_label(label),
        state=state.state,
        summary=summary,
        created_by=actor_id,
        created_at=at,
    )
    session.add(row)
    session.flush()
    _add_transition(session, row, 0, first, actor_id)
    return row


def _history(session: Session, violation_id: int) -> list[Transition]:
    rows = session.scalars(
        select(ViolationTransitionRow)
        .where(ViolationTransitionRow.violation_id == violation_id)
        .order_by(ViolationTransitionRow.seq)
    ).all()
    return [
        Transition(r.body["from"], r.body["to"], r.body["actor"], r.body["reason"], r.at.astimezone(UTC)) for r in rows
    ]


def violation_state(session: Session, violation_id: int) -> ViolationState:
    row = session.get(ViolationRow, violation_id)
    if row is None:
        raise NotFoundError(f"no violation {violation_id}")
    return replay(procedure_of(session, row.process_id), _history(session, violation_id))


def transition_violation(
    session: Session,
    violation_id: int,
    to_state: str,
    reason: str,
    *,
    actor_id: int | None,
    actor: str,
    at: datetime,
) -> ViolationState:
    """Move a violation along the agreed procedure (``escalate`` records an overdue state's escalation)."""
    row = session.scalars(select(ViolationRow).where(ViolationRow.id == violation_id).with_for_update()).one_or_none()
    if row is None:
        raise NotFoundError(f"no violation {violation_id}")
    procedure = procedure_of(session, row.process_id)
    history = _history(session, violation_id)
    current = replay(procedure, history)
    new, t = apply(procedure, current, to_state, actor, reason, at)
    _add_transition(session, row, len(history), t, actor_id)
    row.state = new.state
    session.flush()
    return new


def escalate_overdue(
    session: Session, process_id: int, now: datetime, *, actor: str = "system", actor_id: int | None = None
) -> list[tuple[int, timedelta]]:
    """Escalate every open violation of the process whose state is past its deadline; return (id, how late)."""
    done = []
    ids = session.scalars(
        select(ViolationRow.id).where(
            ViolationRow.process_id == process_id, ViolationRow.state.not_in(["dismissed", "resolved"])
        )
    ).all()
    for violation_id in ids:
        state = violation_state(session, violation_id)
        late = overdue(state, now)
        if late is not None:
            transition_violation(
                session,
                violation_id,
                "escalate",
                f"{state.state} overdue by {late}",
                actor_id=actor_id,
                actor=actor,
                at=now,
            )
            done.append((violation_id, late))
    return done
