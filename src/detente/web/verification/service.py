"""What the verification pages and API do, once: decide with :mod:`detente.access`, then call the services of
:mod:`detente.db.verification` (which log every record in the same transaction). Each write also signs a checkpoint
at the new log size, so the "verify this record" page can prove a record as soon as it is written.

Records the caller may not read answer exactly like missing ones (the one "not found").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.db.models import Process
from detente.db.processes import list_parties
from detente.db.verification import (
    allege_violation,
    assessed_outcomes,
    create_commitment,
    ensure_log,
    file_report,
    get_commitment,
    get_log,
    implementation,
    list_commitments,
    procedure_of,
    record_assessment,
    sign_log_checkpoint,
    transition_violation,
    violation_state,
)
from detente.db.verification_models import CommitmentRow, ReportRow, ViolationRow
from detente.errors import DetenteError, InputError, NotFoundError
from detente.verification.assessments import Implementation
from detente.verification.evidence import EvidenceFile, EvidenceStore
from detente.verification.keys import KeyVault, load_vault_secret
from detente.verification.reports import Report
from detente.verification.track_record import track_record
from detente.verification.violations import overdue
from detente.web import ops
from detente.web.errors import WebError, not_found
from detente.web.security import Principal, WebContext
from detente.web.verification import queries
from detente.web.verification.board import BoardRow, board_rows, due_of, schedule_of
from detente.web.verification.forms import assessment_from, commitment_from, optional_id, parse_time

__all__ = [
    "MAX_FILES",
    "ProcessInfo",
    "TooLarge",
    "allege",
    "assess",
    "board",
    "candidates",
    "check_record",
    "commitment_detail",
    "create",
    "evidence_file",
    "file",
    "info_in",
    "move",
    "process_info",
    "record",
    "report_detail",
    "store_of",
    "vault_of",
    "violation_detail",
]

#: evidence files per report
MAX_FILES = 5


class TooLarge(WebError):
    status = 413
    code = "too_large"


def vault_of(ctx: WebContext) -> KeyVault:
    vault = ctx.extras.get("verification.vault")
    if not isinstance(vault, KeyVault):
        vault = KeyVault(load_vault_secret(Path(ctx.workspace)))
        ctx.extras["verification.vault"] = vault
    return vault


def store_of(ctx: WebContext) -> EvidenceStore:
    return EvidenceStore(Path(ctx.workspace))


@dataclass(frozen=True)
class ProcessInfo:
    id: int
    name: str
    fictional: bool
    party_names: dict[int, str]
    readable: frozenset[str]
    creatable: list[str]

    @property
    def parties(self) -> list[str]:
        return list(self.party_names.values())

    @property
    def may_write(self) -> bool:
        return bool(self.creatable)


def info_in(s: Session, p: Principal, process_id: int) -> ProcessInfo:
    ops.require(access.decide(p.subject, Action.READ, Resource.process(process_id)))
    process = s.get(Process, process_id)
    if process is None:
        raise not_found()
    names = {party.id: party.name for party in list_parties(s, process_id)}
    return ProcessInfo(
        id=process_id,
        name=process.name,
        fictional=process.fictional,
        party_names=names,
        readable=access.readable_label_texts(p.subject, process_id, names),
        creatable=sorted(str(x) for x in access.creatable_labels(p.subject, process_id, names)),
    )


def process_info(ctx: WebContext, p: Principal, process_id: int) -> ProcessInfo:
    with ctx.db.transaction() as s:
        return info_in(s, p, process_id)


def check_record(p: Principal, action: Action, process_id: int, label: str, owner: int | None = None) -> None:
    try:
        parsed = Label.parse(label)
    except (ValueError, InputError) as exc:
        raise InputError(f"unknown visibility label {label!r}", field="label") from exc
    ops.require(access.decide(p.subject, action, Resource.record(process_id, parsed, owner_id=owner)))


def _commitment(s: Session, p: Principal, process_id: int, commitment_id: int) -> CommitmentRow:
    try:
        row = get_commitment(s, process_id, commitment_id)
    except NotFoundError:
        raise not_found() from None
    check_record(p, Action.READ, process_id, row.label, row.created_by)
    return row


def _logged(ctx: WebContext, s: Session, process_id: int) -> None:
    """The process's log (created the first time) — before a write."""
    ensure_log(s, process_id, vault_of(ctx), clock=ctx.clock)


def _sign(ctx: WebContext, s: Session, process_id: int) -> None:
    sign_log_checkpoint(s, get_log(s, process_id).id, vault_of(ctx), clock=ctx.clock)


# --- the board and a commitment ------------------------------------------------------------------------------------


def _rows(s: Session, ctx: WebContext, process_id: int, labels: frozenset[str]) -> list[BoardRow]:
    commitments = [(c.id, c.title, c.category, c.label, c.body) for c in list_commitments(s, process_id, labels)]
    assessed = [
        (a.commitment_id, a.period, a.status, a.score, a.created_at)
        for a in queries.assessment_rows(s, process_id, labels)
    ]
    return board_rows(commitments, assessed, ctx.clock())


def board(
    ctx: WebContext,
    p: Principal,
    process_id: int,
    *,
    status: str | None = None,
    party: str | None = None,
    category: str | None = None,
    overdue_only: bool = False,
) -> tuple[ProcessInfo, list[BoardRow], dict[str, Any]]:
    """The commitments the caller may read (filtered), and the PAM-style implementation over them."""
    with ctx.db.transaction() as s:
        info = info_in(s, p, process_id)
        rows = _rows(s, ctx, process_id, info.readable)
        overall, per_party = implementation(s, process_id, info.readable)
    rows = [
        r
        for r in rows
        if (not status or r.status == status)
        and (not party or party in r.parties)
        and (not category or r.category == category)
        and (not overdue_only or r.overdue)
    ]
    return info, rows, {"process": _impl(overall), "parties": {k: _impl(v) for k, v in per_party.items()}}


def _impl(value: Implementation) -> dict[str, Any]:
    ratio = value.ratio
    return {
        "commitments": value.commitments,
        "scored": value.scored,
        "total": value.total,
        "ratio": None if ratio is None else round(ratio, 4),
    }


def _commitment_dict(row: CommitmentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "process_id": row.process_id,
        "title": row.title,
        "category": row.category,
        "label": row.label,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "log_index": row.log_index,
        **{k: v for k, v in row.body.items() if k not in ("title", "category", "label")},
    }


def _report_dict(row: ReportRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "process_id": row.process_id,
        "commitment_id": row.commitment_id,
        "label": row.label,
        "author_id": row.author_id,
        "created_at": row.created_at.isoformat(),
        "signature": row.signature,
        "log_index": row.log_index,
        **{k: v for k, v in row.body.items() if k not in ("label", "commitment_id")},
    }


def _violation_dict(s: Session, row: ViolationRow, now: Any) -> dict[str, Any]:
    state = violation_state(s, row.id)
    late = overdue(state, now)
    procedure = procedure_of(s, row.process_id)
    return {
        "id": row.id,
        "process_id": row.process_id,
        "commitment_id": row.commitment_id,
        "label": row.label,
        "summary": row.summary,
        "state": state.state,
        "final": state.final,
        "entered_at": state.entered_at.isoformat(),
        "due_at": state.due_at.isoformat() if state.due_at else None,
        "overdue_by_days": None if late is None else round(late.total_seconds() / 86400, 1),
        "escalations": state.escalations,
        "allowed": procedure.allowed(state.state) + ([] if late is None else ["escalate"]),
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


def commitment_detail(ctx: WebContext, p: Principal, process_id: int, commitment_id: int) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        info = info_in(s, p, process_id)
        row = _commitment(s, p, process_id, commitment_id)
        labels = info.readable
        assessed = queries.assessment_rows(s, process_id, labels, commitment_id=row.id)
        periods = {a.period for a in assessed if a.status != "pending"}
        due = due_of(schedule_of(row.body), periods, ctx.clock())
        now = ctx.clock()
        return {
            "commitment": _commitment_dict(row),
            "next_due": due.next_due.isoformat() if due.next_due else None,
            "owed_period": due.owed_period,
            "reports": [_report_dict(r) for r in queries.report_rows(s, process_id, labels, commitment_id=row.id)],
            "assessments": [
                {
                    "id": a.id,
                    "period": a.period,
                    "status": a.status,
                    "score": a.score,
                    "label": a.label,
                    "created_at": a.created_at.isoformat(),
                    "log_index": a.log_index,
                    **{k: a.body[k] for k in ("rationale", "assessor", "report_ids")},
                }
                for a in assessed
            ],
            "violations": [
                _violation_dict(s, v, now) for v in queries.violation_rows(s, process_id, labels, commitment_id=row.id)
            ],
        }


# --- writes --------------------------------------------------------------------------------------------------------


def create(ctx: WebContext, p: Principal, process_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Record a commitment (``data`` in the shape of ``docs/verification.md``)."""
    commitment = commitment_from(data)
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        check_record(p, Action.CREATE, process_id, commitment.label, p.user_id)
        _logged(ctx, s, process_id)
        row = create_commitment(s, process_id, commitment, actor_id=p.user_id, clock=ctx.clock)
        _sign(ctx, s, process_id)
        return _commitment_dict(row)


def file(
    ctx: WebContext,
    p: Principal,
    process_id: int,
    *,
    narrative: str,
    place: str,
    time: str | None,
    label: str,
    commitment_id: str | int | None,
    uploads: Sequence[tuple[str, bytes]],
) -> dict[str, Any]:
    """File a report signed with the caller's key, with evidence files (checked and stored by content)."""
    if len(uploads) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} evidence files per report", field="files")
    cid = optional_id(commitment_id, "commitment_id")
    when = parse_time(time, "time", default=ctx.clock())
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        check_record(p, Action.CREATE, process_id, label, p.user_id)
        if cid is not None:
            _commitment(s, p, process_id, cid)
    store = store_of(ctx)
    files: tuple[EvidenceFile, ...] = tuple(store.put(data, name) for name, data in uploads)
    report = Report(
        author=p.username,
        time=when,
        place=place.strip(),
        narrative=narrative,
        label=label,
        commitment_id=cid,
        evidence=files,
    )
    with ctx.db.transaction() as s:
        _logged(ctx, s, process_id)
        row = file_report(s, process_id, report, author_id=p.user_id, vault=vault_of(ctx), clock=ctx.clock)
        _sign(ctx, s, process_id)
        return _report_dict(row)


def _report(s: Session, p: Principal, process_id: int, report_id: int) -> ReportRow:
    row = s.get(ReportRow, report_id)
    if row is None or row.process_id != process_id:
        raise not_found()
    check_record(p, Action.READ, process_id, row.label, row.author_id)
    return row


def report_detail(ctx: WebContext, p: Principal, process_id: int, report_id: int) -> dict[str, Any]:
    from detente.db.verification import check_report_signature

    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _report(s, p, process_id, report_id)
        out = _report_dict(row)
        out["signature_valid"] = check_report_signature(s, row.id)
        return out


def evidence_file(
    ctx: WebContext, p: Principal, process_id: int, report_id: int, sha256: str
) -> tuple[bytes, str, str]:
    """The bytes, media type and name of one evidence file of a report the caller may read."""
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _report(s, p, process_id, report_id)
        found = [e for e in row.body.get("evidence", []) if e.get("sha256") == sha256]
    if not found:
        raise not_found()
    return store_of(ctx).get(sha256), str(found[0]["media_type"]), str(found[0]["filename"])


def assess(
    ctx: WebContext,
    p: Principal,
    process_id: int,
    commitment_id: int,
    *,
    period: str,
    status: str,
    rationale: str,
    label: str,
    report_ids: Sequence[int],
    score: int | None,
) -> dict[str, Any]:
    """Assess a commitment for a period, citing reports the caller may read."""
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _commitment(s, p, process_id, commitment_id)
        check_record(p, Action.ASSESS, process_id, label, p.user_id)  # monitors and mediators judge, not parties
        check_record(p, Action.CREATE, process_id, label, p.user_id)
        for rid in report_ids:
            try:
                _report(s, p, process_id, rid)
            except DetenteError:
                raise InputError(f"no report {rid} that you may cite", field="report_ids") from None
        assessment = assessment_from(
            row.id,
            period=period,
            status=status,
            rationale=rationale,
            assessor=p.username,
            time=ctx.clock(),
            label=label,
            report_ids=report_ids,
            score=score,
        )
        _logged(ctx, s, process_id)
        made = record_assessment(s, process_id, assessment, actor_id=p.user_id, clock=ctx.clock)
        _sign(ctx, s, process_id)
        return {
            "id": made.id,
            "commitment_id": made.commitment_id,
            "period": made.period,
            "status": made.status,
            "score": made.score,
            "label": made.label,
            "log_index": made.log_index,
        }


def candidates(ctx: WebContext, p: Principal, process_id: int, commitment_id: int) -> list[dict[str, Any]]:
    """Events in a ceasefire commitment's zone, period and categories: candidates for a person to assess."""
    from detente.events.store import open_store
    from detente.verification.geo import GeoScope, candidate_violations

    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _commitment(s, p, process_id, commitment_id)
        geo = row.body.get("geo")
    if not geo:
        return []
    table = open_store(ctx.workspace).table()
    found = candidate_violations(GeoScope.from_body(geo), table)
    return [
        {
            "event_id": c.event_id,
            "date": c.date_start.isoformat(),
            "category": c.category,
            "latitude": c.latitude,
            "longitude": c.longitude,
            "place": c.place,
            "actors": list(c.actors),
            "fatalities": c.fatalities,
        }
        for c in found[:200]
    ]


def allege(
    ctx: WebContext, p: Principal, process_id: int, commitment_id: int, *, summary: str, label: str
) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _commitment(s, p, process_id, commitment_id)
        check_record(p, Action.CREATE, process_id, label, p.user_id)
        _logged(ctx, s, process_id)
        made = allege_violation(
            s, process_id, row.id, summary, label=label, actor_id=p.user_id, actor=p.username, at=ctx.clock()
        )
        _sign(ctx, s, process_id)
        return _violation_dict(s, made, ctx.clock())


def _violation(s: Session, p: Principal, process_id: int, violation_id: int, action: Action) -> ViolationRow:
    row = s.get(ViolationRow, violation_id)
    if row is None or row.process_id != process_id:
        raise not_found()
    check_record(p, Action.READ, process_id, row.label, row.created_by)
    if action is not Action.READ:
        check_record(p, action, process_id, row.label, row.created_by)
    return row


def violation_detail(ctx: WebContext, p: Principal, process_id: int, violation_id: int) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _violation(s, p, process_id, violation_id, Action.READ)
        out = _violation_dict(s, row, ctx.clock())
        out["may_move"] = access.decide(
            p.subject, Action.ASSESS, Resource.record(process_id, Label.parse(row.label))
        ).allowed
        out["history"] = [
            {"id": t.id, "seq": t.seq, "log_index": t.log_index, "actor_id": t.actor_id, **t.body}
            for t in queries.transition_rows(s, row.id)
        ]
        return out


def move(ctx: WebContext, p: Principal, process_id: int, violation_id: int, *, to: str, reason: str) -> dict[str, Any]:
    """Move a violation along the agreed procedure; an illegal move is refused with what is allowed."""
    with ctx.db.transaction() as s:
        info_in(s, p, process_id)
        row = _violation(s, p, process_id, violation_id, Action.ASSESS)
        transition_violation(s, row.id, to.strip(), reason, actor_id=p.user_id, actor=p.username, at=ctx.clock())
        _sign(ctx, s, process_id)
        return _violation_dict(s, row, ctx.clock())


def record(ctx: WebContext, p: Principal, process_id: int) -> tuple[ProcessInfo, dict[str, Any], dict[str, list[Any]]]:
    """Implementation scores and each party's Beta-posterior track record, over what the caller may read."""
    with ctx.db.transaction() as s:
        info = info_in(s, p, process_id)
        overall, per_party = implementation(s, process_id, info.readable)
        outcomes = assessed_outcomes(s, process_id, info.readable)
    series = track_record(outcomes)
    scores = {"process": _impl(overall), "parties": {k: _impl(v) for k, v in per_party.items()}}
    return info, scores, dict(series)
