"""SIGKILL in the middle of multi-step use cases leaves all of each or none of it, on SQLite and PostgreSQL.

A server process proposes commitments, has both parties accept them (each signing with its own key), files reports
with evidence files, assesses, replans (a trust revision and
a plan revision together) and makes planned steps commitments, in a loop; it is killed at arbitrary moments. After
each kill, in the stored state: every acknowledged use case is there; every record has its log entry, every log
entry its record, the log has a checkpoint at its size and verifies; every use case's audit event is there, and no
audit event speaks of something that is not; every replan's trust revision has its plan and every link its
commitment. (An evidence file written before a killed transaction may stay in the content-addressed store,
unreferenced: it is no record, and the next report with the same bytes reuses it.)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from detente.access import Role
from detente.config import Settings
from detente.db import cbm as cbm_db
from detente.db.ledger import audit_log, get_log
from detente.db.models import AuditEvent
from detente.db.processes import add_party, create_process, set_membership
from detente.db.state_models import CbmStepLinkRow, CbmTrustRow
from detente.db.users import AccountPolicy, create_user
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    ConsentRow,
    LedgerCheckpoint,
    PartyKeyRow,
    ReportRow,
)
from detente.services import cbm, cbm_plans
from detente.services.accounts import caller_by_name
from detente.services.context import AppContext, open_context
from support import FakeClock

WORKER = Path(__file__).with_name("usecase_worker.py")
ROUNDS = 4


def _setup(app: AppContext) -> int:
    from argon2 import PasswordHasher

    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with app.db.transaction() as s:
        process = create_process(s, "Killed talks", clock=app.clock)
        north = add_party(s, process.id, "North", clock=app.clock).id
        south = add_party(s, process.id, "South", clock=app.clock).id
        members = (
            ("mediator", Role.MEDIATOR, None),
            ("observer", Role.OBSERVER, None),
            ("rep-north", Role.PARTY_REPRESENTATIVE, north),
            ("rep-south", Role.PARTY_REPRESENTATIVE, south),
        )
        for name, role, party in members:
            user = create_user(s, name, "correct horse battery", policy=policy, clock=app.clock)
            set_membership(s, process.id, user.id, role, party_id=party, clock=app.clock)
        pid = process.id
    mediator = caller_by_name(app, "mediator")
    cp = cbm.open_process(app, mediator, pid)
    cbm_plans.new_plan(app, mediator, cp, cbm_plans.PlanRequest(horizon=2))
    return pid


def _count(s: object, model: object, *where: object) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[attr-defined]


def _audited(s: object, action: str, pid: int) -> int:
    return _count(s, AuditEvent, AuditEvent.action == action, AuditEvent.process_id == pid)


def _check(app: AppContext, pid: int, acked: dict[str, set[int]]) -> None:
    with app.db.transaction() as s:
        audit = audit_log(s, pid)
        assert audit.ok, audit.problems
        log = get_log(s, pid)
        assert s.get(LedgerCheckpoint, (log.id, log.size)) is not None  # each write signed its checkpoint
        commitments = s.scalars(select(CommitmentRow.id).where(CommitmentRow.process_id == pid)).all()
        reports = s.scalars(select(ReportRow).where(ReportRow.process_id == pid)).all()
        assessments = _count(s, AssessmentRow, AssessmentRow.process_id == pid)
        keys = _count(s, PartyKeyRow, PartyKeyRow.process_id == pid)
        consents = _count(s, ConsentRow, ConsentRow.process_id == pid)
        links = s.scalars(select(CbmStepLinkRow.commitment_id).where(CbmStepLinkRow.process_id == pid)).all()
        # records and entries: one each way (the log holds exactly the records, nothing half-written)
        assert log.size == len(commitments) + len(reports) + assessments + keys + consents
        # audit events: one per use case done, none for one undone
        assert _audited(s, "commitment.proposed.new", pid) == len(commitments)
        assert _audited(s, "party_key.registered", pid) == keys
        assert _audited(s, "commitment.accepted", pid) == consents
        assert _audited(s, "report.filed", pid) == len(reports)
        assert _audited(s, "assessment.recorded", pid) == assessments
        assert _audited(s, "cbm.step_commitment", pid) == len(links) and set(links) <= set(commitments)
        plans = cbm_db.plan_history(s, pid)
        assert _audited(s, "cbm.plan", pid) + _audited(s, "cbm.replan", pid) == len(plans)
        trust = s.scalars(select(CbmTrustRow.state).where(CbmTrustRow.process_id == pid)).all()
        # a replan that applied records saved its trust revision and its plan together
        assert set(trust) == {p.revision.state.to_json() for p in plans if p.revision.trigger is not None}
        for report in reports:  # the evidence of every stored report is in the store, intact
            for item in report.body["evidence"]:
                assert app.evidence(pid).get(item["sha256"])
        stored = {"commitment": set(commitments), "report": {r.id for r in reports}, "plan": {p.revision.revision
                  for p in plans}, "step": set(links)}  # fmt: skip
    for kind, ids in acked.items():
        if kind in stored:
            assert ids <= stored[kind], (kind, ids - stored[kind])  # nothing acknowledged is lost


def test_sigkill_in_multi_step_use_cases_leaves_all_or_none(database_url: str, workspace: Path) -> None:
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock())
    try:
        pid = _setup(app)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parent), str(WORKER.parent.parent), *sys.path])}
        acked: dict[str, set[int]] = {}
        rng = random.Random(20261207)
        kinds: set[str] = set()
        for _round in range(ROUNDS):
            proc = subprocess.Popen(
                [sys.executable, str(WORKER), str(workspace), database_url, str(pid)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
            )
            assert proc.stdout is not None
            target = rng.randint(3, 9)
            for _ in range(target):
                line = proc.stdout.readline()
                assert line.startswith("ack "), "the worker stopped early"
                _, kind, ident = line.split()
                acked.setdefault(kind, set()).add(int(ident))
                kinds.add(kind)
            time.sleep(rng.uniform(0.0, 0.25))  # somewhere inside the next use case
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
            _check(app, pid, acked)
        assert {"commitment", "report", "plan"} <= kinds
        done = ", ".join(f"{len(ids)} {kind}" for kind, ids in sorted(acked.items()))
        print(f"\n{database_url.split(':')[0]}: {ROUNDS} kills, all or none each time; acknowledged and kept: {done}")
    finally:
        app.close()
