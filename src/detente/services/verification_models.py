"""The typed results of the verification use cases (also the JSON API's response models)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from detente.db.verification_models import AssessmentRow, CommitmentRow, ReportRow
from detente.verification.consent import ProposalState, counts, effective_state

__all__ = [
    "AssessmentOut",
    "BoardOut",
    "BoardRowOut",
    "CandidateOut",
    "CheckpointOut",
    "CommitmentDetail",
    "CommitmentOut",
    "ConsentOut",
    "EvidenceOut",
    "ImplementationOut",
    "ImplementationScores",
    "LogCheckOut",
    "RecordPointOut",
    "ReportOut",
    "TrackRecordOut",
    "TransitionOut",
    "ViolationOut",
    "assessment_out",
    "commitment_out",
    "report_out",
]


class ConsentOut(BaseModel):
    """One party's signed decision on a proposal: who decided, with which key, and whether the signature verifies."""

    party_id: int
    party: str
    decision: str
    reason: str
    by: str
    at: datetime
    key: str
    key_fingerprint: str
    log_index: int
    signature_valid: bool


class CommitmentOut(BaseModel):
    id: int
    process_id: int
    title: str
    category: str
    label: str
    created_by: int | None
    created_at: datetime
    log_index: int
    text: str
    parties: list[str]
    schedule: dict[str, Any]
    methods: list[str]
    verifier: str
    indicators: list[dict[str, str]]
    measure_id: str | None = None
    geo: dict[str, Any] | None = None
    #: who entered it (a username), and what it is: a new commitment, an amendment or a withdrawal of ``amends``
    entered_by: str = ""
    change: str = "new"
    amends: int | None = None
    #: why a withdrawal is proposed
    reason: str = ""
    #: ``proposed`` (awaiting acceptance), ``accepted`` (in force), ``declined``, ``expired``, ``superseded``,
    #: ``withdrawn``; ``in_force`` says whether it counts (on the board, in scores, trust and plans)
    state: str = "accepted"
    in_force: bool = True
    expires_at: datetime | None = None
    decided_at: datetime | None = None
    #: the parties whose acceptance it needs, those still to decide, and the decisions on record
    binds: list[str] = []
    awaiting: list[str] = []
    consents: list[ConsentOut] = []


def commitment_out(
    row: CommitmentRow,
    *,
    now: datetime | None = None,
    party_names: Mapping[int, str] | None = None,
    users: Mapping[int, str] | None = None,
    consents: list[ConsentOut] | None = None,
) -> CommitmentOut:
    """A stored commitment or proposal as the API shows it (``now`` decides whether an open proposal expired)."""
    body = row.body
    names = party_names or {}
    state = effective_state(row.state, row.expires_at, now) if now is not None else ProposalState(row.state)
    decided = {c.party_id for c in consents or []}
    return CommitmentOut(
        id=row.id,
        process_id=row.process_id,
        title=row.title,
        category=row.category,
        label=row.label,
        created_by=row.created_by,
        created_at=row.created_at,
        log_index=row.log_index,
        text=str(body.get("text", "")),
        parties=list(body.get("parties", [])),
        schedule=dict(body.get("schedule", {})),
        methods=list(body.get("methods", [])),
        verifier=str(body.get("verifier", "")),
        indicators=list(body.get("indicators", [])),
        measure_id=body.get("measure_id"),
        geo=body.get("geo"),
        entered_by=(users or {}).get(row.created_by or 0, "") if row.created_by else "",
        change=row.change,
        amends=row.amends,
        reason=str(body.get("reason", "")),
        state=state.value,
        in_force=counts(row.change, state.value),
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        binds=[names.get(p, f"party {p}") for p in row.binds],
        awaiting=[names.get(p, f"party {p}") for p in row.binds if p not in decided]
        if state is ProposalState.PROPOSED
        else [],
        consents=list(consents or []),
    )


class EvidenceOut(BaseModel):
    sha256: str
    size: int
    media_type: str
    filename: str


class LogCheckOut(BaseModel):
    """A shown record whose SQL row disagrees with its log entry (``detente.db.record_check``)."""

    kind: str
    record_id: int
    log_index: int | None
    fields: list[str]
    message: str


class ReportOut(BaseModel):
    id: int
    process_id: int
    commitment_id: int | None
    label: str
    author_id: int | None
    created_at: datetime
    signature: str
    log_index: int
    author: str
    time: str
    place: str
    narrative: str
    evidence: list[EvidenceOut]
    signature_valid: bool | None = None
    #: shown records that disagree with their log entries (empty when all agree)
    log_check: list[LogCheckOut] = []


def report_out(row: ReportRow, *, signature_valid: bool | None = None) -> ReportOut:
    body = row.body
    return ReportOut(
        id=row.id,
        process_id=row.process_id,
        commitment_id=row.commitment_id,
        label=row.label,
        author_id=row.author_id,
        created_at=row.created_at,
        signature=row.signature,
        log_index=row.log_index,
        author=str(body.get("author", "")),
        time=str(body.get("time", "")),
        place=str(body.get("place", "")),
        narrative=str(body.get("narrative", "")),
        evidence=[EvidenceOut.model_validate(e) for e in body.get("evidence", [])],
        signature_valid=signature_valid,
    )


class AssessmentOut(BaseModel):
    id: int
    commitment_id: int
    period: str
    status: str
    score: int | None
    label: str
    log_index: int
    created_at: datetime
    rationale: str
    assessor: str
    report_ids: list[int]


def assessment_out(row: AssessmentRow) -> AssessmentOut:
    return AssessmentOut(
        id=row.id,
        commitment_id=row.commitment_id,
        period=row.period,
        status=row.status,
        score=row.score,
        label=row.label,
        log_index=row.log_index,
        created_at=row.created_at,
        rationale=str(row.body.get("rationale", "")),
        assessor=str(row.body.get("assessor", "")),
        report_ids=[int(x) for x in row.body.get("report_ids", [])],
    )


class TransitionOut(BaseModel):
    """One step of a violation procedure, as logged."""

    id: int
    seq: int
    log_index: int
    actor_id: int | None
    from_state: str | None
    to: str
    actor: str
    reason: str
    at: str


class ViolationOut(BaseModel):
    id: int
    process_id: int
    commitment_id: int
    label: str
    summary: str
    state: str
    final: bool
    entered_at: datetime
    due_at: datetime | None
    overdue_by_days: float | None
    escalations: int
    allowed: list[str]
    created_by: int | None
    created_at: datetime
    may_move: bool | None = None
    history: list[TransitionOut] | None = None
    #: shown records that disagree with their log entries (empty when all agree)
    log_check: list[LogCheckOut] = []


class BoardRowOut(BaseModel):
    id: int
    title: str
    category: str
    parties: list[str]
    label: str
    status: str
    score: int | None
    next_due: datetime | None
    overdue: bool
    owed_period: str | None
    #: when the owed period ended (its assessment was due then)
    owed_due: datetime | None = None


class ImplementationOut(BaseModel):
    commitments: int
    scored: int
    total: int
    ratio: float | None


class ImplementationScores(BaseModel):
    process: ImplementationOut
    parties: dict[str, ImplementationOut]


class BoardOut(BaseModel):
    #: commitments in force (every bound party accepted them)
    commitments: list[BoardRowOut]
    implementation: ImplementationScores
    #: proposals awaiting a party's acceptance (they count nowhere until accepted)
    proposals: list[CommitmentOut] = []
    #: shown records that disagree with their log entries (empty when all agree)
    log_check: list[LogCheckOut] = []


class CommitmentDetail(BaseModel):
    commitment: CommitmentOut
    next_due: datetime | None
    owed_period: str | None
    owed_due: datetime | None = None
    reports: list[ReportOut]
    assessments: list[AssessmentOut]
    violations: list[ViolationOut]
    #: shown records that disagree with their log entries (empty when all agree)
    log_check: list[LogCheckOut] = []


class CandidateOut(BaseModel):
    event_id: str
    date: str
    category: str
    latitude: float | None
    longitude: float | None
    place: str | None
    actors: list[str]
    fatalities: int | None


class RecordPointOut(BaseModel):
    time: datetime
    alpha: float
    beta: float
    mean: float
    low: float
    high: float
    n: int


class TrackRecordOut(BaseModel):
    implementation: ImplementationScores
    parties: dict[str, list[RecordPointOut]]
    chart_svg: str = ""
    #: shown records that disagree with their log entries (empty when all agree)
    log_check: list[LogCheckOut] = []


class CheckpointOut(BaseModel):
    note: str
    size: int
