"""Revision 0009 seals what an older release stored in the clear, evidence files included."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from detente.db import migrate, open_database
from detente.db.models import AuditEvent
from detente.db.notes import Note
from detente.db.verification_models import ReportRow
from detente.errors import ConfigError
from detente.sealing.envelope import is_sealed

T = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
NOTE = (
    "INSERT INTO notes (process_id, title, body, label, created_at, updated_at)"
    " VALUES (1, :title, :body, 'mediators_only', :t, :t)"
)
REPORT = (
    "INSERT INTO reports (process_id, label, body, signature, created_at, log_index)"
    " VALUES (1, 'all_parties', :b, 's', :t, 0)"
)
EVIDENCE = b"plain field log: PLAIN-EVIDENCE-0009\n"
PROCESS = "INSERT INTO processes (id, name, description, fictional, created_at) VALUES (1, 'P', '', false, :t)"
NOTE = (
    "INSERT INTO notes (process_id, title, body, label, created_at, updated_at)"
    " VALUES (1, :title, :body, 'mediators_only', :t, :t)"
)
AUDIT = "INSERT INTO audit_events (occurred_at, action, detail, process_id) VALUES (:t, 'x', :d, 1)"
REPORT = (
    "INSERT INTO reports (process_id, label, body, signature, created_at, log_index)"
    " VALUES (1, 'all_parties', :b, 's', :t, 0)"
)


def test_older_plain_rows_and_files_are_sealed(
    database_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch, clock: object
) -> None:
    monkeypatch.delenv("DETENTE_MASTER_KEY")  # the workspace's key file, as an upgraded installation has it
    assert migrate(database_url, "0008") == "0008"
    sha = hashlib.sha256(EVIDENCE).hexdigest()
    plain_file = workspace / "evidence" / "sha256" / sha[:2] / sha
    plain_file.parent.mkdir(parents=True)
    plain_file.write_bytes(EVIDENCE)
    body = {"narrative": "PLAIN-NARRATIVE-0009", "evidence": [{"sha256": sha, "filename": "log.txt"}]}
    db = open_database(database_url, clock=clock, upgrade=False, workspace=workspace)  # type: ignore[arg-type]
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO processes (id, name, description, fictional, created_at) VALUES (1, 'P', '', false, :t)"),
            {"t": T},
        )
        conn.execute(text(NOTE), {"t": T, "title": "PLAIN-TITLE", "body": "PLAIN-BODY-0009"})
        conn.execute(
            text("INSERT INTO audit_events (occurred_at, action, detail, process_id) VALUES (:t, 'x', :d, 1)"),
            {"t": T, "d": json.dumps({"said": "PLAIN-AUDIT-0009"})},
        )
        conn.execute(text(REPORT), {"t": T, "b": json.dumps(body)})
    db.close()

    migrate(database_url, workspace=workspace)
    db = open_database(database_url, clock=clock, upgrade=False, workspace=workspace)  # type: ignore[arg-type]
    try:
        with db.engine.connect() as conn:
            raw = conn.execute(text("SELECT title, body FROM notes")).one()
            assert is_sealed(raw.title) and is_sealed(raw.body)
            assert "PLAIN-AUDIT" not in str(conn.execute(text("SELECT detail FROM audit_events")).scalar_one())
        with db.transaction() as s:
            note = s.scalars(select(Note)).one()
            assert (note.title, note.body) == ("PLAIN-TITLE", "PLAIN-BODY-0009")
            assert s.scalars(select(AuditEvent)).one().detail == {"said": "PLAIN-AUDIT-0009"}
            assert s.scalars(select(ReportRow)).one().body == body
    finally:
        db.close()
    assert not plain_file.exists()  # the plain copy is gone; the process's sealed copy is there
    sealed = workspace / "evidence" / "process-1" / sha[:2] / sha
    assert sealed.is_file() and b"PLAIN-EVIDENCE" not in sealed.read_bytes()
    assert migrate(database_url, workspace=workspace)  # again: nothing left to seal, nothing changes


def test_plain_rows_need_the_master_key(database_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DETENTE_MASTER_KEY")
    migrate(database_url, "0008")
    db = open_database(database_url, clock=None, upgrade=False)  # type: ignore[arg-type]
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO processes (id, name, description, fictional, created_at) VALUES (1, 'P', '', false, :t)"),
            {"t": T},
        )
        conn.execute(text(NOTE), {"t": T, "title": "T", "body": "B"})
    db.close()
    with pytest.raises(ConfigError, match="no master key"):
        migrate(database_url)  # no workspace, no key: nothing is half-done
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalar_one() == "B"
    migrate(database_url, workspace=workspace)
