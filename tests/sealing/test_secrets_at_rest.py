"""Secrets at rest (issue 12, part 5; ADR 0024): canaries written through the use cases into every sealed field are
nowhere in the SQLite file, the PostgreSQL dump or the workspace; they read back through the workbench; a master-key
rotation keeps everything readable, and the old key no longer opens anything."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from consenting import decide_for
from detente.config import Settings
from detente.errors import ConfigError, StoreError
from detente.services import accounts, notes, verification
from detente.services import actors as actor_services
from detente.services.accounts import caller_by_name
from detente.services.actors import ProfileInput, RelationInput
from detente.services.audit import audit, list_audit
from detente.services.caller import operator
from detente.services.consent import propose
from detente.services.context import AppContext, open_context
from detente.services.demo import setup_demo
from detente.services.master_keys import rotate_master
from detente.services.verification_reads import board as board_of
from detente.web.app import create_app
from support import FakeClock

#: one canary per sealed field (and the evidence file): none may appear in any stored byte
CANARIES = {
    "note title": "CANARY-notetitle-7f3a",
    "note body": "CANARY-notebody-91c2",
    "commitment text": "CANARY-commitment-44d0",
    "consent reason": "CANARY-consentreason-0b7e",
    "report narrative": "CANARY-narrative-5e21",
    "evidence file": "CANARY-evidencefile-c9a8",
    "assessment rationale": "CANARY-rationale-2d6f",
    "violation summary": "CANARY-violation-83b1",
    "violation step": "CANARY-violationstep-6a4c",
    "actor profile": "CANARY-profile-1fe9",
    "analyst relation": "CANARY-relation-d27b",
    "audit detail": "CANARY-auditdetail-5c03",
}


@pytest.fixture
def sealed_app(database_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppContext]:
    """The demo, on the workspace's own master key file (no DETENTE_MASTER_KEY), with a canary in every field."""
    monkeypatch.delenv("DETENTE_MASTER_KEY", raising=False)
    settings = Settings(workspace=workspace, database_url=database_url)
    app = open_context(settings, clock=FakeClock())
    try:
        pid = setup_demo(app).process_id
        app.extras.update(pid=pid, settings=settings)
        _write_canaries(app, pid)
        yield app
    finally:
        app.close()


def _write_canaries(app: AppContext, pid: int) -> None:
    mediator = caller_by_name(app, "mediator", via="test")
    observer = caller_by_name(app, "observer", via="test")
    analyst = caller_by_name(app, "analyst", via="test")
    notes.create_note(app, mediator, pid, CANARIES["note title"], CANARIES["note body"], "mediators_only")
    _, board = board_of(app, mediator, pid)
    info = verification.process_info(app, mediator, pid)
    in_force = board.commitments[0]
    proposal = propose(app, mediator, pid, {
        "title": "Exchange of maps", "text": CANARIES["commitment text"], "category": "other",
        "parties": list(info.party_names.values())[:2],
        "methods": ["self_report"], "verifier": "The mediation team", "label": "all_parties",
        "schedule": {"deadline": "2031-01-01T00:00:00Z"},
    })  # fmt: skip
    first_party = sorted(info.party_names)[:1]
    decide_for(app, pid, proposal.id, decision="decline", reason=CANARIES["consent reason"], parties=first_party)
    report = verification.file_report(
        app, observer, pid, narrative=CANARIES["report narrative"], place="Kestrel Bay", time=None,
        label="all_parties", commitment_id=in_force.id,
        uploads=[("canary.txt", f"field log {CANARIES['evidence file']}\n".encode())],
    )  # fmt: skip
    verification.assess(
        app, observer, pid, in_force.id, period="P9", status="compliant", rationale=CANARIES["assessment rationale"],
        label="all_parties", report_ids=[report.id],
    )  # fmt: skip
    violation = verification.allege(
        app, observer, pid, in_force.id, summary=CANARIES["violation summary"], label="all_parties"
    )
    verification.move(app, mediator, pid, violation.id, to="under_review", reason=CANARIES["violation step"])
    scope = actor_services.open_scope(app, mediator, pid)
    actor_ids = sorted(scope.registry.actors)[:2]
    actor_services.set_profile(
        app, analyst, pid, actor_ids[0],
        ProfileInput("all_parties", "neutral", CANARIES["actor profile"], date(2024, 1, 2), 0.5, 0.5),
    )  # fmt: skip
    actor_services.add_relation(
        app, analyst, pid,
        RelationInput("all_parties", actor_ids[0], actor_ids[1], "ally", 0.5, 0.5, CANARIES["analyst relation"],
                      date(2024, 1, 2)),
    )  # fmt: skip
    with app.db.transaction(write=True) as s:
        audit(s, app, operator(), "test.canary", detail={"said": CANARIES["audit detail"]}, process_id=pid)
    app.extras.update(
        proposal=proposal.id, in_force=in_force.id, report=report.id, violation=violation.id,
        sha=report.evidence[0].sha256,
    )  # fmt: skip


def _stored_bytes(app: AppContext, database_url: str, workspace: Path) -> dict[str, bytes]:
    """Every byte Détente stored: the workspace's files (the SQLite file and its WAL among them) and, on
    PostgreSQL, the database's dump."""
    out = {str(p.relative_to(workspace)): p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    if database_url.startswith("postgresql"):
        url = make_url(database_url)
        dump = subprocess.run(
            ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
             "--no-owner", url.database or ""],
            capture_output=True, check=True,
        )  # fmt: skip
        out["pg_dump"] = dump.stdout
        assert b"CREATE TABLE public.reports" in dump.stdout  # the dump is real
    return out


def _found(stored: dict[str, bytes]) -> list[tuple[str, str]]:
    hits = []
    for name, value in CANARIES.items():
        needles = (value.encode(), value.encode("utf-16-le"), base64.b64encode(value.encode())[:16])
        hits += [(name, where) for where, data in stored.items() if any(n in data for n in needles)]
    return hits


def _read_back(app: AppContext, settings: Settings) -> None:
    """Every canary, read back through the workbench's API and pages (and the actor and audit use cases) by users who
    may read it."""
    ids = app.extras
    pid, base = ids["pid"], f"/api/v1/processes/{ids['pid']}"
    with TestClient(create_app(settings, clock=FakeClock()), base_url="https://testserver") as client:
        for user, path, canaries in (
            ("mediator", f"{base}/notes", ["note title", "note body"]),
            ("mediator", f"{base}/verification/commitments/{ids['proposal']}", ["commitment text", "consent reason"]),
            ("observer", f"{base}/verification/commitments/{ids['in_force']}",
             ["report narrative", "assessment rationale", "violation summary"]),
            ("mediator", f"{base}/verification/violations/{ids['violation']}", ["violation step"]),
            ("observer", f"/processes/{pid}/verification/reports/{ids['report']}/evidence/{ids['sha']}",
             ["evidence file"]),
        ):  # fmt: skip
            token = accounts.create_token(app, caller_by_name(app, user, via="test"), "read-back", ["read"]).secret
            answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, (path, answer.text[:300])
            for name in canaries:
                assert CANARIES[name] in answer.text, (name, path)
    mediator = caller_by_name(app, "mediator", via="test")
    book = actor_services.merged_book(app, actor_services.open_scope(app, mediator, int(pid)))  # type: ignore[call-overload]
    assert CANARIES["actor profile"] in repr(book) and CANARIES["analyst relation"] in repr(book)
    events = list_audit(app, operator(), action="test.canary", before_id=None, limit=10)
    assert [e.detail["said"] for e in events] == [CANARIES["audit detail"]]


def test_no_canary_is_stored_in_the_clear_and_each_reads_back(
    sealed_app: AppContext, database_url: str, workspace: Path
) -> None:
    stored = _stored_bytes(sealed_app, database_url, workspace)
    assert len(stored) > 3 and not _found(stored)
    # a control: the same search finds a canary wherever it is stored in the clear
    assert _found({**stored, "control": f"x {CANARIES['note body']} y".encode()}) == [("note body", "control")]
    _read_back(sealed_app, sealed_app.extras["settings"])  # type: ignore[arg-type]
    assert (workspace / "keys" / "vault.secret").stat().st_mode & 0o077 == 0


def test_rotating_the_master_key_keeps_everything_readable(
    sealed_app: AppContext, database_url: str, workspace: Path
) -> None:
    old_key = (workspace / "keys" / "vault.secret").read_bytes()
    done = rotate_master(sealed_app, operator())
    assert done.data_keys >= 2 and done.signing_keys >= 2 and done.old != done.new  # process + instance; log + observer
    assert (workspace / "keys" / "vault.secret").read_bytes() != old_key
    assert not (workspace / "keys" / "vault.secret.next").exists()
    settings = sealed_app.extras["settings"]
    _read_back(sealed_app, settings)  # type: ignore[arg-type]
    pid = sealed_app.extras["pid"]
    reopened = open_context(settings, clock=FakeClock())  # type: ignore[arg-type]
    try:
        reopened.extras.update(sealed_app.extras)
        _read_back(reopened, settings)  # type: ignore[arg-type]  # a fresh start with the new key file
        verification.sign_checkpoint(reopened, caller_by_name(reopened, "mediator", via="test"), int(pid))  # type: ignore[call-overload]
    finally:
        reopened.close()
    assert not _found(_stored_bytes(sealed_app, database_url, workspace))
    # the old key opens nothing any more: started with it, the database refuses, naming both keys
    (workspace / "keys" / "vault.secret").rename(workspace / "keys" / "rotated-away")
    (workspace / "keys" / "vault.secret").write_bytes(old_key)
    with pytest.raises(ConfigError, match="wrapped by master key"):
        stale = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock())
        try:
            notes.list_notes(stale, caller_by_name(stale, "mediator", via="test"), int(pid))  # type: ignore[call-overload]
        finally:
            stale.close()


def test_a_sealed_value_moved_to_another_field_does_not_open(sealed_app: AppContext) -> None:
    from sqlalchemy import text

    with sealed_app.db.transaction(write=True) as s:
        s.execute(text("UPDATE notes SET title = body"))
    from detente.db.notes import Note

    with (
        pytest.raises(StoreError, match=r"notes\.title: a sealed value does not open"),
        sealed_app.db.transaction() as s,
    ):
        list(s.query(Note))
