"""Pages and the API checked against the log, on SQLite and PostgreSQL.

The demo's records are written through the services; then, one case at a time, a row is changed directly in SQL (as
someone with write access to the database and no key could) — or its log entry is damaged or removed — and:

- ``detente ledger audit`` lists the row and exits 1 (and an audit alert ``record.mismatch`` is recorded);
- the JSON API refuses the record with ``record_mismatch`` (HTTP 424), never passing the changed value on;
- the page still shows it, under a banner naming what differs;
- the scheduled check of ``serve`` finds it.

Each case is then undone and everything agrees again, so no check flags records that were not touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.config import Settings
from detente.db.ledger import get_log
from detente.db.models import AuditEvent, User
from detente.db.sealed import process_domain, sealing
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    ConsentRow,
    LedgerEntry,
    PartyKeyRow,
    ReportRow,
    ViolationRow,
    ViolationTransitionRow,
)
from detente.services import record_checks
from detente.services.demo import add_demo_verification, setup_demo_process
from detente.verification.ledger import generate_key
from detente.web.app import WebOptions, create_app
from detente.web.ledger_watch import LedgerWatch

POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
Undo = Callable[[Session], None]


@dataclass
class Site:
    app: Any
    client: TestClient
    pid: int
    token: str
    url: str
    workspace: Path

    def get(self, path: str, *, html: bool = False) -> Any:
        accept = "text/html" if html else "application/json"
        return self.client.get(path, headers={"Authorization": f"Bearer {self.token}", "Accept": accept})


@pytest.fixture
def site(database_url: str, workspace: Path) -> Iterator[Site]:
    settings = Settings(workspace=workspace, database_url=database_url, ledger_audit_minutes=0)
    app = create_app(settings, options=WebOptions(policy=POLICY))
    ctx = app.state.ctx
    pid = setup_demo_process(ctx)
    assert add_demo_verification(ctx, pid)
    with ctx.db.transaction() as s:
        mediator = s.scalars(select(User).where(User.username == "mediator")).one()
        token = create_token(s, mediator.id, "record-check", ["read"], clock=ctx.clock).secret
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(ctx, client, pid, token, database_url, workspace)
    ctx.db.close()


def _one(s: Session, model: Any, *where: Any) -> Any:
    return s.scalars(select(model).where(*where).order_by(model.id)).first()


def _edit(model: Any, where: Callable[[], Any], field: str, value: Callable[[Any], Any]) -> Callable[[Session], Undo]:
    """A tamper that sets one field of one row (JSON columns get a new object) and the undo that restores it."""

    def tamper(s: Session) -> Undo:
        row = _one(s, model, where())
        before = getattr(row, field)
        setattr(row, field, value(before))
        row_id = row.id

        def undo(s2: Session) -> None:
            setattr(s2.get(model, row_id), field, before)

        return undo

    return tamper


def _body(key: str, text: str) -> Callable[[Any], Any]:
    return lambda body: {**body, key: text}


def _flip_entry(s: Session, index_of: Callable[[Session], int]) -> Undo:
    log_id, index = get_log(s, _pid(s)).id, index_of(s)
    row = s.scalars(select(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == index)).one()
    before = bytes(row.data)
    changed = bytearray(before)
    at = changed.index(b"Kestrel")
    changed[at] ^= 0x20  # "Kestrel" -> "kestrel": one bit
    row.data = bytes(changed)

    def undo(s2: Session) -> None:
        s2.scalars(
            select(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == index)
        ).one().data = before

    return undo


def _delete_entry(s: Session, index_of: Callable[[Session], int]) -> Undo:
    log_id, index = get_log(s, _pid(s)).id, index_of(s)
    row = s.scalars(select(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == index)).one()
    kept = {"log_id": row.log_id, "idx": row.idx, "data": bytes(row.data), "leaf_hash": bytes(row.leaf_hash)}
    s.execute(delete(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == index))

    def undo(s2: Session) -> None:  # put back as the operator would, sealed with the process's key
        domain = process_domain(_pid(s2))
        s2.execute(insert(LedgerEntry), [{**kept, "data": sealing(s2.connection(), domain, kept["data"])}])

    return undo


def _pid(s: Session) -> int:
    return int(s.scalars(select(CommitmentRow.process_id)).first() or 0)


RELEASE = "Release of the Kestrel Bay detainees"
CROSSING = "Reopen the Cinder Plain market crossing"  # an open proposal: awaits Borealis
PATROLS = "Joint patrols in the Lowvale valley"  # declined by Borealis


def _release_index(s: Session) -> int:
    return int(_one(s, CommitmentRow, CommitmentRow.title == RELEASE).log_index)


@dataclass(frozen=True)
class Case:
    name: str
    tamper: Callable[[Session], Undo]
    #: the API route and the page that show the record (formatted with the process id and the record ids)
    api: str
    page: str
    #: what `ledger audit` must name
    expect: str


def _cases() -> list[Case]:
    base_api, base_page = "/api/v1/processes/{pid}/verification", "/processes/{pid}/verification"
    release = lambda: CommitmentRow.title == RELEASE  # noqa: E731
    return [
        Case("edited commitment text", _edit(CommitmentRow, release, "body", _body("text", "Nobody is released.")),
             base_api + "/commitments/{release}", base_page + "/commitments/{release}", "commitment {release}"),
        Case("edited commitment title", _edit(CommitmentRow, release, "title", lambda _: "Release of 4 detainees"),
             base_api + "/commitments", base_page, "title"),
        Case("proposal marked accepted", _edit(CommitmentRow, lambda: CommitmentRow.title == CROSSING, "state",
                                               lambda _: "accepted"),
             base_api + "/commitments", base_page, "state (accepted, the log says proposed)"),
        Case("declined turned into accepted", _edit(ConsentRow, lambda: ConsentRow.decision == "decline", "decision",
                                                    lambda _: "accept"),
             base_api + "/proposals", base_page + "/commitments/{patrols}", "consent"),
        Case("edited report", _edit(ReportRow, lambda: ReportRow.id > 0, "body",
                                    _body("narrative", "All 40 detainees were handed over.")),
             base_api + "/reports/{report}", base_page + "/reports/{report}", "report {report}"),
        Case("edited assessment", _edit(AssessmentRow, lambda: AssessmentRow.status == "partially_compliant", "status",
                                        lambda _: "compliant"),
             base_api + "/commitments/{release}", base_page + "/commitments/{release}", "assessment"),
        Case("edited violation summary", _edit(ViolationRow, lambda: ViolationRow.id > 0, "summary",
                                               lambda _: "Nothing happened."),
             base_api + "/violations/{violation}", base_page + "/violations/{violation}", "summary"),
        Case("edited violation step", _edit(ViolationTransitionRow, lambda: ViolationTransitionRow.seq == 1, "body",
                                            _body("reason", "Closed without a visit.")),
             base_api + "/violations/{violation}", base_page + "/violations/{violation}", "violation step"),
        Case("swapped party key", _edit(PartyKeyRow, lambda: PartyKeyRow.id > 0, "vkey",
                                        lambda _: generate_key("intruder").public.vkey),
             base_api + "/keys", base_page + "/keys", "party key"),
        Case("byte flip in an entry", lambda s: _flip_entry(s, _release_index),
             base_api + "/commitments/{release}", base_page + "/commitments/{release}",
             "entry bytes do not match their leaf hash"),
        Case("deleted entry", lambda s: _delete_entry(s, _release_index),
             base_api + "/commitments/{release}", base_page + "/commitments/{release}", "entry missing"),
    ]  # fmt: skip


def _ids(site: Site) -> dict[str, int]:
    with site.app.db.transaction() as s:
        return {
            "pid": site.pid,
            "release": _one(s, CommitmentRow, CommitmentRow.title == RELEASE).id,
            "patrols": _one(s, CommitmentRow, CommitmentRow.title == PATROLS).id,
            "report": _one(s, ReportRow, ReportRow.id > 0).id,
            "violation": _one(s, ViolationRow, ViolationRow.id > 0).id,
        }


def test_every_changed_row_is_caught_by_the_audit_the_api_and_the_page(site: Site) -> None:
    ids = _ids(site)
    runner = CliRunner()
    env = {"DETENTE_WORKSPACE": str(site.workspace), "DETENTE_DATABASE_URL": site.url}
    clean = runner.invoke(cli, ["ledger", "audit", "--process", str(site.pid)], env=env)
    assert clean.exit_code == 0 and "AGREES" in clean.output, clean.output
    rows: list[tuple[str, str, int, str]] = []
    for case in _cases():
        with site.app.db.transaction() as s:
            undo = case.tamper(s)
        expect = case.expect.format(**ids)
        found = record_checks.audit_process(site.app, site.pid)
        assert any(expect in r.message for r in found.records) or any(expect in t for t in found.tree), (
            case.name, found.records, found.tree)  # fmt: skip
        audit = runner.invoke(cli, ["ledger", "audit", "--process", str(site.pid), "--json"], env=env)
        assert audit.exit_code == 1, (case.name, audit.output)
        assert expect in audit.output, (case.name, audit.output)
        api = site.get(case.api.format(**ids))
        assert api.status_code == 424 and api.json()["error"]["code"] == "record_mismatch", (case.name, api.text)
        page = site.get(case.page.format(**ids), html=True)
        assert page.status_code == 200 and "What the database now says is not what was logged" in page.text, (
            case.name, page.status_code)  # fmt: skip
        rows.append((case.name, api.json()["error"]["code"], api.status_code, found.records[0].message
                     if found.records else found.tree[0]))  # fmt: skip
        with site.app.db.transaction() as s:
            undo(s)
        again = record_checks.audit_process(site.app, site.pid)
        assert again.ok, (case.name, again)
        assert site.get(case.api.format(**ids)).status_code == 200, case.name
    with site.app.db.transaction() as s:
        alerts = list(s.scalars(select(AuditEvent).where(AuditEvent.action == record_checks.ALERT)))
    assert len({a.target for a in alerts}) >= 8
    assert all(a.label == "mediators_only" for a in alerts)
    backend = site.url.split(":", 1)[0]
    print(f"\npage check on {backend}: {len(rows)} cases, all caught by the audit, the API (424) and the page")
    for name, _, status, message in rows:
        print(f"  {name:<32} API {status}  {message}")


def test_the_scheduled_check_finds_a_changed_row(site: Site) -> None:
    with site.app.db.transaction() as s:
        row = _one(s, CommitmentRow, CommitmentRow.title == RELEASE)
        row.title = "Release of 4 detainees"
    watch = LedgerWatch(site.app, every_seconds=3600)
    assert watch.check_once() >= 1  # the check itself, once
    watch = LedgerWatch(site.app, every_seconds=0.05).start()
    try:
        # wait for the condition, not for a time: two completed runs of the thread
        import time

        deadline = time.monotonic() + 60
        while watch.runs < 2:
            assert time.monotonic() < deadline, "the scheduled check did not run"
            time.sleep(0.01)
    finally:
        watch.stop()
    with site.app.db.transaction() as s:
        alerts = list(s.scalars(select(AuditEvent).where(AuditEvent.action == record_checks.ALERT)))
    assert [a.target for a in alerts].count(f"commitment:{row.id}") == 1  # once an hour, not on every run
    assert json.loads(json.dumps(alerts[0].detail))["fields"] == ["title"]
