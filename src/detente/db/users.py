"""Accounts: creation, sign-in with Argon2id and lock-out bookkeeping, password change."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.audit import record_audit
from detente.db.models import SecondFactor, User, WebSession
from detente.db.password_policy import MIN_PASSWORD_LENGTH, check_password
from detente.errors import ConflictError, InputError, NotFoundError

__all__ = [
    "DEFAULT_POLICY",
    "AccountPolicy",
    "LoginOutcome",
    "LoginResult",
    "authenticate",
    "change_password",
    "check_current_password",
    "check_password_policy",
    "complete_sign_in",
    "create_user",
    "end_credentials",
    "get_user",
    "get_user_by_username",
    "list_users",
    "normalise_username",
    "record_failure",
    "set_active",
    "set_admin",
    "usernames",
]

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


@dataclass(frozen=True)
class AccountPolicy:
    """Password hashing (Argon2id; argon2-cffi's defaults, RFC 9106's low-memory profile) and lock-out:
    ``max_failures`` wrong passwords in a row lock the account for ``lockout``."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    min_password_length: int = MIN_PASSWORD_LENGTH
    hasher: PasswordHasher = field(default_factory=PasswordHasher)


DEFAULT_POLICY = AccountPolicy()


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    DEACTIVATED = "deactivated"
    #: the password is right and the account has a second factor: the sign-in is not complete without it
    SECOND_FACTOR = "second_factor"


@dataclass(frozen=True)
class LoginResult:
    """The web layer shows the same message for BAD_CREDENTIALS, LOCKED and DEACTIVATED to an unknown caller."""

    outcome: LoginOutcome
    user: User | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is LoginOutcome.OK


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InputError(
            "a username is 2-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="username",
        )
    return name


def check_password_policy(
    password: str, *, username: str | None = None, policy: AccountPolicy = DEFAULT_POLICY
) -> None:
    """Refuse a password the policy does not allow (an :class:`InputError` naming the field ``password``): see
    :mod:`detente.db.password_policy`."""
    check_password(password, username=username, min_length=policy.min_password_length)


def _check_password(password: str, policy: AccountPolicy, username: str | None = None) -> None:
    check_password_policy(password, username=username, policy=policy)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    return user


def get_user_by_username(session: Session, username: str) -> User | None:
    try:
        name = normalise_username(username)
    except InputError:
        return None
    return session.scalars(select(User).where(User.username == name)).one_or_none()


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    display_name: str | None = None,
    is_admin: bool = False,
    actor_id: int | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    policy: AccountPolicy = DEFAULT_POLICY,
    clock: Clock,
) -> User:
    """Create a local account. A taken username raises :class:`StoreError`."""
    name = normalise_username(username)
    _check_password(password, policy, name)
    if session.scalars(select(User.id).where(User.username == name)).first() is not None:
        raise ConflictError(f"the username {name!r} is already taken")
    now = clock()
    user = User(
        username=name,
        display_name=(display_name or name).strip()[:200],
        password_hash=policy.hasher.hash(password),
        failed_logins=0,
        is_admin=is_admin,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        "user.created",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"user:{user.id}",
        detail={"username": name, "is_admin": is_admin},
        ip=ip,
        clock=clock,
    )
    return user


def _verify(policy: AccountPolicy, stored_hash: str, password: str) -> bool:
    try:
        return policy.hasher.verify(stored_hash, password)
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[int, str] = {}


def _waste_time(policy: AccountPolicy, password: str) -> None:
    """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
    key = id(policy.hasher)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = policy.hasher.hash("not a password of anyone")
    _verify(policy, _DUMMY_HASHES[key], password)


def end_credentials(session: Session, user: User) -> None:
    """Kill every credential of the user at once: their browser sessions end and their API tokens (issued under
    the previous credentials generation) are refused from now on."""
    user.credentials_generation += 1
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str | None = None,
    policy: AccountPolicy = DEFAULT_POLICY,
    clock: Clock,
) -> LoginResult:
    """Check a sign-in and keep the books: failures are counted, ``max_failures`` in a row lock the account for
    ``lockout`` (and end its sessions and tokens), success resets the count. A deactivated or locked account is
    refused whatever the password. The password is hashed exactly once on every path (against a dummy hash for an
    unknown user), so the answer takes the same time whichever way it fails. Every attempt is audited. Commit the
    transaction even when the result is not ok.

    For an account with an enrolled second factor a right password gives ``SECOND_FACTOR`` (with the user) and
    leaves the failure count alone: only the second factor completes the sign-in and resets it, so knowing the
    password does not buy more guesses at the code."""
    now = clock()
    user = get_user_by_username(session, username)
    if user is None:
        _waste_time(policy, password)
        record_audit(
            session, "auth.login_failed", actor_name=username, detail={"reason": "unknown_user"}, ip=ip, clock=clock
        )
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    matches = _verify(policy, user.password_hash, password)
    if user.deactivated_at is not None:
        record_audit(
            session, "auth.login_failed", actor_id=user.id, actor_name=user.username, detail={"reason": "deactivated"},
            ip=ip, clock=clock,
        )  # fmt: skip
        return LoginResult(LoginOutcome.DEACTIVATED)
    if user.locked_until is not None and user.locked_until > now:
        record_audit(
            session,
            "auth.login_failed",
            actor_id=user.id,
            actor_name=user.username,
            detail={"reason": "locked", "locked_until": user.locked_until.isoformat()},
            ip=ip,
            clock=clock,
        )
        return LoginResult(LoginOutcome.LOCKED)
    if not matches:
        record_failure(session, user, reason="bad_password", ip=ip, policy=policy, clock=clock)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if policy.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = policy.hasher.hash(password)
    factor = session.get(SecondFactor, user.id)
    if factor is not None and factor.enrolled_at is not None:
        record_audit(
            session, "auth.password_accepted", actor_id=user.id, actor_name=user.username,
            detail={"second_factor": "awaited"}, ip=ip, clock=clock,
        )  # fmt: skip
        return LoginResult(LoginOutcome.SECOND_FACTOR, user)
    complete_sign_in(session, user, ip=ip, clock=clock)
    return LoginResult(LoginOutcome.OK, user)


def complete_sign_in(
    session: Session, user: User, *, second_factor: str | None = None, ip: str | None, clock: Clock
) -> None:
    """A sign-in succeeded (with the second factor ``second_factor``, when the account has one): the failure count
    and any expired lock are cleared, and ``auth.login`` is audited."""
    user.failed_logins = 0
    user.locked_until = None
    detail = {"second_factor": second_factor} if second_factor else None
    record_audit(session, "auth.login", actor_id=user.id, actor_name=user.username, detail=detail, ip=ip, clock=clock)


def record_failure(
    session: Session, user: User, *, reason: str, ip: str | None, policy: AccountPolicy, clock: Clock
) -> bool:
    """Count one wrong password (at sign-in or at a password change); ``max_failures`` in a row lock the account
    and end its sessions and tokens. Returns whether this failure locked it."""
    now = clock()
    user.failed_logins += 1
    detail: dict[str, object] = {"reason": reason, "failures": user.failed_logins}
    locked = user.failed_logins >= policy.max_failures
    if locked:
        user.locked_until = now + policy.lockout
        user.failed_logins = 0
        end_credentials(session, user)
    record_audit(
        session, "auth.login_failed", actor_id=user.id, actor_name=user.username, detail=detail, ip=ip, clock=clock
    )
    if locked:
        assert user.locked_until is not None
        record_audit(
            session,
            "auth.locked_out",
            actor_id=user.id,
            actor_name=user.username,
            target=f"user:{user.id}",
            detail={"until": user.locked_until.isoformat()},
            ip=ip,
            clock=clock,
        )
    session.flush()
    return locked


def check_current_password(
    session: Session,
    user_id: int,
    password: str,
    *,
    ip: str | None = None,
    policy: AccountPolicy = DEFAULT_POLICY,
    clock: Clock,
) -> bool:
    """Whether ``password`` is the user's (before a change of their own). A wrong one counts towards the lock-out
    exactly as at sign-in; a locked or deactivated account is refused whatever the password. Commit the
    transaction even when the answer is no."""
    user = get_user(session, user_id)
    matches = _verify(policy, user.password_hash, password)
    if user.deactivated_at is not None or (user.locked_until is not None and user.locked_until > clock()):
        return False
    if not matches:
        record_failure(session, user, reason="bad_current_password", ip=ip, policy=policy, clock=clock)
    return matches


def change_password(
    session: Session,
    user_id: int,
    new_password: str,
    *,
    current_password: str | None = None,
    actor_id: int | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    policy: AccountPolicy = DEFAULT_POLICY,
    clock: Clock,
) -> None:
    """Set a new password. A user changing their own passes ``current_password`` (checked); an administrator
    resetting someone's passes ``actor_id`` (or, for the operator at the command line, ``actor_name``). Every
    server-side session of the user ends; the lock is lifted."""
    user = get_user(session, user_id)
    _check_password(new_password, policy, user.username)
    if current_password is not None and not _verify(policy, user.password_hash, current_password):
        raise InputError("the current password is wrong", field="current_password")
    if current_password is None and actor_id is None and actor_name is None:
        raise InputError("give the current password, or act as an administrator", field="current_password")
    now = clock()
    user.password_hash = policy.hasher.hash(new_password)
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    end_credentials(session, user)
    record_audit(
        session,
        "auth.password_changed",
        actor_id=actor_id if actor_id is not None else (user.id if actor_name is None else None),
        actor_name=actor_name,
        target=f"user:{user.id}",
        ip=ip,
        clock=clock,
    )
    session.flush()


def usernames(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """The username of each of these users (ids of users who no longer exist are left out)."""
    wanted = sorted({i for i in user_ids if i})
    if not wanted:
        return {}
    return {i: name for i, name in session.execute(select(User.id, User.username).where(User.id.in_(wanted)))}


def list_users(session: Session) -> Sequence[User]:
    """Every account, by username (for user administration)."""
    return session.scalars(select(User).order_by(User.username)).all()


def set_admin(
    session: Session,
    user_id: int,
    is_admin: bool,
    *,
    actor_id: int | None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> User:
    """Grant or withdraw instance administration (audited as ``user.admin_changed``)."""
    user = get_user(session, user_id)
    if user.is_admin != is_admin:
        user.is_admin = is_admin
        session.flush()
        record_audit(
            session,
            "user.admin_changed",
            actor_id=actor_id,
            actor_name=actor_name,
            target=f"user:{user.id}",
            detail={"is_admin": is_admin},
            ip=ip,
            clock=clock,
        )
    return user


def set_active(
    session: Session,
    user_id: int,
    active: bool,
    *,
    actor_id: int | None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> User:
    """Deactivate an account (it cannot sign in; its sessions and tokens die at once) or reactivate it (its old
    tokens stay dead). Audited as ``user.deactivated`` / ``user.reactivated``; idempotent."""
    user = get_user(session, user_id)
    if (user.deactivated_at is None) == active:
        return user
    if active:
        user.deactivated_at = None
    else:
        user.deactivated_at = clock()
        end_credentials(session, user)
    session.flush()
    record_audit(
        session,
        "user.reactivated" if active else "user.deactivated",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"user:{user.id}",
        detail={"username": user.username},
        ip=ip,
        clock=clock,
    )
    return user
