"""Records checked against the log: does each SQL row still say what its log entry says?

Pages and the API read commitments, proposals, consents, party keys, reports, assessments, violations and their
steps from SQL rows, for speed and for queries. Each row was written in the same transaction as its log entry, so
the two agree — unless someone changed the row afterwards. This module compares every field a row shows with the
entry logged for it (decoded from the stored entry bytes, whose leaf hash is checked too) and derives what is not
logged as such — a proposal's state from the logged consents, a violation's state and summary from its logged steps
— from entries that were. It reports disagreements; it never repairs (the log is the record; a row that disagrees
with it is evidence of tampering or of a fault, for a person to look at).

Checking the tree itself — that the stored entries are the ones the signed checkpoints cover — is
:func:`detente.db.ledger.audit_log`'s job; ``detente ledger audit`` runs both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.db.consent import consents_of, keys_by_id
from detente.db.ledger import get_log
from detente.db.verification import violation_state
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    ConsentRow,
    LedgerEntry,
    PartyKeyRow,
    ReportRow,
    ViolationProcedureRow,
    ViolationRow,
    ViolationTransitionRow,
)
from detente.errors import DetenteError, LedgerError
from detente.verification.commitments import iso
from detente.verification.consent import Change, Decision, ProposalState, state_after
from detente.verification.ledger import decode_entry, leaf_hash

__all__ = ["Disagreement", "check_process", "check_rows"]


@dataclass(frozen=True)
class Disagreement:
    """A row that does not say what the log says (``fields``: what differs, or why it cannot be compared)."""

    kind: str
    record_id: int
    log_index: int | None
    fields: tuple[str, ...]

    @property
    def target(self) -> str:
        return f"{self.kind}:{self.record_id}"

    def message(self) -> str:
        where = f"log entry {self.log_index}" if self.log_index is not None else "the log"
        return f"{self.kind} {self.record_id} disagrees with {where}: {', '.join(self.fields)}"


def _when(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def _entries(session: Session, process_id: int, indexes: Iterable[int]) -> dict[int, tuple[str, dict[str, Any]] | str]:
    """Decoded entries by index; a string where the entry is missing, damaged or not a valid entry."""
    wanted = sorted({i for i in indexes if i >= 0})
    if not wanted:
        return {}
    log_id = get_log(session, process_id).id
    found: dict[int, tuple[str, dict[str, Any]] | str] = {i: "entry missing" for i in wanted}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(LedgerEntry.idx, LedgerEntry.data, LedgerEntry.leaf_hash).where(
            LedgerEntry.log_id == log_id, LedgerEntry.idx.in_(chunk)
        )
        for idx, data, stored_hash in session.execute(query):
            if leaf_hash(bytes(data)) != bytes(stored_hash):
                found[idx] = "entry bytes do not match their leaf hash"
                continue
            try:
                entry = decode_entry(bytes(data))
            except LedgerError:
                found[idx] = "entry is not a valid log entry"
                continue
            found[idx] = (entry.kind, dict(entry.body))
    return found


def _differences(expected: Mapping[str, object], shown: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(name for name in shown if expected.get(name) != shown[name])


def _commitment_fields(row: CommitmentRow, body: dict[str, Any]) -> tuple[str, ...]:
    text = body.get("commitment") or {}
    proposal = body.get("proposal")
    logged: dict[str, object] = {
        "id": body.get("id"),
        "process_id": body.get("process_id"),
        "body": text,
        "title": str(text.get("title", "")).strip(),
        "category": text.get("category"),
        "label": text.get("label"),
        "created_by": body.get("created_by"),
        "created_at": body.get("created_at"),
    }
    shown: dict[str, object] = {
        "id": row.id,
        "process_id": row.process_id,
        "body": row.body,
        "title": row.title,
        "category": row.category,
        "label": row.label,
        "created_by": row.created_by,
        "created_at": _when(row.created_at),
    }
    if isinstance(proposal, dict):
        logged.update({k: proposal.get(k) for k in ("change", "amends", "binds", "expires_at")})
        shown.update(
            {"change": row.change, "amends": row.amends, "binds": list(row.binds), "expires_at": _when(row.expires_at)}
        )
    return _differences(logged, shown)


def _consent_fields(row: ConsentRow, keys: Mapping[int, PartyKeyRow], body: dict[str, Any]) -> tuple[str, ...]:
    key = keys.get(row.key_id)
    shown = {
        "id": row.id,
        "process_id": row.process_id,
        "commitment_id": row.commitment_id,
        "party_id": row.party_id,
        "user_id": row.user_id,
        "decision": row.decision,
        "reason": row.reason,
        "key": key.vkey if key is not None else None,
        "statement": row.statement,
        "signature": row.signature,
        "created_at": _when(row.created_at),
    }
    return _differences(body, shown)


def _key_fields(row: PartyKeyRow, body: dict[str, Any]) -> tuple[str, ...]:
    shown = {
        "id": row.id,
        "process_id": row.process_id,
        "party_id": row.party_id,
        "user_id": row.user_id,
        "key": row.vkey,
        "created_at": _when(row.created_at),
    }
    return _differences(body, shown)


def _report_fields(row: ReportRow, body: dict[str, Any]) -> tuple[str, ...]:
    report = body.get("report") or {}
    logged = {**body, "label": report.get("label"), "commitment_id": report.get("commitment_id")}
    shown = {
        "id": row.id,
        "process_id": row.process_id,
        "author_id": row.author_id,
        "created_at": _when(row.created_at),
        "report": row.body,
        "signature": row.signature,
        "label": row.label,
        "commitment_id": row.commitment_id,
    }
    return _differences(logged, shown)


def _assessment_fields(row: AssessmentRow, body: dict[str, Any]) -> tuple[str, ...]:
    assessment = body.get("assessment") or {}
    logged = {**body, **{k: assessment.get(k) for k in ("commitment_id", "period", "status", "score", "label")}}
    shown = {
        "id": row.id,
        "process_id": row.process_id,
        "created_by": row.created_by,
        "created_at": _when(row.created_at),
        "assessment": row.body,
        "commitment_id": row.commitment_id,
        "period": row.period,
        "status": row.status,
        "score": row.score,
        "label": row.label,
    }
    return _differences(logged, shown)


def _transition_fields(row: ViolationTransitionRow, violation: ViolationRow, body: dict[str, Any]) -> tuple[str, ...]:
    shown: dict[str, object] = {
        "violation_id": row.violation_id,
        "commitment_id": violation.commitment_id,
        "seq": row.seq,
        **row.body,
        "at": _when(row.at),
    }
    return _differences(body, shown)


def _procedure_fields(row: ViolationProcedureRow, body: dict[str, Any]) -> tuple[str, ...]:
    return _differences(body, {"process_id": row.process_id, "procedure": row.body})


Compare = Callable[[dict[str, Any]], tuple[str, ...]]


@dataclass
class _Check:
    entries: Mapping[int, tuple[str, dict[str, Any]] | str]
    out: list[Disagreement]

    def against(self, kind: str, logged: str, row_id: int, index: int | None, compare: Compare) -> bool:
        """Compare one row with its entry (of kind *logged*); record and return False when they disagree."""
        if index is None or index < 0:
            self.out.append(Disagreement(kind, row_id, None, ("no log entry",)))
            return False
        found = self.entries.get(index, "entry missing")
        if isinstance(found, str):
            self.out.append(Disagreement(kind, row_id, index, (found,)))
            return False
        entry_kind, body = found
        if entry_kind != logged:
            self.out.append(Disagreement(kind, row_id, index, (f"the entry is a {entry_kind!r}, not a {logged!r}",)))
            return False
        fields = compare(body)
        if fields:
            self.out.append(Disagreement(kind, row_id, index, fields))
            return False
        return True


def _expected_state(
    row: CommitmentRow, logged_proposal: bool, decided: Mapping[int, Decision], changes: Sequence[CommitmentRow]
) -> str:
    """What the logged entries say the proposal's stored state must be (expiry is computed at read time)."""
    state = state_after(row.binds, decided) if logged_proposal else ProposalState.ACCEPTED
    if state is ProposalState.ACCEPTED:
        for change in changes:
            if change.state == ProposalState.ACCEPTED.value:
                withdrawal = change.change == Change.WITHDRAWAL.value
                return (ProposalState.WITHDRAWN if withdrawal else ProposalState.SUPERSEDED).value
    return state.value


def check_rows(
    session: Session,
    process_id: int,
    *,
    commitments: Sequence[CommitmentRow] = (),
    reports: Sequence[ReportRow] = (),
    assessments: Sequence[AssessmentRow] = (),
    violations: Sequence[ViolationRow] = (),
    keys: Sequence[PartyKeyRow] = (),
    procedure: ViolationProcedureRow | None = None,
) -> list[Disagreement]:
    """Compare the given rows (and, for commitments, their consents; for violations, their steps) with the log."""
    consents = consents_of(session, [c.id for c in commitments])
    changes = (
        list(session.scalars(select(CommitmentRow).where(CommitmentRow.amends.in_([c.id for c in commitments]))))
        if commitments
        else []
    )
    steps = (
        list(
            session.scalars(
                select(ViolationTransitionRow)
                .where(ViolationTransitionRow.violation_id.in_([v.id for v in violations]))
                .order_by(ViolationTransitionRow.violation_id, ViolationTransitionRow.seq)
            )
        )
        if violations
        else []
    )
    key_rows = {k.id: k for k in keys}
    key_rows.update(keys_by_id(session, {c.key_id for c in consents} - set(key_rows)))
    logged: list[CommitmentRow | ReportRow | AssessmentRow | ConsentRow | ViolationTransitionRow | PartyKeyRow] = [
        *commitments,
        *reports,
        *assessments,
        *consents,
        *steps,
        *key_rows.values(),
    ]
    indexes = [r.log_index for r in logged]
    if procedure is not None:
        indexes.append(procedure.log_index)
    check = _Check(_entries(session, process_id, indexes), [])

    good_consents: dict[int, dict[int, Decision]] = {}
    for c in consents:
        if check.against("consent", "consent", c.id, c.log_index, partial(_consent_fields, c, key_rows)):
            good_consents.setdefault(c.commitment_id, {})[c.party_id] = Decision(c.decision)
    for row in commitments:
        if not check.against("commitment", "commitment", row.id, row.log_index, partial(_commitment_fields, row)):
            continue
        found = check.entries[row.log_index]
        logged_proposal = not isinstance(found, str) and isinstance(found[1].get("proposal"), dict)
        mine = [c for c in changes if c.amends == row.id]
        expected = _expected_state(row, logged_proposal, good_consents.get(row.id, {}), mine)
        if row.state != expected:
            check.out.append(
                Disagreement("commitment", row.id, row.log_index, (f"state ({row.state}, the log says {expected})",))
            )
    for key in key_rows.values():
        check.against("party key", "party_key", key.id, key.log_index, partial(_key_fields, key))
    for report in reports:
        check.against("report", "report", report.id, report.log_index, partial(_report_fields, report))
    for a in assessments:
        check.against("assessment", "assessment", a.id, a.log_index, partial(_assessment_fields, a))
    by_violation: dict[int, list[ViolationTransitionRow]] = {}
    for step in steps:
        by_violation.setdefault(step.violation_id, []).append(step)
    for v in violations:
        mine_steps = by_violation.get(v.id, [])
        good = all(
            [
                check.against(
                    "violation step",
                    "violation.transition",
                    s.id,
                    s.log_index,
                    partial(_transition_fields, s, v),
                )
                for s in mine_steps
            ]
        )
        if not good:
            check.out.append(Disagreement("violation", v.id, None, ("a logged step disagrees",)))
            continue
        if not mine_steps or [s.seq for s in mine_steps] != list(range(len(mine_steps))):
            check.out.append(Disagreement("violation", v.id, None, ("its logged steps are missing or out of order",)))
            continue
        wrong = []
        if v.summary != mine_steps[0].body.get("reason"):
            wrong.append("summary")
        try:
            replayed = violation_state(session, v.id).state
        except DetenteError as exc:
            replayed = f"no valid state ({exc})"
        if v.state != replayed:
            wrong.append(f"state ({v.state}, the log says {replayed})")
        if wrong:
            check.out.append(Disagreement("violation", v.id, mine_steps[0].log_index, tuple(wrong)))
    if procedure is not None:
        check.against("violation procedure", "violation.procedure", procedure.process_id, procedure.log_index,
                      partial(_procedure_fields, procedure))  # fmt: skip
    return check.out


def check_process(session: Session, process_id: int) -> list[Disagreement]:
    """Every record of the process against the log (``detente ledger audit`` and the scheduled check)."""

    def rows(model: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.process_id == process_id).order_by(model.id)))

    return check_rows(
        session,
        process_id,
        commitments=rows(CommitmentRow),
        reports=rows(ReportRow),
        assessments=rows(AssessmentRow),
        violations=rows(ViolationRow),
        keys=rows(PartyKeyRow),
        procedure=session.get(ViolationProcedureRow, process_id),
    )
