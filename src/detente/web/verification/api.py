"""The verification operations through the JSON API, under ``/api/v1/processes/{id}/verification``: the same
service calls as the pages, the same access rules, the one error shape."""

from __future__ import annotations

from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from detente.services import consent, proofs, verification, verification_reads
from detente.services.proofs import ProofOut
from detente.services.record_checks import refuse_disagreement
from detente.services.verification_models import (
    AssessmentOut,
    BoardOut,
    CandidateOut,
    CheckpointOut,
    CommitmentDetail,
    CommitmentOut,
    LogCheckOut,
    ReportOut,
    TrackRecordOut,
    ViolationOut,
)
from detente.web.api import ErrorBody
from detente.web.deps import Ctx, User, api_guard
from detente.web.verification.svg import track_record_svg
from detente.web.verification.uploads import REPORT_BODY, read_report

__all__ = ["ERRORS", "CommitmentIn", "IdPath", "router", "vouched"]

router = APIRouter(
    prefix="/api/v1/processes/{process_id}/verification", dependencies=[Depends(api_guard)], tags=["verification"]
)

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
Label = Annotated[str, Field(max_length=40)]
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 404, 409, 413, 422)
}
#: a route that reads a form: also 415 for a body that is neither multipart nor URL-encoded
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 415: {"model": ErrorBody, "description": "the error shape"}}


class ScheduleIn(BaseModel):
    deadline: str | None = Field(default=None, max_length=40, description="date or ISO 8601 time with zone")
    start: str | None = Field(default=None, max_length=40)
    period_days: int | None = Field(default=None, ge=1, le=3660)


class IndicatorIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    target: str = Field(min_length=1, max_length=200)


class ZoneIn(BaseModel):
    polygon: list[Annotated[list[Annotated[str, Field(max_length=30)]], Field(min_length=2, max_length=2)]] = Field(
        min_length=3, max_length=500, description="[longitude, latitude] decimal strings"
    )
    start: str = Field(max_length=10, description="YYYY-MM-DD")
    end: str = Field(max_length=10)
    categories: list[Annotated[str, Field(max_length=60)]] = Field(min_length=1, max_length=30)


class CommitmentIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20_000)
    parties: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=20)
    category: str = Field(max_length=40)
    schedule: ScheduleIn | None = Field(default=None, description="a deadline, or a start with a period in days")
    methods: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=10)
    verifier: str = Field(min_length=1, max_length=200)
    label: Label
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=50)
    measure_id: str | None = Field(default=None, max_length=100)
    geo: ZoneIn | None = None
    expires_in_days: int | None = Field(default=None, ge=1, le=90, description="how long the proposal stays open")


class AssessmentIn(BaseModel):
    period: str = Field(min_length=1, max_length=40)
    status: str = Field(max_length=40)
    rationale: str = Field(min_length=1, max_length=20_000)
    label: Label
    report_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=list, max_length=100)
    score: int | None = Field(default=None, ge=0, le=3)


class AllegationIn(BaseModel):
    summary: str = Field(min_length=1, max_length=20_000)
    label: Label


class MoveIn(BaseModel):
    to: str = Field(min_length=1, max_length=80, description="next state, e.g. under_review, step:notification")
    reason: str = Field(min_length=1, max_length=20_000)


class CandidateList(BaseModel):
    candidates: list[CandidateOut]


class _Checked(Protocol):
    log_check: list[LogCheckOut]


_C = TypeVar("_C", bound=_Checked)


def vouched(out: _C) -> _C:
    """The API passes on no record that disagrees with its log entry (``record_mismatch``, HTTP 424)."""
    refuse_disagreement(out.log_check)
    return out


@router.get("/commitments", response_model=BoardOut, responses=ERRORS)
def commitments(
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    status: Annotated[str | None, Query(max_length=40)] = None,
    party: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    overdue: bool = False,
) -> BoardOut:
    """The commitments board: status, PAM score, next due date, overdue assessment; the implementation scores."""
    _, board = verification_reads.board(
        ctx, p, process_id, status=status or None, party=party or None, category=category or None, overdue_only=overdue
    )
    return vouched(board)


@router.post("/commitments", status_code=201, response_model=CommitmentOut, responses=ERRORS)
def create_commitment(process_id: IdPath, body: CommitmentIn, ctx: Ctx, p: User) -> CommitmentOut:
    return consent.propose(ctx, p, process_id, body.model_dump(exclude_none=True))


@router.get("/commitments/{commitment_id}", response_model=CommitmentDetail, responses=ERRORS)
def commitment(process_id: IdPath, commitment_id: IdPath, ctx: Ctx, p: User) -> CommitmentDetail:
    return vouched(verification_reads.commitment_detail(ctx, p, process_id, commitment_id))


@router.get("/commitments/{commitment_id}/candidates", response_model=CandidateList, responses=ERRORS)
def candidates(process_id: IdPath, commitment_id: IdPath, ctx: Ctx, p: User) -> CandidateList:
    """Events in a ceasefire zone: candidates for a person to assess, never judged automatically."""
    return CandidateList(candidates=verification_reads.candidates(ctx, p, process_id, commitment_id))


@router.post("/reports", status_code=201, response_model=ReportOut, responses=UPLOAD_ERRORS, openapi_extra=REPORT_BODY)
async def file_report(process_id: IdPath, request: Request, ctx: Ctx, p: User) -> ReportOut:
    """File a report signed with your key, with up to 5 evidence files (``multipart/form-data``; a report without
    files may be a URL-encoded form). The caller is checked before the body is read."""
    await run_in_threadpool(verification.may_file_report, ctx, p, process_id)
    form, uploads = await read_report(request)
    return await run_in_threadpool(
        verification.file_report, ctx, p, process_id, narrative=form.narrative, place=form.place,
        time=form.time or None, label=form.label, commitment_id=form.commitment_id, uploads=uploads,
    )  # fmt: skip


@router.get("/reports/{report_id}", response_model=ReportOut, responses=ERRORS)
def report(process_id: IdPath, report_id: IdPath, ctx: Ctx, p: User) -> ReportOut:
    return vouched(verification_reads.report_detail(ctx, p, process_id, report_id))


@router.post("/commitments/{commitment_id}/assessments", status_code=201, response_model=AssessmentOut,
             responses=ERRORS)  # fmt: skip
def assess(process_id: IdPath, commitment_id: IdPath, body: AssessmentIn, ctx: Ctx, p: User) -> AssessmentOut:
    return verification.assess(
        ctx, p, process_id, commitment_id, period=body.period, status=body.status, rationale=body.rationale,
        label=body.label, report_ids=body.report_ids, score=body.score,
    )  # fmt: skip


@router.post("/commitments/{commitment_id}/violations", status_code=201, response_model=ViolationOut,
             responses=ERRORS)  # fmt: skip
def allege(process_id: IdPath, commitment_id: IdPath, body: AllegationIn, ctx: Ctx, p: User) -> ViolationOut:
    return verification.allege(ctx, p, process_id, commitment_id, summary=body.summary, label=body.label)


@router.get("/violations/{violation_id}", response_model=ViolationOut, responses=ERRORS)
def violation(process_id: IdPath, violation_id: IdPath, ctx: Ctx, p: User) -> ViolationOut:
    return vouched(verification_reads.violation_detail(ctx, p, process_id, violation_id))


@router.post("/violations/{violation_id}/transitions", status_code=201, response_model=ViolationOut,
             responses=ERRORS)  # fmt: skip
def move(process_id: IdPath, violation_id: IdPath, body: MoveIn, ctx: Ctx, p: User) -> ViolationOut:
    """Move along the agreed procedure; an illegal move is a 422 ``illegal_transition`` naming what is allowed."""
    return verification.move(ctx, p, process_id, violation_id, to=body.to, reason=body.reason)


@router.get("/track-record", response_model=TrackRecordOut, responses=ERRORS)
def track_record(process_id: IdPath, ctx: Ctx, p: User) -> TrackRecordOut:
    """Implementation scores and each party's Beta posterior after each assessment (mean, 90 % interval)."""
    info, out, series = verification_reads.track_record_of(ctx, p, process_id)
    out.chart_svg = track_record_svg(series, now=ctx.clock(), title=f"Track record, {info.name}")
    return vouched(out)


@router.get("/records/{kind}/{record_id}/proof", response_model=ProofOut, responses=ERRORS)
def proof(
    process_id: IdPath,
    kind: Annotated[str, Path(pattern="^(commitment|report|assessment|transition)$")],
    record_id: IdPath,
    ctx: Ctx,
    p: User,
    seen_size: Annotated[int | None, Query(ge=0, le=2**40)] = None,
    seen_root: Annotated[str | None, Query(max_length=100, description="base64 or hex root you saw")] = None,
) -> ProofOut:
    """A record's log entry, leaf hash, inclusion proof against the latest checkpoint, witnesses, and the
    consistency proof from a checkpoint you saw (``seen_size``, ``seen_root``)."""
    root = proofs.parse_root(seen_root)
    return vouched(proofs.record_proof(ctx, p, process_id, kind, record_id, seen_size=seen_size, seen_root=root))


@router.post("/checkpoints", status_code=201, response_model=CheckpointOut, responses=ERRORS)
def checkpoint(process_id: IdPath, ctx: Ctx, p: User) -> CheckpointOut:
    """Sign a checkpoint at the log's current size."""
    return verification.sign_checkpoint(ctx, p, process_id)
