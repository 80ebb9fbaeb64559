"""The typed results of the verification use cases (also the JSON API's response models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from detente.db.verification_models import AssessmentRow, CommitmentRow, ReportRow

__all__ = [
    "AssessmentOut",
    "BoardOut",
    "BoardRowOut",
    "CandidateOut",
    "CheckpointOut",
    "CommitmentDetail",
    "CommitmentOut",
    "EvidenceOut",
    "ImplementationOut",
    "ImplementationScores",
    "RecordPointOut",
    "ReportOut",
    "TrackRecordOut",
    "TransitionOut",
    "ViolationOut",
    "assessment_out",
    "commitment_out",
    "report_out",
]


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


def commitment_out(row: CommitmentRow) -> CommitmentOut:
    body = row.body
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
    )


class EvidenceOut(BaseModel):
    sha256: str
    size: int
    media_type: str
    filename: str


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


class ImplementationOut(BaseModel):
    commitments: int
    scored: int
    total: int
    ratio: float | None


class ImplementationScores(BaseModel):
    process: ImplementationOut
    parties: dict[str, ImplementationOut]


class BoardOut(BaseModel):
    commitments: list[BoardRowOut]
    implementation: ImplementationScores


class CommitmentDetail(BaseModel):
    commitment: CommitmentOut
    next_due: datetime | None
    owed_period: str | None
    reports: list[ReportOut]
    assessments: list[AssessmentOut]
    violations: list[ViolationOut]


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


class CheckpointOut(BaseModel):
    note: str
    size: int
