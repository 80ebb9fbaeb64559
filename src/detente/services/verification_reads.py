"""The verification use cases that read: the commitments board, a commitment with its reports, assessments and
violations, a report and its evidence, zone candidates, a violation's history, and the track record. Every list is
filtered in SQL by the labels the caller may read, so hidden records are neither returned nor counted; whatever is
computed from records (scores, track records) is computed from those alone."""

from __future__ import annotations

from detente.access import Action, Label, Resource
from detente.db import verification as vdb
from detente.db import verification_queries as queries
from detente.services.authz import allowed, hidden
from detente.services.caller import Caller
from detente.services.consent import commitment_views
from detente.services.context import AppContext
from detente.services.record_checks import vouch
from detente.services.verification import (
    ProcessInfo,
    info_in,
    readable_commitment,
    readable_report,
    readable_violation,
    violation_out,
)
from detente.services.verification_models import (
    BoardOut,
    BoardRowOut,
    CandidateOut,
    CommitmentDetail,
    ImplementationOut,
    ImplementationScores,
    RecordPointOut,
    ReportOut,
    TrackRecordOut,
    TransitionOut,
    ViolationOut,
    assessment_out,
    report_out,
)
from detente.verification.assessments import Implementation
from detente.verification.board import board_rows, stored_due
from detente.verification.consent import ProposalState, counts, effective_state
from detente.verification.track_record import RecordPoint, track_record

__all__ = [
    "board",
    "candidates",
    "commitment_detail",
    "evidence_file",
    "report_detail",
    "track_record_of",
    "violation_detail",
]


def _impl(value: Implementation) -> ImplementationOut:
    ratio = value.ratio
    return ImplementationOut(
        commitments=value.commitments,
        scored=value.scored,
        total=value.total,
        ratio=None if ratio is None else round(ratio, 4),
    )


def _scores(overall: Implementation, per_party: dict[str, Implementation]) -> ImplementationScores:
    return ImplementationScores(process=_impl(overall), parties={k: _impl(v) for k, v in per_party.items()})


def board(
    app: AppContext,
    caller: Caller,
    process_id: int,
    *,
    status: str | None = None,
    party: str | None = None,
    category: str | None = None,
    overdue_only: bool = False,
) -> tuple[ProcessInfo, BoardOut]:
    """The commitments in force the caller may read (filtered), the PAM-style implementation over them, and the
    proposals still awaiting a party's acceptance."""
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        labels = info.readable
        every = vdb.list_commitments(s, process_id, labels, in_force=False)  # one read: in force and open proposals
        in_force = [r for r in every if counts(r.change, r.state)]
        commitments = [(c.id, c.title, c.category, c.label, c.body) for c in in_force]
        assessment_rows = queries.assessment_rows(s, process_id, labels)
        assessed = [(a.commitment_id, a.period, a.status, a.score, a.created_at) for a in assessment_rows]
        overall, per_party = vdb.implementation(s, process_id, labels)
        now = app.clock()
        open_rows = [r for r in every if effective_state(r.state, r.expires_at, now) is ProposalState.PROPOSED]
        pending = commitment_views(s, app, open_rows, info.party_names)
        checks = vouch(s, app, caller, process_id, commitments=[*in_force, *open_rows], assessments=assessment_rows)
    rows = [
        r
        for r in board_rows(commitments, assessed, app.clock())
        if (not status or r.status == status)
        and (not party or party in r.parties)
        and (not category or r.category == category)
        and (not overdue_only or r.overdue)
    ]
    out = [
        BoardRowOut(
            id=r.id,
            title=r.title,
            category=r.category,
            parties=list(r.parties),
            label=r.label,
            status=r.status,
            score=r.score,
            next_due=r.next_due,
            overdue=r.overdue,
            owed_period=r.owed_period,
            owed_due=r.owed_due,
        )
        for r in rows
    ]
    return info, BoardOut(
        commitments=out, implementation=_scores(overall, per_party), proposals=pending, log_check=checks
    )


def commitment_detail(app: AppContext, caller: Caller, process_id: int, commitment_id: int) -> CommitmentDetail:
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        row = readable_commitment(s, caller, process_id, commitment_id)
        labels = info.readable
        assessed = queries.assessment_rows(s, process_id, labels, commitment_id=row.id)
        periods = {a.period for a in assessed if a.status != "pending"}
        due = stored_due(row.body, periods, app.clock())
        reports = queries.report_rows(s, process_id, labels, commitment_id=row.id)
        violations = queries.violation_rows(s, process_id, labels, commitment_id=row.id)
        checks = vouch(s, app, caller, process_id, commitments=[row], reports=reports, assessments=assessed,
                       violations=violations)  # fmt: skip
        return CommitmentDetail(
            commitment=commitment_views(s, app, [row], info.party_names)[0],
            next_due=due.next_due,
            owed_period=due.owed_period,
            owed_due=due.owed_due,
            reports=[report_out(r) for r in reports],
            assessments=[assessment_out(a) for a in assessed],
            violations=[violation_out(s, app, v) for v in violations],
            log_check=checks,
        )


def report_detail(app: AppContext, caller: Caller, process_id: int, report_id: int) -> ReportOut:
    with app.db.transaction() as s:
        info_in(s, caller, process_id)
        row = readable_report(s, caller, process_id, report_id)
        out = report_out(row, signature_valid=vdb.check_report_signature(s, row.id))
        out.log_check = vouch(s, app, caller, process_id, reports=[row])
        return out


def evidence_file(
    app: AppContext, caller: Caller, process_id: int, report_id: int, sha256: str
) -> tuple[bytes, str, str]:
    """The bytes, media type and name of one evidence file of a report the caller may read."""
    with app.db.transaction() as s:
        info_in(s, caller, process_id)
        row = readable_report(s, caller, process_id, report_id)
        found = [e for e in row.body.get("evidence", []) if e.get("sha256") == sha256]
    if not found:
        raise hidden()
    return app.evidence(process_id).get(sha256), str(found[0]["media_type"]), str(found[0]["filename"])


def candidates(app: AppContext, caller: Caller, process_id: int, commitment_id: int) -> list[CandidateOut]:
    """Events in a ceasefire commitment's zone, period and categories: candidates for a person to assess."""
    from detente.events.store import open_store
    from detente.verification.geo import GeoScope, candidate_violations

    with app.db.transaction() as s:
        info_in(s, caller, process_id)
        geo = readable_commitment(s, caller, process_id, commitment_id).body.get("geo")
    if not geo:
        return []
    found = candidate_violations(GeoScope.from_body(geo), open_store(app.workspace).table())
    return [
        CandidateOut(
            event_id=c.event_id,
            date=c.date_start.isoformat(),
            category=c.category,
            latitude=c.latitude,
            longitude=c.longitude,
            place=c.place,
            actors=list(c.actors),
            fatalities=c.fatalities,
        )
        for c in found[:200]
    ]


def violation_detail(app: AppContext, caller: Caller, process_id: int, violation_id: int) -> ViolationOut:
    with app.db.transaction() as s:
        info_in(s, caller, process_id)
        row = readable_violation(s, caller, process_id, violation_id)
        out = violation_out(s, app, row)
        out.may_move = allowed(caller, Action.ASSESS, Resource.record(process_id, Label.parse(row.label)))
        out.history = [
            TransitionOut(
                id=t.id,
                seq=t.seq,
                log_index=t.log_index,
                actor_id=t.actor_id,
                from_state=t.body.get("from"),
                to=str(t.body.get("to", "")),
                actor=str(t.body.get("actor", "")),
                reason=str(t.body.get("reason", "")),
                at=str(t.body.get("at", "")),
            )
            for t in queries.transition_rows(s, row.id)
        ]
        out.log_check = vouch(s, app, caller, process_id, violations=[row])
        return out


def _point(p: RecordPoint) -> RecordPointOut:
    return RecordPointOut(time=p.time, alpha=p.alpha, beta=p.beta, mean=p.mean, low=p.low, high=p.high, n=p.n)


def track_record_of(
    app: AppContext, caller: Caller, process_id: int
) -> tuple[ProcessInfo, TrackRecordOut, dict[str, list[RecordPoint]]]:
    """Implementation scores and each party's Beta-posterior track record, over what the caller may read (the
    record is computed from readable assessments of readable commitments only)."""
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        overall, per_party = vdb.implementation(s, process_id, info.readable)
        outcomes = vdb.assessed_outcomes(s, process_id, info.readable)
        checks = vouch(s, app, caller, process_id, commitments=vdb.list_commitments(s, process_id, info.readable),
                       assessments=queries.assessment_rows(s, process_id, info.readable))  # fmt: skip
    series = track_record(outcomes)
    out = TrackRecordOut(
        implementation=_scores(overall, per_party),
        parties={party: [_point(p) for p in points] for party, points in series.items()},
        log_check=checks,
    )
    return info, out, dict(series)
