"""Second factor: TOTP (RFC 6238) with single-use recovery codes — setting it up, the second step of a sign-in,
disabling it, new recovery codes, an administrator's reset, and who must have one (``DETENTE_REQUIRE_SECOND_FACTOR``).

A wrong code counts as a wrong password: the account's failure count and lock-out are the same ones, and the count is
committed before the use case is refused. Every change is audited in its own transaction. The web shell keeps what is
HTTP only (cookies, the per-address rate limits, the QR picture).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente.access import Action, Resource, Role, Subject
from detente.db import second_factor as sf_db
from detente.db import users as users_db
from detente.db import web_sessions as sessions_db
from detente.db.audit import record_audit
from detente.db.models import User
from detente.db.one_time_codes import TypedCode, parse_code, provisioning_uri, secret_text
from detente.db.web_sessions import SECOND_FACTOR_WAIT
from detente.errors import AccessDenied, AuthRequired, ConflictError, InputError, NotFoundError
from detente.services.authz import hidden, require
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = [
    "SECOND_FACTOR_WAIT",
    "WRONG_CODE",
    "EnrolmentStart",
    "RecoveryCodes",
    "SecondFactorStatus",
    "confirm_enrolment",
    "disable",
    "finish_sign_in",
    "must_enrol",
    "pending_username",
    "regenerate_recovery_codes",
    "reset",
    "start_enrolment",
    "status",
]

#: the one answer to a code that is wrong, used already, or typed for a locked or deactivated account
WRONG_CODE = "the code is wrong, was used already, or the account is locked"

T = TypeVar("T")


class SecondFactorStatus(BaseModel):
    #: an authenticator is set up and asked for at every sign-in
    enrolled: bool
    enrolled_at: datetime | None
    #: DETENTE_REQUIRE_SECOND_FACTOR covers this account
    required: bool
    #: recovery codes not used yet
    recovery_codes_left: int


class EnrolmentStart(BaseModel):
    """The new authenticator's seed, shown once: typed in (``secret``, base32) or scanned (``otpauth_uri``)."""

    secret: str
    otpauth_uri: str


class RecoveryCodes(BaseModel):
    """Single-use codes that stand in for the authenticator, shown once."""

    recovery_codes: list[str]


# --- who must have one -----------------------------------------------------------------------------------------------


def must_enrol(groups: frozenset[str], *, is_admin: bool, subject: Subject, enrolled: bool) -> bool:
    """Whether an account without a second factor is held to setting one up: ``admin`` covers instance
    administrators, ``mediator`` whoever is a mediator in any process."""
    if enrolled:
        return False
    if "admin" in groups and is_admin:
        return True
    return "mediator" in groups and any(m.role is Role.MEDIATOR for m in subject.memberships)


def _own_browser(caller: Caller) -> int:
    """The account of a signed-in browser: the second factor is managed there, not with an API token."""
    if caller.user_id is None:
        raise AuthRequired("sign in first")
    if caller.via != "session":
        raise AccessDenied("a second factor is managed from a signed-in browser session, not with an API token")
    return caller.user_id


def status(app: AppContext, caller: Caller) -> SecondFactorStatus:
    if caller.user_id is None:
        raise AuthRequired("sign in first")
    with app.db.transaction() as s:
        row = sf_db.get_factor(s, caller.user_id)
        enrolled_at = row.enrolled_at if row is not None else None
        return SecondFactorStatus(
            enrolled=enrolled_at is not None,
            enrolled_at=enrolled_at,
            required=must_enrol(
                app.second_factor_groups, is_admin=caller.is_admin, subject=caller.subject, enrolled=False
            ),
            recovery_codes_left=sf_db.recovery_codes_left(s, caller.user_id),
        )


# --- setting it up ---------------------------------------------------------------------------------------------------


def start_enrolment(app: AppContext, caller: Caller) -> EnrolmentStart:
    """A new seed for the caller's authenticator app (replacing a set-up not finished); nothing changes at sign-in
    until :func:`confirm_enrolment`."""
    user_id = _own_browser(caller)
    with app.db.transaction(write=True) as s:
        secret = sf_db.start_enrolment(s, user_id, app.vault(), clock=app.clock)
    return EnrolmentStart(secret=secret_text(secret), otpauth_uri=provisioning_uri(secret, caller.username))


def confirm_enrolment(app: AppContext, caller: Caller, code: str) -> RecoveryCodes:
    """Finish the set-up with a code of the app (proof that it holds the seed): from now on every sign-in asks for
    a code. Returns ten recovery codes, shown once. The account's other sessions end (this one stays)."""
    user_id = _own_browser(caller)
    typed = parse_code(code, recovery=False)
    assert typed.totp is not None
    with app.db.transaction(write=True) as s:
        codes = sf_db.confirm_enrolment(s, user_id, typed.totp, app.vault(), ip=caller.ip or None, clock=app.clock)
        sessions_db.end_user_sessions(s, user_id, keep=caller.session_id)
    return RecoveryCodes(recovery_codes=codes)


# --- using it --------------------------------------------------------------------------------------------------------


def _barred(user: User, now: datetime) -> bool:
    return user.deactivated_at is not None or (user.locked_until is not None and user.locked_until > now)


def _with_code(
    app: AppContext, user_id: int, typed: TypedCode, *, reason: str, ip: str | None, then: Callable[[Session, User], T]
) -> tuple[bool, T | None]:
    """Check and use up a code of the user's factor and, when it is good, run ``then`` in the same transaction. A
    wrong code is counted as a failed sign-in (five in a row lock the account), and that count is committed."""
    with app.db.transaction(write=True) as s:
        user = users_db.get_user(s, user_id)
        barred = _barred(user, app.clock())
        used = None if barred else sf_db.use_code(s, user, typed, app.vault(), ip=ip, clock=app.clock)
        if used is None:
            if not barred:
                users_db.record_failure(s, user, reason=reason, ip=ip, policy=app.policy, clock=app.clock)
            return False, None
        return True, then(s, user)


def pending_username(app: AppContext, raw_session: str) -> str | None:
    """The username of a half session (right password, waiting for the second factor), or None when there is none
    (unknown, ended, or past its five minutes)."""
    with app.db.transaction(write=True) as s:
        user = sessions_db.pending_user(s, raw_session, clock=app.clock)
        return None if user is None else user.username


def finish_sign_in(app: AppContext, raw_session: str, code: str, *, ip: str, ttl: timedelta) -> str | None:
    """The second step of a sign-in: with a good TOTP code (of a step not used before) or an unused recovery code,
    the half session ends and a new session begins (a new id: no fixation); returns its id. None for a wrong or used
    code, an ended half session, a locked or deactivated account — one answer for all; a wrong code is counted as a
    failed sign-in. A code that is not a code at all is an :class:`InputError` naming ``code``."""
    typed = parse_code(code)
    with app.db.transaction(write=True) as s:
        user = sessions_db.pending_user(s, raw_session, clock=app.clock)
        if user is None or _barred(user, app.clock()):
            return None
        used = sf_db.use_code(s, user, typed, app.vault(), ip=ip, clock=app.clock)
        if used is None:
            users_db.record_failure(s, user, reason="bad_second_factor", ip=ip, policy=app.policy, clock=app.clock)
            return None  # the failure is committed with the transaction
        users_db.complete_sign_in(s, user, second_factor=used, ip=ip, clock=app.clock)
        sessions_db.end_session(s, raw_session)
        return sessions_db.start_session(s, user.id, ttl=ttl, clock=app.clock)


def _code_or_refuse(
    app: AppContext, caller: Caller, code: str, *, reason: str, then: Callable[[Session, User], T]
) -> T:
    user_id = _own_browser(caller)
    typed = parse_code(code)
    with app.db.transaction() as s:
        if not sf_db.is_enrolled(s, user_id):
            raise ConflictError("this account has no second factor")
    ok, value = _with_code(app, user_id, typed, reason=reason, ip=caller.ip or None, then=then)
    if not ok:
        raise InputError(WRONG_CODE, field="code")
    return value  # type: ignore[return-value]


def regenerate_recovery_codes(app: AppContext, caller: Caller, code: str) -> RecoveryCodes:
    """Ten new recovery codes in place of the old ones (all of them, used or not), for a good code (TOTP or
    recovery); audited as ``second_factor.recovery_codes_regenerated``."""

    def renew(s: Session, user: User) -> list[str]:
        codes = sf_db.new_recovery_codes(s, user.id, clock=app.clock)
        record_audit(
            s, "second_factor.recovery_codes_regenerated", actor_id=user.id, target=f"user:{user.id}",
            detail={"recovery_codes": len(codes)}, ip=caller.ip or None, clock=app.clock,
        )  # fmt: skip
        return codes

    return RecoveryCodes(recovery_codes=_code_or_refuse(app, caller, code, reason="bad_second_factor", then=renew))


def disable(app: AppContext, caller: Caller, password: str, code: str) -> None:
    """Remove the caller's second factor: the current password and a good code (TOTP or recovery) are both needed;
    a wrong one of either counts towards the lock-out. The account's other sessions end; audited as
    ``second_factor.disabled``."""
    user_id = _own_browser(caller)
    parse_code(code)  # a malformed code is refused before anything is counted
    if not password:
        raise InputError("enter your current password", field="current_password")
    with app.db.transaction(write=True) as s:
        if not sf_db.is_enrolled(s, user_id):
            raise ConflictError("this account has no second factor")
        right = users_db.check_current_password(s, user_id, password, ip=caller.ip or None, policy=app.policy,
                                                clock=app.clock)  # fmt: skip
    if not right:
        raise InputError("the current password is wrong", field="current_password")

    def remove(s: Session, user: User) -> None:
        sf_db.remove(s, user.id, action="second_factor.disabled", actor_id=user.id, ip=caller.ip or None,
                     clock=app.clock)  # fmt: skip
        sessions_db.end_user_sessions(s, user.id, keep=caller.session_id)

    _code_or_refuse(app, caller, code, reason="bad_second_factor", then=remove)


# --- an administrator's reset ----------------------------------------------------------------------------------------


def reset(app: AppContext, caller: Caller, user: int | str) -> str:
    """Remove someone's second factor (they lost their phone and their recovery codes), as an instance
    administrator or the operator: their sessions and API tokens end (the credentials generation rises), and the
    next sign-in is by password alone — or, if the setting covers them, straight to setting up a new one. Audited as
    ``second_factor.reset``, naming who did it. Returns the username."""
    require(caller, Action.ADMINISTER, Resource.instance())
    with app.db.transaction(write=True) as s:
        target = _target(s, user)
        removed = sf_db.remove(
            s, target.id, action="second_factor.reset", actor_id=caller.user_id, actor_name=caller.audit_name,
            ip=caller.ip or None, clock=app.clock,
        )  # fmt: skip
        if not removed:
            raise ConflictError(f"{target.username} has no second factor to reset")
        users_db.end_credentials(s, target)
        return target.username


def _target(s: Session, user: int | str) -> User:
    if isinstance(user, str):
        found = users_db.get_user_by_username(s, user)
        if found is None:
            raise InputError(f"no user named {user!r}", field="username")
        return found
    try:
        return users_db.get_user(s, user)
    except NotFoundError:
        raise hidden() from None
