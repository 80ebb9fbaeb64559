"""Web fixtures: the app on each storage backend (SQLite, PostgreSQL), driven in-process over HTTP, and a
small world of users, one process with two parties, and one note per visibility label."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente import access
from detente.access import Label, Role
from detente.config import Settings
from detente.db import notes as notes_db
from detente.db.processes import add_party, create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.web.app import WebOptions, create_app
from support import FakeClock

PASSWORD = "correct horse battery"


@pytest.fixture
def fast_policy() -> AccountPolicy:
    """Argon2id with cheap parameters so the suite stays fast."""
    return AccountPolicy(
        max_failures=3,
        lockout=timedelta(minutes=10),
        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )


@pytest.fixture
def app(database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy) -> Iterator[FastAPI]:
    settings = Settings(workspace=workspace, database_url=database_url)
    application = create_app(settings, clock=clock, options=WebOptions(policy=fast_policy, login_attempts_per_minute=5))
    yield application
    application.state.ctx.db.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@dataclass
class World:
    process_id: int
    other_process_id: int
    party_a: int
    party_b: int
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    #: note id per label text kind: public, all_parties, party_a, party_b, mediators_only
    notes: dict[str, int] = field(default_factory=dict)


#: the subjects of tests/access/test_decision_table.py, as (role in the process, party, instance admin)
SUBJECT_SETUP: dict[str, tuple[Role | None, str | None, bool]] = {
    "administrator": (Role.ADMINISTRATOR, None, False),
    "mediator": (Role.MEDIATOR, None, False),
    "analyst": (Role.ANALYST, None, False),
    "observer": (Role.OBSERVER, None, False),
    "representative_A": (Role.PARTY_REPRESENTATIVE, "A", False),
    "viewer": (Role.VIEWER, None, False),
    "non_member": (None, None, False),
    "instance_admin": (None, None, True),
    "instance_admin_as_rep_B": (Role.PARTY_REPRESENTATIVE, "B", True),
}


@pytest.fixture
def world(app: FastAPI, clock: FakeClock, fast_policy: AccountPolicy) -> World:
    db = app.state.ctx.db
    with db.transaction() as s:
        author = create_user(s, "author", PASSWORD, policy=fast_policy, clock=clock)
        process = create_process(s, "Lakeside talks", fictional=True, clock=clock)
        other = create_process(s, "Other talks", clock=clock)
        a = add_party(s, process.id, "Party A", clock=clock)
        b = add_party(s, process.id, "Party B", clock=clock)
        set_membership(s, process.id, author.id, Role.MEDIATOR, clock=clock)
        w = World(process.id, other.id, a.id, b.id)
        w.users["author"] = author.id
        for name, (role, party, is_admin) in SUBJECT_SETUP.items():
            username = name.lower().replace("_", "-")
            user = create_user(s, username, PASSWORD, is_admin=is_admin, policy=fast_policy, clock=clock)
            w.users[name] = user.id
            if role is not None:
                party_id = {"A": a.id, "B": b.id}.get(party or "")
                set_membership(s, process.id, user.id, role, party_id=party_id, clock=clock)
            elif name == "non_member":
                set_membership(s, other.id, user.id, Role.MEDIATOR, clock=clock)
            w.tokens[name] = create_token(s, user.id, "tests", ["read", "write", "admin"], clock=clock).secret
        labels = {
            "public": Label.public(),
            "all_parties": Label.all_parties(),
            "party_a": Label.party(a.id),
            "party_b": Label.party(b.id),
            "mediators_only": Label.mediators_only(),
        }
        for key, label in labels.items():
            note = notes_db.create_note(
                s, process.id, f"Note {key}", f"secret words of {key}", label, author_id=author.id, clock=clock
            )
            w.notes[key] = note.id
    assert access.Role  # the world mirrors the access test's subjects
    return w


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the CSRF token of the new session."""
    page = client.get("/login")
    assert page.status_code == 200
    token = client.cookies.get("detente_csrf")
    assert token
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    me = client.get("/api/v1/me").json()
    csrf: str = me["csrf_token"]
    return csrf
