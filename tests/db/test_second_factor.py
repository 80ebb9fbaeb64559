"""The second factor at rest, on SQLite and PostgreSQL: the seed sealed with the key vault and bound to its user, the
window of ±1 time step, no code good twice (also for two servers racing with the same code), recovery codes as
SHA-256 digests used once, the half session that is no session; migration 0010 over an older database. And how a
typed code is read."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from detente.db import Database, current_revision, head_revision, make_engine, migrate, open_database
from detente.db import second_factor as sf_db
from detente.db.models import RecoveryCode, SecondFactor, User
from detente.db.one_time_codes import (
    TypedCode,
    code_at,
    matching_step,
    parse_code,
    provisioning_uri,
    secret_text,
    step_of,
)
from detente.db.users import AccountPolicy, LoginOutcome, authenticate, create_user
from detente.db.web_sessions import pending_user, session_user, start_session
from detente.errors import ConflictError, InputError, StoreError
from detente.verification.keys import KeyVault
from support import FakeClock

PASSWORD = "correct horse battery"


@pytest.fixture
def vault() -> KeyVault:
    return KeyVault(os.urandom(32))


def _enrolled(db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock) -> tuple[int, bytes, list[str]]:
    with db.transaction() as s:
        user = create_user(s, "amina", PASSWORD, policy=policy, clock=clock)
        secret = sf_db.start_enrolment(s, user.id, vault, clock=clock)
        codes = sf_db.confirm_enrolment(s, user.id, code_at(secret, step_of(clock())), vault, ip=None, clock=clock)
        return user.id, secret, codes


def _use(db: Database, user_id: int, typed: TypedCode, vault: KeyVault, clock: FakeClock) -> str | None:
    with db.transaction() as s:
        return sf_db.use_code(s, s.get(User, user_id), typed, vault, ip=None, clock=clock)  # type: ignore[arg-type]


def test_the_seed_is_sealed_and_bound_to_its_user(
    db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock
) -> None:
    user_id, secret, _ = _enrolled(db, policy, vault, clock)
    with db.transaction() as s:
        row = s.get(SecondFactor, user_id)
        assert row is not None and secret not in row.sealed_secret
        assert sf_db.open_secret(vault, user_id, row.sealed_secret) == secret
        with pytest.raises(StoreError, match="totp:999"):
            sf_db.open_secret(vault, 999, row.sealed_secret)  # moved to another user's row, it does not open
        with pytest.raises(StoreError):
            sf_db.open_secret(KeyVault(os.urandom(32)), user_id, row.sealed_secret)  # another workspace's vault
        start = s.get(SecondFactor, user_id)
        assert start is not None
    with db.transaction() as s, pytest.raises(ConflictError, match="already"):
        sf_db.start_enrolment(s, user_id, vault, clock=clock)


def test_codes_within_one_step_are_good_once(
    db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock
) -> None:
    user_id, secret, _ = _enrolled(db, policy, vault, clock)
    now = step_of(clock())
    assert _use(db, user_id, TypedCode(totp=code_at(secret, now)), vault, clock) is None  # used to confirm
    clock.advance(minutes=10)
    now = step_of(clock())
    for far in (now - 2, now + 2):
        assert _use(db, user_id, TypedCode(totp=code_at(secret, far)), vault, clock) is None
    assert _use(db, user_id, TypedCode(totp=code_at(secret, now - 1)), vault, clock) == "totp"
    assert _use(db, user_id, TypedCode(totp=code_at(secret, now - 1)), vault, clock) is None  # replay
    assert _use(db, user_id, TypedCode(totp=code_at(secret, now + 1)), vault, clock) == "totp"
    assert _use(db, user_id, TypedCode(totp=code_at(secret, now)), vault, clock) is None  # older than the last used
    with db.transaction() as s:
        assert s.get(SecondFactor, user_id).last_step == now + 1  # type: ignore[union-attr]


def test_a_code_raced_by_two_servers_is_accepted_once(
    db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock
) -> None:
    """Both servers read the factor before either writes: the conditional UPDATE lets one of them win."""
    user_id, secret, _ = _enrolled(db, policy, vault, clock)
    clock.advance(seconds=30)
    code = TypedCode(totp=code_at(secret, step_of(clock())))
    late: list[str | None] = []
    try:
        with db.transaction() as first:
            user = first.get(User, user_id)
            assert user is not None and first.get(SecondFactor, user_id) is not None  # read, not yet written
            with db.transaction(write=True) as second:
                rival = second.get(User, user_id)
                assert rival is not None
                assert sf_db.use_code(second, rival, code, vault, ip=None, clock=clock) == "totp"
            late.append(sf_db.use_code(first, user, code, vault, ip=None, clock=clock))
    except StoreError:
        assert db.backend == "sqlite"  # SQLite refuses the write of a read that a committed write overtook
        late.append(None)
    assert late == [None]


def test_recovery_codes_are_digests_used_once(
    db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock
) -> None:
    user_id, _, codes = _enrolled(db, policy, vault, clock)
    assert len(codes) == 10
    with db.transaction() as s:
        stored = list(s.scalars(select(RecoveryCode.digest).where(RecoveryCode.user_id == user_id)))
        dump = " ".join(str(v) for row in s.execute(text("SELECT * FROM recovery_codes")) for v in row)
    assert len(stored) == 10 and all(len(d) == 64 for d in stored)
    assert not any(c.replace("-", "") in dump or c in dump for c in codes)
    typed = parse_code(codes[0])
    assert _use(db, user_id, typed, vault, clock) == "recovery_code"
    assert _use(db, user_id, typed, vault, clock) is None
    with db.transaction() as s:
        assert sf_db.recovery_codes_left(s, user_id) == 9
        fresh = sf_db.new_recovery_codes(s, user_id, clock=clock)
    assert _use(db, user_id, parse_code(codes[1]), vault, clock) is None  # replaced
    assert _use(db, user_id, parse_code(fresh[1]), vault, clock) == "recovery_code"


def test_a_right_password_of_an_enrolled_account_opens_only_a_half_session(
    db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock
) -> None:
    user_id, _, _ = _enrolled(db, policy, vault, clock)
    with db.transaction() as s:
        user = s.get(User, user_id)
        assert user is not None
        user.failed_logins = 2
    with db.transaction() as s:
        result = authenticate(s, "amina", PASSWORD, policy=policy, clock=clock)
        assert result.outcome is LoginOutcome.SECOND_FACTOR and not result.ok
        assert result.user is not None and result.user.failed_logins == 2  # not reset before the second factor
        half = start_session(s, user_id, awaiting_second_factor=True, clock=clock)
        whole = start_session(s, user_id, clock=clock)
    with db.transaction() as s:
        assert session_user(s, half, clock=clock) is None
        assert pending_user(s, half, clock=clock) is not None
        assert pending_user(s, whole, clock=clock) is None
    clock.advance(minutes=5)
    with db.transaction() as s:
        assert pending_user(s, half, clock=clock) is None  # five minutes at most
        assert session_user(s, whole, clock=clock) is not None


def test_removing_a_factor_takes_its_recovery_codes(
    db: Database, policy: AccountPolicy, vault: KeyVault, clock: FakeClock
) -> None:
    user_id, _, _ = _enrolled(db, policy, vault, clock)
    with db.transaction() as s:
        assert sf_db.enrolled_ids(s) == {user_id}
        assert sf_db.remove(s, user_id, action="second_factor.reset", actor_id=None, actor_name="operator:x", ip=None,
                            clock=clock)  # fmt: skip
    with db.transaction() as s:
        assert not sf_db.is_enrolled(s, user_id) and sf_db.recovery_codes_left(s, user_id) == 0
        assert s.scalars(select(RecoveryCode)).first() is None
        assert not sf_db.remove(s, user_id, action="second_factor.reset", actor_id=None, ip=None, clock=clock)


def test_migration_0010_upgrades_a_database_at_0008(database_url: str, clock: FakeClock, policy: AccountPolicy) -> None:
    assert migrate(database_url, "0008") == "0008"
    engine = make_engine(database_url)
    created = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (username, display_name, password_hash, is_admin, created_at)"
                     " VALUES ('old.timer', 'Old Timer', :h, :a, :c)"),
                {"h": policy.hasher.hash(PASSWORD), "a": False, "c": created},
            )  # fmt: skip
            user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(
                text("INSERT INTO sessions (session_hash, user_id, created_at, expires_at)"
                     " VALUES (:h, :u, :c, :e)"),
                {"h": "a" * 64, "u": user_id, "c": clock(), "e": clock() + timedelta(hours=1)},
            )  # fmt: skip
    finally:
        engine.dispose()
    db = open_database(database_url, clock=clock)  # the upgrade runs on open
    try:
        assert current_revision(db.engine) == head_revision()
        with db.transaction() as s:
            assert s.scalar(text("SELECT awaiting_second_factor FROM sessions")) in (False, 0)
            assert not sf_db.is_enrolled(s, user_id)
            result = authenticate(s, "old.timer", PASSWORD, policy=policy, clock=clock)
            assert result.outcome is LoginOutcome.OK  # no account has a second factor after the upgrade
    finally:
        db.close()


# --- reading a typed code (pure) -------------------------------------------------------------------------------------


def test_the_codes_are_rfc_6238_with_the_apps_defaults() -> None:
    secret = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1
    assert code_at(secret, 59 // 30) == "287082"
    assert code_at(secret, 1111111109 // 30) == "081804"
    assert code_at(secret, 2000000000 // 30) == "279037"
    now = datetime.fromtimestamp(1111111109, tz=UTC)
    assert matching_step(secret, "081804", now) == 1111111109 // 30
    assert matching_step(secret, "081804", now, after=1111111109 // 30) is None
    assert secret_text(secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert provisioning_uri(secret, "amina").startswith("otpauth://totp/D%C3%A9tente:amina?")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", TypedCode(totp="123456")),
        (" 123 456 ", TypedCode(totp="123456")),
        ("abcd-efgh-jkmn-pqrs-tvwx-yz01", TypedCode(recovery="abcdefghjkmnpqrstvwxyz01")),
        ("ABCD EFGH JKMN PQRS TVWX YZOI", TypedCode(recovery="abcdefghjkmnpqrstvwxyz01")),
    ],
)
def test_what_a_person_types_is_read_kindly(typed: str, expected: TypedCode) -> None:
    assert parse_code(typed) == expected


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "enter the 6-digit code"),
        ("12345", "6 digits; this has 5"),
        ("1234567", "6 digits; this has 7"),
        ("12a456", "6 digits (0-9)"),
        ("x" * 65, "too long"),
        ("abcd-efgh-jkmn-pqrs-tvwx-yzu1", "not a code"),  # U is not in the alphabet
    ],
)
def test_what_is_not_a_code_is_refused_naming_the_field(typed: str, words: str) -> None:
    with pytest.raises(InputError, match=re.escape(words)) as caught:
        parse_code(typed)
    assert caught.value.field == "code"


def test_a_recovery_code_is_refused_where_only_the_app_will_do() -> None:
    with pytest.raises(InputError, match="6 digits"):
        parse_code("abcd-efgh-jkmn-pqrs-tvwx-yz01", recovery=False)
