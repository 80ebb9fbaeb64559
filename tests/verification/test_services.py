"""Services on SQLite and PostgreSQL: every commitment, report, assessment and violation step is stored with its log
entry in the same transaction; the exported bundle verifies offline and holds each of them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from detente.cbm import Outcome
from detente.db import Database
from detente.db.ledger import ensure_log, export_log, get_log, sign_log_checkpoint
from detente.db.processes import add_party, create_process
from detente.db.users import AccountPolicy, create_user
from detente.db.verification import (
    allege_violation,
    assessed_outcomes,
    check_report_signature,
    create_commitment,
    escalate_overdue,
    file_report,
    implementation,
    record_assessment,
    transition_violation,
    violation_state,
)
from detente.db.verification_models import CommitmentRow
from detente.errors import InputError
from detente.verification.assessments import Assessment
from detente.verification.commitments import Commitment, Schedule
from detente.verification.keys import KeyVault
from detente.verification.reports import Report
from detente.verification.violations import IllegalTransition
from support import FakeClock

POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
LABELS = ["public", "all_parties"]


def _setup(db: Database, vault: KeyVault) -> tuple[int, int]:
    with db.transaction() as s:
        user = create_user(s, "observer.amina", "correct horse battery", policy=POLICY, clock=db.clock)
        process = create_process(s, "Northern corridor", clock=db.clock)
        add_party(s, process.id, "North", clock=db.clock)
        add_party(s, process.id, "South", clock=db.clock)
        ensure_log(s, process.id, vault, clock=db.clock)
        return process.id, user.id


def _commitment(parties: tuple[str, ...] = ("North", "South")) -> Commitment:
    return Commitment(
        title="Open crossing 3",
        text="Crossing 3 opens daily 08:00-16:00 for civilians.",
        parties=parties,
        category="humanitarian_access",  # type: ignore[arg-type]
        schedule=Schedule(deadline=FakeClock().now + timedelta(days=7)),
        methods=("third_party_observer",),  # type: ignore[arg-type]
        verifier="Joint monitoring team",
        label="all_parties",
    )


def _commit(s: Session, pid: int, commitment: Commitment, uid: int, clock: FakeClock) -> CommitmentRow:
    """A commitment stored as proposed, then put in force as if every bound party had accepted it (the signed
    acceptance itself is tested in test_consent.py)."""
    row = create_commitment(s, pid, commitment, actor_id=uid, expires_at=clock.now + timedelta(days=14), clock=clock)
    row.state = "accepted"
    return row


def test_workflow_is_logged_and_exports(db: Database, vault: KeyVault, clock: FakeClock, tmp_path: Path) -> None:
    pid, uid = _setup(db, vault)
    with db.transaction() as s:
        cid = _commit(s, pid, _commitment(), uid, clock).id
        report = Report(
            "observer.amina", clock.now, "Crossing 3", "Open at 08:05; 212 people crossed.", "all_parties", cid
        )
        rid = file_report(s, pid, report, author_id=uid, vault=vault, clock=clock).id
        assert check_report_signature(s, rid)
        assessment = Assessment(
            cid, "deadline", Outcome.COMPLIANT, "observed open", "observer.amina", clock.now, "all_parties", (rid,)
        )
        record_assessment(s, pid, assessment, actor_id=uid, clock=clock)
        vid = allege_violation(
            s,
            pid,
            cid,
            "crossing closed at noon",
            label="all_parties",
            actor_id=uid,
            actor="observer.amina",
            at=clock.now,
        ).id
        transition_violation(
            s, vid, "under_review", "commission seized", actor_id=uid, actor="mediator.lea", at=clock.now
        )
        with pytest.raises(IllegalTransition, match="allowed: confirmed, dismissed"):
            transition_violation(s, vid, "resolved", "skip", actor_id=uid, actor="mediator.lea", at=clock.now)
    clock.advance(days=20)
    with db.transaction() as s:
        assert escalate_overdue(s, pid, clock.now)[0][0] == vid
        assert violation_state(s, vid).escalations == 1
        process, parties = implementation(s, pid, LABELS)
        assert process.total == 3 and parties["North"].ratio == 1.0
        assert [o.outcome for o in assessed_outcomes(s, pid, LABELS)] == [Outcome.COMPLIANT]
        assert implementation(s, pid, ["public"])[0].commitments == 0  # filtered by the readable labels
        sign_log_checkpoint(s, get_log(s, pid).id, vault, clock=clock)
        export_log(s, pid, tmp_path / "bundle")
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "bundle" / "entries.jsonl").read_text().splitlines()]
    assert kinds == [
        "commitment",
        "report",
        "assessment",
        "violation.transition",
        "violation.transition",
        "violation.transition",
    ]
    from detente.cli.ledger import app

    strict = CliRunner().invoke(app, ["verify", str(tmp_path / "bundle")])
    assert strict.exit_code == 1 and "policy_unfilled" in strict.output  # no witness named yet: not VERIFIED
    lax = CliRunner().invoke(app, ["verify", str(tmp_path / "bundle"), "--allow-unwitnessed"])
    assert lax.exit_code == 0 and "VERIFIED WITHOUT WITNESSES" in lax.output


def test_a_refused_record_leaves_neither_row_nor_entry(db: Database, vault: KeyVault, clock: FakeClock) -> None:
    pid, uid = _setup(db, vault)
    with pytest.raises(InputError, match="not parties"), db.transaction() as s:
        _commit(s, pid, _commitment(("North", "West")), uid, clock)
    with db.transaction() as s:
        _commit(s, pid, _commitment(), uid, clock)
    with pytest.raises(InputError), db.transaction() as s:
        _commit(s, pid, _commitment(), uid, clock)
        raise InputError("the caller fails after the append")  # the whole transaction, entry included, rolls back
    with db.transaction() as s:
        assert get_log(s, pid).size == 1
        assert s.query(CommitmentRow).count() == 1
