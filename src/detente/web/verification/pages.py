"""Verification pages of a process: the commitments board, a commitment (reports, assessments, candidate
violations, allegations), report filing with evidence, a violation's procedure, track records and "verify this
record". Server-rendered; every form carries the CSRF token and redirects (post/redirect/get) with a fixed code.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from detente.cbm.measure import VerificationMethod
from detente.errors import InputError
from detente.services import consent, proofs, verification, verification_reads
from detente.services.verification import ProcessInfo
from detente.verification.assessments import Outcome
from detente.verification.commitments import Category
from detente.verification.inputs import indicators_from_lines, optional_id, parse_score, polygon_from_lines
from detente.web.deps import Ctx, User, page_guard
from detente.web.pages import render
from detente.web.verification.svg import track_record_svg
from detente.web.verification.uploads import REPORT_BODY, read_report

__all__ = ["MESSAGES", "router"]

router = APIRouter(prefix="/processes/{process_id}/verification", dependencies=[Depends(page_guard)],
                   include_in_schema=False)  # fmt: skip

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=200)]

MESSAGES = {
    "commitment_created": "The proposal is logged. It binds no party until a representative of each party it binds "
    "accepts it.",
    "decided": "Your party's decision is signed, verified and logged.",
    "key_registered": "The key is registered for your party and logged: every party sees which keys speak for whom.",
    "key_revoked": "The key no longer signs for your party (what it signed stays valid).",
    "report_filed": "The report is signed, stored and logged.",
    "assessed": "The assessment is recorded and logged.",
    "alleged": "The violation is alleged and logged; the procedure has started.",
    "moved": "The step is recorded and logged.",
    "signed": "A checkpoint is signed at the log's current size.",
}


def _base(process_id: int) -> str:
    return f"/processes/{process_id}/verification"


def _see(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _page(request: Request, name: str, info: ProcessInfo, context: dict[str, Any], status: int = 200) -> Response:
    done = request.query_params.get("done", "")
    full = {"info": info, "base": _base(info.id), "party_names": info.party_names, "log_check": [], **context}
    if done in MESSAGES:
        full["flash"] = MESSAGES[done]
    return render(request, f"verification/{name}", full, status=status)


@router.get("", response_class=HTMLResponse, name="verification_board")
def board(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    status: Annotated[str | None, Query(max_length=40)] = None,
    party: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    overdue: Annotated[bool, Query()] = False,
) -> Response:
    info, found = verification_reads.board(
        ctx, p, process_id, status=status or None, party=party or None, category=category or None, overdue_only=overdue
    )
    rows, scores = found.commitments, found.implementation
    filters = {"status": status or "", "party": party or "", "category": category or "", "overdue": overdue}
    statuses = ["not_assessed", *(o.value for o in Outcome)]
    context = {"rows": rows, "scores": scores, "filters": filters, "statuses": statuses, "categories": list(Category),
               "proposals": found.proposals, "log_check": found.log_check}  # fmt: skip
    return _page(request, "board.html", info, context)


@router.get("/commitments/new", response_class=HTMLResponse)
def new_commitment(request: Request, ctx: Ctx, p: User, process_id: IdPath) -> Response:
    info = verification.process_info(ctx, p, process_id)
    context = {"categories": list(Category), "methods": list(VerificationMethod)}
    return _page(request, "new_commitment.html", info, context)


def _commitment_form(
    title: Short,
    text: Text,
    category: Annotated[str, Form(max_length=40)],
    verifier: Short,
    label: Annotated[str, Form(max_length=40)],
    parties: Annotated[list[str], Form()],
    methods: Annotated[list[str], Form()],
    deadline: Annotated[str, Form(max_length=40)] = "",
    start: Annotated[str, Form(max_length=40)] = "",
    period_days: Annotated[str, Form(max_length=6)] = "",
    indicators: Text = "",
    measure_id: Annotated[str, Form(max_length=100)] = "",
    zone: Annotated[str, Form(max_length=5000)] = "",
    zone_start: Annotated[str, Form(max_length=10)] = "",
    zone_end: Annotated[str, Form(max_length=10)] = "",
    zone_categories: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[str, Form(max_length=3)] = "",
) -> dict[str, Any]:
    """The commitment form (new, or an amendment) in the API's shape."""
    data: dict[str, Any] = {
        "title": title,
        "text": text,
        "category": category,
        "verifier": verifier,
        "label": label,
        "parties": parties,
        "methods": methods,
        "schedule": {"deadline": deadline} if deadline.strip() else {"start": start, "period_days": period_days},
        "indicators": indicators_from_lines(indicators),
        "measure_id": measure_id.strip() or None,
        "expires_in_days": expires_in_days.strip() or None,
    }
    if zone.strip():
        data["geo"] = {
            "polygon": polygon_from_lines(zone),
            "start": zone_start,
            "end": zone_end,
            "categories": zone_categories or [],
        }
    return data


CommitmentForm = Annotated[dict[str, Any], Depends(_commitment_form)]


@router.post("/commitments")
def create_commitment(ctx: Ctx, p: User, process_id: IdPath, data: CommitmentForm) -> Response:
    made = consent.propose(ctx, p, process_id, data)
    return _see(f"{_base(process_id)}/commitments/{made.id}", "commitment_created")


@router.get("/commitments/{commitment_id}", response_class=HTMLResponse)
def commitment(request: Request, ctx: Ctx, p: User, process_id: IdPath, commitment_id: IdPath) -> Response:
    info = verification.process_info(ctx, p, process_id)
    detail = verification_reads.commitment_detail(ctx, p, process_id, commitment_id)
    found = verification_reads.candidates(ctx, p, process_id, commitment_id) if detail.commitment.geo else []
    context = {
        **dict(detail),
        "candidates": found,
        "outcomes": [o.value for o in Outcome],
        "turn": consent.my_turn(ctx, p, process_id, commitment_id),
        "may_propose": consent.may_propose(ctx, p, process_id, detail.commitment.label),
        "username": p.username,
    }
    return _page(request, "commitment.html", info, context)


@router.post("/commitments/{commitment_id}/decision")
def decide(
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    commitment_id: IdPath,
    decision: Annotated[str, Form(max_length=10)],
    signature: Annotated[str, Form(max_length=200)],
    reason: Text = "",
) -> Response:
    consent.decide(ctx, p, process_id, commitment_id, decision=decision, reason=reason, signature=signature)
    return _see(f"{_base(process_id)}/commitments/{commitment_id}", "decided")


@router.post("/commitments/{commitment_id}/withdrawal")
def withdraw(ctx: Ctx, p: User, process_id: IdPath, commitment_id: IdPath, reason: Text) -> Response:
    made = consent.propose_withdrawal(ctx, p, process_id, commitment_id, reason=reason)
    return _see(f"{_base(process_id)}/commitments/{made.id}", "commitment_created")


@router.get("/commitments/{commitment_id}/amend", response_class=HTMLResponse)
def amend_form(request: Request, ctx: Ctx, p: User, process_id: IdPath, commitment_id: IdPath) -> Response:
    info = verification.process_info(ctx, p, process_id)
    current = verification_reads.commitment_detail(ctx, p, process_id, commitment_id).commitment
    context = {"categories": list(Category), "methods": list(VerificationMethod), "amends": current}
    return _page(request, "new_commitment.html", info, context)


@router.post("/commitments/{commitment_id}/amendments")
def amend(ctx: Ctx, p: User, process_id: IdPath, commitment_id: IdPath, data: CommitmentForm) -> Response:
    made = consent.propose_amendment(ctx, p, process_id, commitment_id, data)
    return _see(f"{_base(process_id)}/commitments/{made.id}", "commitment_created")


@router.get("/keys", response_class=HTMLResponse)
def keys(request: Request, ctx: Ctx, p: User, process_id: IdPath) -> Response:
    info = verification.process_info(ctx, p, process_id)
    found = consent.list_keys(ctx, p, process_id)
    context = {"keys": found.keys, "log_check": found.log_check, "speaks_for": consent.speaks_for(p, process_id),
               "username": p.username}  # fmt: skip
    return _page(request, "keys.html", info, context)


@router.post("/keys")
def register_key(
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    public_key: Annotated[str, Form(max_length=400)],
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    consent.register_key(ctx, p, process_id, public_key, name=name.strip() or None)
    return _see(f"{_base(process_id)}/keys", "key_registered")


@router.post("/keys/{key_id}/revoke")
def revoke_key(ctx: Ctx, p: User, process_id: IdPath, key_id: IdPath) -> Response:
    consent.revoke_key(ctx, p, process_id, key_id)
    return _see(f"{_base(process_id)}/keys", "key_revoked")


@router.post("/reports", openapi_extra=REPORT_BODY)
async def file_report(request: Request, ctx: Ctx, p: User, process_id: IdPath) -> Response:
    # the caller is checked before the form is read; its CSRF token before its files (page_guard, read_form)
    await run_in_threadpool(verification.may_file_report, ctx, p, process_id)
    form, uploads = await read_report(request)
    made = await run_in_threadpool(
        verification.file_report, ctx, p, process_id, narrative=form.narrative, place=form.place, time=form.time,
        label=form.label, commitment_id=form.commitment_id, uploads=uploads,
    )  # fmt: skip
    return _see(f"{_base(process_id)}/reports/{made.id}", "report_filed")


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report(request: Request, ctx: Ctx, p: User, process_id: IdPath, report_id: IdPath) -> Response:
    info = verification.process_info(ctx, p, process_id)
    found = verification_reads.report_detail(ctx, p, process_id, report_id)
    return _page(request, "report.html", info, {"report": found, "log_check": found.log_check})


@router.get("/reports/{report_id}/evidence/{sha256}")
def evidence(
    ctx: Ctx, p: User, process_id: IdPath, report_id: IdPath, sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")]
) -> Response:
    data, media_type, filename = verification_reads.evidence_file(ctx, p, process_id, report_id, sha256)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in filename) or "evidence"
    headers = {
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(data, media_type=media_type, headers=headers)


@router.post("/commitments/{commitment_id}/assessments")
def assess(
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    commitment_id: IdPath,
    period: Annotated[str, Form(max_length=40)],
    status: Annotated[str, Form(max_length=40)],
    rationale: Text,
    label: Annotated[str, Form(max_length=40)],
    report_ids: Annotated[list[str] | None, Form()] = None,
    score: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    ids = [i for i in (optional_id(r, "report_ids") for r in report_ids or []) if i is not None]
    verification.assess(
        ctx, p, process_id, commitment_id, period=period, status=status, rationale=rationale, label=label,
        report_ids=ids, score=parse_score(score),
    )  # fmt: skip
    return _see(f"{_base(process_id)}/commitments/{commitment_id}", "assessed")


@router.post("/commitments/{commitment_id}/violations")
def allege(
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    commitment_id: IdPath,
    summary: Text,
    label: Annotated[str, Form(max_length=40)],
) -> Response:
    made = verification.allege(ctx, p, process_id, commitment_id, summary=summary, label=label)
    return _see(f"{_base(process_id)}/violations/{made.id}", "alleged")


@router.get("/violations/{violation_id}", response_class=HTMLResponse)
def violation(request: Request, ctx: Ctx, p: User, process_id: IdPath, violation_id: IdPath) -> Response:
    info = verification.process_info(ctx, p, process_id)
    detail = verification_reads.violation_detail(ctx, p, process_id, violation_id)
    return _page(request, "violation.html", info, {"v": detail, "error": None, "log_check": detail.log_check})


@router.post("/violations/{violation_id}/move", response_class=HTMLResponse)
def move(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    violation_id: IdPath,
    to: Annotated[str, Form(max_length=80)],
    reason: Text,
) -> Response:
    try:
        verification.move(ctx, p, process_id, violation_id, to=to, reason=reason)
    except InputError as exc:
        info = verification.process_info(ctx, p, process_id)
        detail = verification_reads.violation_detail(ctx, p, process_id, violation_id)
        context = {"v": detail, "error": exc.reason, "log_check": detail.log_check}
        return _page(request, "violation.html", info, context, status=422)
    return _see(f"{_base(process_id)}/violations/{violation_id}", "moved")


@router.get("/record", response_class=HTMLResponse)
def record(request: Request, ctx: Ctx, p: User, process_id: IdPath) -> Response:
    info, found, series = verification_reads.track_record_of(ctx, p, process_id)
    scores = found.implementation
    chart = track_record_svg(series, now=ctx.clock(), title=f"Track record of the parties of {info.name}")
    context = {"scores": scores, "series": series, "chart": chart, "log_check": found.log_check}
    return _page(request, "record.html", info, context)


@router.get("/verify/{kind}/{record_id}", response_class=HTMLResponse)
def verify(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    kind: Annotated[str, Path(pattern="^(commitment|report|assessment|transition)$")],
    record_id: IdPath,
    seen_size: Annotated[int | None, Query(ge=0, le=2**40)] = None,
    seen_root: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    info = verification.process_info(ctx, p, process_id)
    root = proofs.parse_root(seen_root)
    found = proofs.record_proof(ctx, p, process_id, kind, record_id, seen_size=seen_size, seen_root=root)
    context = {"proof": found, "seen_size": seen_size, "seen_root": seen_root or "", "log_check": found.log_check}
    return _page(request, "verify.html", info, context)


@router.post("/checkpoint")
def checkpoint(ctx: Ctx, p: User, process_id: IdPath, back: Annotated[str, Form(max_length=300)] = "") -> Response:
    verification.sign_checkpoint(ctx, p, process_id)
    target = back if back.startswith(_base(process_id) + "/") and "//" not in back else _base(process_id)
    return _see(target, "signed")
