"""Storage conformance: the same tests on SQLite and on PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from detente import access
from detente.db import Database, current_revision, head_revision, make_engine, migrate, open_database
from detente.db.audit import list_audit_events, record_audit
from detente.db.models import Base, Membership, User
from detente.db.processes import (
    add_party,
    create_process,
    list_members,
    list_visible_processes,
    load_subject,
    party_ids,
    remove_membership,
    set_membership,
)
from detente.db.tokens import TOKEN_PREFIX, create_token, revoke_token, verify_token
from detente.db.users import (
    AccountPolicy,
    LoginOutcome,
    authenticate,
    change_password,
    create_user,
    list_users,
    set_admin,
)
from detente.db.web_sessions import session_user, start_session
from detente.errors import ConflictError, InputError
from support import FakeClock

TABLES = {"users", "api_tokens", "sessions", "processes", "parties", "memberships", "audit_events"}
PASSWORD = "correct horse battery"


def _user(db: Database, policy: AccountPolicy, name: str = "amina", *, is_admin: bool = False) -> int:
    with db.transaction() as s:
        return create_user(s, name, PASSWORD, is_admin=is_admin, policy=policy, clock=db.clock).id


# --- schema and migrations ---------------------------------------------------------------------------------


def test_migrates_an_empty_database_to_head_and_is_idempotent(database_url: str) -> None:
    assert current_revision(database_url) is None
    assert migrate(database_url) == head_revision()
    assert migrate(database_url) == head_revision()  # a second run changes nothing
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_models_and_migrations_describe_the_same_schema(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrading_an_older_database_keeps_its_data(database_url: str, clock: FakeClock, policy: AccountPolicy) -> None:
    assert migrate(database_url, "0001") == "0001"
    engine = make_engine(database_url)
    try:
        assert "api_tokens" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (username, display_name, password_hash, is_admin, created_at)"
                    " VALUES (:u, :d, :h, :a, :c)"
                ),
                {
                    "u": "old.timer",
                    "d": "Old Timer",
                    "h": policy.hasher.hash(PASSWORD),
                    "a": False,
                    "c": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
                },
            )
    finally:
        engine.dispose()

    db = open_database(database_url, clock=clock)  # upgrading an existing workspace runs its migrations
    try:
        assert current_revision(db.engine) == head_revision()
        with db.transaction() as s:
            result = authenticate(s, "old.timer", PASSWORD, policy=policy, clock=clock)
            assert result.ok and result.user is not None
            assert result.user.password_changed_at is None
            assert result.user.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
            issued = create_token(s, result.user.id, "script", ["read"], clock=clock)
        with db.transaction() as s:
            assert verify_token(s, issued.secret, clock=clock) is not None
    finally:
        db.close()


# --- constraints and transactions ----------------------------------------------------------------------------


def test_duplicate_username_is_refused(db: Database, policy: AccountPolicy) -> None:
    _user(db, policy, "amina")
    with pytest.raises(ConflictError, match="already taken"), db.transaction() as s:
        create_user(s, "Amina", PASSWORD, policy=policy, clock=db.clock)
    # the constraint itself holds even when the check above is bypassed
    with pytest.raises(ConflictError, match="conflicts with stored data"), db.transaction() as s:
        s.add(User(username="amina", display_name="x", password_hash="x", created_at=db.clock()))
    with db.transaction() as s:
        assert s.query(User).count() == 1


def test_a_failed_transaction_leaves_nothing_behind(db: Database, policy: AccountPolicy) -> None:
    with pytest.raises(ConflictError), db.transaction() as s:
        user = create_user(s, "bilal", PASSWORD, policy=policy, clock=db.clock)
        process = create_process(s, "Lake Kivu talks", actor_id=user.id, clock=db.clock)
        # a representative without a party breaks a CHECK constraint at flush time
        s.add(Membership(user_id=user.id, process_id=process.id, role="party_representative", created_at=db.clock()))
        s.flush()
    with pytest.raises(RuntimeError), db.transaction() as s:
        create_user(s, "carla", PASSWORD, policy=policy, clock=db.clock)
        raise RuntimeError("the caller fails half-way")
    with db.transaction() as s:
        assert s.query(User).count() == 0
        assert list_audit_events(s) == []
        assert s.execute(text("SELECT count(*) FROM processes")).scalar_one() == 0


def test_a_representative_is_bound_to_a_party_of_the_same_process(db: Database, policy: AccountPolicy) -> None:
    uid = _user(db, policy)
    with db.transaction() as s:
        north = create_process(s, "North", clock=db.clock)
        south = create_process(s, "South", clock=db.clock)
        foreign_party = add_party(s, south.id, "Southern Front", clock=db.clock).id
        north_id = north.id
    with pytest.raises(InputError), db.transaction() as s:
        set_membership(s, north_id, uid, access.Role.PARTY_REPRESENTATIVE, party_id=foreign_party, clock=db.clock)
    with pytest.raises(InputError), db.transaction() as s:
        set_membership(s, north_id, uid, access.Role.MEDIATOR, party_id=foreign_party, clock=db.clock)
    # the database refuses it too (composite foreign key), whoever writes the row
    with pytest.raises(ConflictError), db.transaction() as s:
        s.add(
            Membership(
                user_id=uid,
                process_id=north_id,
                role="party_representative",
                party_id=foreign_party,
                created_at=db.clock(),
            )
        )


def test_timestamps_come_back_timezone_aware_utc(db: Database, policy: AccountPolicy) -> None:
    uid = _user(db, policy)
    with db.transaction() as s:
        user = s.get(User, uid)
        assert user is not None
        user.locked_until = datetime(2026, 3, 1, 15, 0, tzinfo=timezone(timedelta(hours=3)))
    with db.transaction() as s:
        user = s.get(User, uid)
        assert user is not None
        assert user.created_at == db.clock() and user.created_at.tzinfo is UTC
        assert user.locked_until == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        assert user.locked_until.tzinfo is UTC


# --- accounts ------------------------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id(db: Database, policy: AccountPolicy) -> None:
    uid = _user(db, policy)
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE id = :i"), {"i": uid}).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_lock_out_after_repeated_failures(db: Database, policy: AccountPolicy, clock: FakeClock) -> None:
    _user(db, policy, "dana")
    for _ in range(policy.max_failures):
        with db.transaction() as s:
            result = authenticate(s, "dana", "wrong password", ip="192.0.2.7", policy=policy, clock=clock)
            assert result.outcome is LoginOutcome.BAD_CREDENTIALS
    with db.transaction() as s:
        assert authenticate(s, "dana", PASSWORD, policy=policy, clock=clock).outcome is LoginOutcome.LOCKED
    clock.advance(minutes=9)
    with db.transaction() as s:
        assert authenticate(s, "dana", PASSWORD, policy=policy, clock=clock).outcome is LoginOutcome.LOCKED
    clock.advance(minutes=1)
    with db.transaction() as s:
        assert authenticate(s, "dana", PASSWORD, policy=policy, clock=clock).ok
    with db.transaction() as s:
        user = s.query(User).filter_by(username="dana").one()
        assert user.failed_logins == 0 and user.locked_until is None
    # failures that do not reach the limit are forgotten after a success
    with db.transaction() as s:
        authenticate(s, "dana", "wrong again", policy=policy, clock=clock)
        assert authenticate(s, "dana", PASSWORD, policy=policy, clock=clock).ok
        assert s.query(User).filter_by(username="dana").one().failed_logins == 0


def test_unknown_users_fail_like_wrong_passwords(db: Database, policy: AccountPolicy) -> None:
    with db.transaction() as s:
        result = authenticate(s, "nobody", PASSWORD, policy=policy, clock=db.clock)
    assert result.outcome is LoginOutcome.BAD_CREDENTIALS and result.user is None


def test_password_change(db: Database, policy: AccountPolicy, clock: FakeClock) -> None:
    uid = _user(db, policy)
    with db.transaction() as s:
        cookie = start_session(s, uid, clock=clock)
    with pytest.raises(InputError), db.transaction() as s:
        change_password(s, uid, "a brand new secret", current_password="not it", policy=policy, clock=clock)
    with pytest.raises(InputError), db.transaction() as s:
        change_password(s, uid, "short", current_password=PASSWORD, policy=policy, clock=clock)
    clock.advance(minutes=5)
    with db.transaction() as s:
        assert session_user(s, cookie, clock=clock) is not None
        change_password(s, uid, "a brand new secret", current_password=PASSWORD, policy=policy, clock=clock)
    with db.transaction() as s:
        assert session_user(s, cookie, clock=clock) is None  # signed out everywhere
        assert not authenticate(s, "amina", PASSWORD, policy=policy, clock=clock).ok
        assert authenticate(s, "amina", "a brand new secret", policy=policy, clock=clock).ok
        user = s.get(User, uid)
        assert user is not None and user.password_changed_at == clock()


def test_sessions_expire_and_are_stored_hashed(db: Database, policy: AccountPolicy, clock: FakeClock) -> None:
    uid = _user(db, policy)
    with db.transaction() as s:
        cookie = start_session(s, uid, ttl=timedelta(hours=1), clock=clock)
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT session_hash FROM sessions")).scalar_one()
    assert stored == hashlib.sha256(cookie.encode()).hexdigest()
    clock.advance(minutes=59)
    with db.transaction() as s:  # the absolute timeout (the idle one set longer here)
        user = session_user(s, cookie, idle=timedelta(hours=2), clock=clock)
        assert user is not None and user.id == uid
    clock.advance(minutes=1)
    with db.transaction() as s:
        assert session_user(s, cookie, idle=timedelta(hours=2), clock=clock) is None


# --- tokens --------------------------------------------------------------------------------------------------


def test_tokens_are_hashed_at_rest_scoped_and_revocable(db: Database, policy: AccountPolicy, clock: FakeClock) -> None:
    uid = _user(db, policy)
    with db.transaction() as s:
        issued = create_token(s, uid, "nightly import", ["events:write", "read"], clock=clock)
        short = create_token(s, uid, "one hour", ["read"], expires_in=timedelta(hours=1), clock=clock)
    assert issued.secret.startswith(TOKEN_PREFIX)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_tokens")).mappings().all()
    for row in rows:
        for value in row.values():
            assert issued.secret not in str(value)
            assert issued.secret.removeprefix(TOKEN_PREFIX) not in str(value)
    assert {r["token_hash"] for r in rows} == {
        hashlib.sha256(issued.secret.encode()).hexdigest(),
        hashlib.sha256(short.secret.encode()).hexdigest(),
    }

    with db.transaction() as s:
        verified = verify_token(s, issued.secret, clock=clock)
        assert verified is not None
        assert verified.user.id == uid and verified.scopes == {"events:write", "read"}
        assert verify_token(s, issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B"), clock=clock) is None
        assert verify_token(s, "not a token", clock=clock) is None
    clock.advance(hours=1)
    with db.transaction() as s:
        assert verify_token(s, short.secret, clock=clock) is None  # expired
        revoke_token(s, issued.token_id, actor_id=uid, clock=clock)
    with db.transaction() as s:
        assert verify_token(s, issued.secret, clock=clock) is None
    with pytest.raises(InputError), db.transaction() as s:
        create_token(s, uid, "bad", ["Not A Scope"], clock=clock)


# --- processes, memberships, access --------------------------------------------------------------------------


def test_processes_visible_to_a_user_and_the_subject_for_access(db: Database, policy: AccountPolicy) -> None:
    admin = _user(db, policy, "root", is_admin=True)
    rep = _user(db, policy, "rep.a")
    outsider = _user(db, policy, "outsider")
    with db.transaction() as s:
        kivu = create_process(s, "Kivu", fictional=True, actor_id=admin, clock=db.clock)
        create_process(s, "Other", actor_id=admin, clock=db.clock)
        a = add_party(s, kivu.id, "Party A", actor_id=admin, clock=db.clock)
        b = add_party(s, kivu.id, "Party B", actor_id=admin, clock=db.clock)
        set_membership(s, kivu.id, rep, access.Role.PARTY_REPRESENTATIVE, party_id=a.id, actor_id=admin, clock=db.clock)
        kivu_id, a_id, b_id = kivu.id, a.id, b.id
    with db.transaction() as s:
        assert [u.username for u in list_users(s)] == ["outsider", "rep.a", "root"]
        set_admin(s, outsider, True, actor_id=admin, clock=db.clock)
        assert [p.name for p in list_visible_processes(s, outsider)] == ["Kivu", "Other"]
        set_admin(s, outsider, False, actor_id=admin, clock=db.clock)
        assert [a.action for a in list_audit_events(s, limit=2)] == ["user.admin_changed"] * 2
    with db.transaction() as s:
        assert [p.name for p in list_visible_processes(s, admin)] == ["Kivu", "Other"]
        assert [p.name for p in list_visible_processes(s, rep)] == ["Kivu"]
        assert list_visible_processes(s, outsider) == []
        assert [u.username for _, u in list_members(s, kivu_id)] == ["rep.a"]
        subject = load_subject(s, rep)
        labels = access.readable_label_texts(subject, kivu_id, party_ids(s, kivu_id))
    assert labels == {"public", "all_parties", f"party:{a_id}"}
    assert f"party:{b_id}" not in labels
    assert not access.decide(subject, access.Action.READ, access.Resource.record(kivu_id, access.Label.party(b_id)))


def test_audit_trail_records_sign_in_failures_and_role_changes(
    db: Database, policy: AccountPolicy, clock: FakeClock
) -> None:
    admin = _user(db, policy, "root", is_admin=True)
    member = _user(db, policy, "elif")
    with db.transaction() as s:
        process = create_process(s, "Talks", actor_id=admin, clock=clock).id
        party = add_party(s, process, "Party A", actor_id=admin, clock=clock).id
    clock.advance(seconds=1)
    with db.transaction() as s:
        authenticate(s, "elif", "wrong password", ip="198.51.100.4", policy=policy, clock=clock)
        authenticate(s, "ghost", "wrong password", ip="198.51.100.5", policy=policy, clock=clock)
    with db.transaction() as s:
        set_membership(s, process, member, access.Role.VIEWER, actor_id=admin, ip="203.0.113.1", clock=clock)
        set_membership(s, process, member, access.Role.VIEWER, actor_id=admin, clock=clock)  # no change: no event
        set_membership(
            s, process, member, access.Role.PARTY_REPRESENTATIVE, party_id=party, actor_id=admin, clock=clock
        )
        remove_membership(s, process, member, actor_id=admin, clock=clock)
        record_audit(s, "export.events", actor_id=admin, detail={"rows": 12, "format": "csv"}, clock=clock)

    with db.transaction() as s:
        failures = list_audit_events(s, action="auth.login_failed")
        assert [(e.actor_id, e.actor_name, e.ip, e.detail["reason"]) for e in failures] == [
            (None, "ghost", "198.51.100.5", "unknown_user"),
            (member, "elif", "198.51.100.4", "bad_password"),
        ]
        assert all(e.occurred_at == clock() for e in failures)
        changes = list_audit_events(s, actor_id=admin, limit=5)
        assert [e.action for e in changes] == [
            "export.events",
            "membership.removed",
            "membership.role_changed",
            "membership.added",
            "party.created",
        ]
        change = changes[2]
        assert change.target == f"process:{process}"
        assert change.detail == {
            "user_id": member,
            "from": {"role": "viewer", "party_id": None},
            "to": {"role": "party_representative", "party_id": party},
        }
        assert changes[0].detail == {"rows": 12, "format": "csv"}
        older = list_audit_events(s, before_id=changes[-1].id)
        assert all(e.id < changes[-1].id for e in older) and older
