"""Accounts: signing in and out, who a session or a token belongs to, passwords, instance administration and API
tokens. The web shell keeps only what is HTTP (cookies, the login rate limit per client). The second factor's own
use cases are in :mod:`detente.services.second_factor`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente.access import SCOPES, Action, Resource
from detente.db import processes as proc_db
from detente.db import second_factor as sf_db
from detente.db import tokens as tokens_db
from detente.db import users as users_db
from detente.db import web_sessions as sessions_db
from detente.db.models import ApiToken, User
from detente.db.users import DEFAULT_POLICY, AccountPolicy, LoginOutcome
from detente.errors import AccessDenied, AuthRequired, InputError, NotFoundError
from detente.services.authz import hidden, require
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.services.second_factor import must_enrol

__all__ = [
    "DEFAULT_POLICY",
    "AccountPolicy",
    "IssuedTokenOut",
    "SignIn",
    "TokenOut",
    "UserOut",
    "caller_by_name",
    "change_own_password",
    "create_token",
    "create_user",
    "list_tokens",
    "list_users",
    "reset_password",
    "revoke_token",
    "session_caller",
    "set_active",
    "set_admin",
    "sign_in",
    "sign_out",
    "token_caller",
]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    is_admin: bool
    created_at: datetime
    locked: bool
    active: bool
    #: a second factor (TOTP) is set up for the account
    second_factor: bool = False


class TokenOut(BaseModel):
    id: int
    user_id: int
    username: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool
    #: active, or why the token is refused: revoked, expired, ended (credentials changed) or deactivated
    state: str


class IssuedTokenOut(BaseModel):
    id: int
    secret: str
    name: str
    scopes: list[str]
    expires_at: datetime | None


def _user_out(user: User, *, enrolled: bool) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_admin=user.is_admin,
        created_at=user.created_at,
        locked=user.locked_until is not None,
        active=user.deactivated_at is None,
        second_factor=enrolled,
    )


def _user_row(s: Session, user: User) -> UserOut:
    return _user_out(user, enrolled=sf_db.is_enrolled(s, user.id))


def _caller(
    s: Session,
    user: User,
    via: str,
    scopes: frozenset[str],
    ip: str,
    *,
    groups: frozenset[str] = frozenset(),
    **extra: object,
) -> Caller:
    subject = proc_db.load_subject(s, user.id)
    enrolled = sf_db.is_enrolled(s, user.id)
    return Caller(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_admin=user.is_admin,
        subject=subject,
        via=via,
        scopes=scopes,
        ip=ip,
        session_id=extra.get("session_id"),  # type: ignore[arg-type]
        token_id=extra.get("token_id"),  # type: ignore[arg-type]
        enrolled=enrolled,
        must_enrol=must_enrol(groups, is_admin=user.is_admin, subject=subject, enrolled=enrolled),
    )


# --- who is asking -------------------------------------------------------------------------------------------------


def caller_by_name(app: AppContext, username: str, *, via: str = "cli", ip: str = "cli") -> Caller:
    """The named user as a caller of the command line (an unknown name is the user's mistake, naming ``--user``)."""
    with app.db.transaction() as s:
        user = users_db.get_user_by_username(s, username)
        if user is None:
            raise InputError(f"no user named {username!r}", field="user")
        return _caller(s, user, via, SCOPES, ip)


def session_caller(
    app: AppContext, raw_session: str, *, ip: str, idle: timedelta = sessions_db.DEFAULT_SESSION_IDLE
) -> Caller | None:
    """The caller of a live browser session, or None (unknown, timed out — idle or absolute —, deactivated, or a
    half session still waiting for the second factor). ``must_enrol`` is set when the account is held to setting up
    a second factor first (``DETENTE_REQUIRE_SECOND_FACTOR``)."""
    with app.db.transaction(write=True) as s:
        user = sessions_db.session_user(s, raw_session, idle=idle, clock=app.clock)
        if user is None:
            return None
        return _caller(s, user, "session", SCOPES, ip, groups=app.second_factor_groups, session_id=raw_session)


def token_caller(app: AppContext, secret: str, *, ip: str) -> Caller:
    """The caller of an API token; an unknown, revoked or expired token is refused (its use is recorded). A token
    of an account held to setting up a second factor first is a caller with ``must_enrol``."""
    with app.db.transaction(write=True) as s:
        verified = tokens_db.verify_token(s, secret, ip=ip, clock=app.clock)
        if verified is not None:
            return _caller(
                s, verified.user, "token", verified.scopes, ip, groups=app.second_factor_groups,
                token_id=verified.token_id,
            )  # fmt: skip
    raise AuthRequired("unknown, revoked or expired token", bearer=True)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the new session's secret for the cookie; or, for an account with a second factor,
    a half session's (``pending``: it grants nothing but the step of the code, for five minutes); or neither
    (wrong or locked)."""

    session: str | None
    pending: str | None = None


def sign_in(app: AppContext, username: str, password: str, *, ip: str, ttl: timedelta) -> SignIn:
    """Check the password (failures counted, lock-out, every attempt audited) and open a fresh session — a half
    one when the account has a second factor (:func:`detente.services.second_factor.finish_sign_in` completes
    it)."""
    with app.db.transaction(write=True) as s:
        result = users_db.authenticate(s, username, password, ip=ip, policy=app.policy, clock=app.clock)
        if result.user is None:
            return SignIn(None)
        if result.outcome is LoginOutcome.SECOND_FACTOR:
            pending = sessions_db.start_session(
                s, result.user.id, ttl=ttl, awaiting_second_factor=True, clock=app.clock
            )
            return SignIn(None, pending=pending)
        return SignIn(sessions_db.start_session(s, result.user.id, ttl=ttl, clock=app.clock))


def sign_out(app: AppContext, raw_session: str) -> None:
    with app.db.transaction(write=True) as s:
        sessions_db.end_session(s, raw_session)


def change_own_password(app: AppContext, caller: Caller, current: str, new: str, *, ttl: timedelta) -> str:
    """Change the caller's own password. The current one is checked first, in a transaction of its own, so that a
    wrong guess counts towards the account's lock-out even though the change is refused (a lock-out ends every
    session, the guesser's included). Every other session ends; returns a fresh session for the browser that
    asked."""
    if caller.user_id is None:
        raise AuthRequired("sign in first")
    ip = caller.ip or None
    users_db.check_password_policy(new, username=caller.username, policy=app.policy)
    with app.db.transaction(write=True) as s:
        right = users_db.check_current_password(s, caller.user_id, current, ip=ip, policy=app.policy, clock=app.clock)
    if not right:
        raise InputError("the current password is wrong", field="current_password")
    with app.db.transaction(write=True) as s:
        users_db.change_password(
            s, caller.user_id, new, actor_id=caller.user_id, ip=ip, policy=app.policy, clock=app.clock
        )
        return sessions_db.start_session(s, caller.user_id, ttl=ttl, clock=app.clock)


# --- instance administration ---------------------------------------------------------------------------------------


def _instance_admin(caller: Caller) -> None:
    require(caller, Action.ADMINISTER, Resource.instance())


def _named(s: Session, username: str) -> User:
    user = users_db.get_user_by_username(s, username)
    if user is None:
        raise InputError(f"no user named {username!r}", field="username")
    return user


def list_users(app: AppContext, caller: Caller) -> list[UserOut]:
    _instance_admin(caller)
    with app.db.transaction() as s:
        enrolled = sf_db.enrolled_ids(s)
        return [_user_out(u, enrolled=u.id in enrolled) for u in users_db.list_users(s)]


def create_user(
    app: AppContext, caller: Caller, username: str, password: str, display_name: str | None, is_admin: bool
) -> UserOut:
    _instance_admin(caller)
    with app.db.transaction(write=True) as s:
        user = users_db.create_user(
            s, username, password, display_name=display_name, is_admin=is_admin, actor_id=caller.user_id,
            actor_name=caller.audit_name, ip=caller.ip or None, policy=app.policy, clock=app.clock,
        )  # fmt: skip
        return _user_row(s, user)


def _user_id(s: Session, user: int | str) -> int:
    if isinstance(user, str):
        return _named(s, user).id
    try:
        return users_db.get_user(s, user).id
    except NotFoundError:
        raise hidden() from None


def set_admin(app: AppContext, caller: Caller, user: int | str, is_admin: bool) -> UserOut:
    """Grant or withdraw instance administration (by id, or by username from the command line)."""
    _instance_admin(caller)
    with app.db.transaction(write=True) as s:
        user_id = _user_id(s, user)
        if user_id == caller.user_id and not is_admin:
            raise AccessDenied("an administrator may not withdraw their own administration")
        changed = users_db.set_admin(
            s, user_id, is_admin, actor_id=caller.user_id, actor_name=caller.audit_name, ip=caller.ip or None,
            clock=app.clock,
        )  # fmt: skip
        return _user_row(s, changed)


def set_active(app: AppContext, caller: Caller, user: int | str, active: bool) -> UserOut:
    """Deactivate an account (it cannot sign in; its sessions and tokens die at once) or reactivate it."""
    _instance_admin(caller)
    with app.db.transaction(write=True) as s:
        user_id = _user_id(s, user)
        if user_id == caller.user_id and not active:
            raise AccessDenied("an administrator may not deactivate their own account")
        changed = users_db.set_active(
            s, user_id, active, actor_id=caller.user_id, actor_name=caller.audit_name, ip=caller.ip or None,
            clock=app.clock,
        )  # fmt: skip
        return _user_row(s, changed)


def reset_password(app: AppContext, caller: Caller, user: int | str, new_password: str) -> UserOut:
    """Set someone's password as an administrator (their sessions end, any lock is lifted)."""
    _instance_admin(caller)
    with app.db.transaction(write=True) as s:
        user_id = _user_id(s, user)
        users_db.change_password(
            s, user_id, new_password, actor_id=caller.user_id, actor_name=caller.audit_name, ip=caller.ip or None,
            policy=app.policy, clock=app.clock,
        )  # fmt: skip
        return _user_row(s, users_db.get_user(s, user_id))


# --- API tokens ----------------------------------------------------------------------------------------------------


def _lifetime(days: int | None) -> timedelta:
    if days is None:
        return tokens_db.DEFAULT_TOKEN_LIFETIME
    longest = tokens_db.MAX_TOKEN_LIFETIME.days
    if not 1 <= days <= longest:
        raise InputError(f"a token lives 1 to {longest} days", field="expires_in_days")
    return timedelta(days=days)


def create_token(
    app: AppContext,
    caller: Caller,
    name: str,
    scopes: Sequence[str],
    *,
    for_user: str | None = None,
    expires_in_days: int | None = None,
) -> IssuedTokenOut:
    """A new token for the caller (or, for the operator, for ``for_user``), living ``expires_in_days`` (default
    90, at most 365); a token mints tokens only with the 'admin' scope, and never wider ones. For an account with a
    second factor only a browser session (which passed that factor) or the operator issues one: the token is then a
    credential of its own, good without the second factor until it expires or dies."""
    if caller.via == "token" and "admin" not in caller.scopes:
        raise AccessDenied("this token lacks the 'admin' scope", field="scopes")
    unknown = set(scopes) - SCOPES
    if unknown:
        raise InputError(f"unknown scope {sorted(unknown)[0]!r}: use read, write, admin", field="scopes")
    if not set(scopes) <= caller.scopes:
        raise AccessDenied("a token cannot grant more than its own scopes", field="scopes")
    lifetime = _lifetime(expires_in_days)
    with app.db.transaction(write=True) as s:
        if for_user is not None:
            _instance_admin(caller)
            owner = _named(s, for_user).id
        elif caller.user_id is None:
            raise InputError("name the user the token is for", field="user")
        else:
            owner = caller.user_id
        if caller.via not in ("session", "operator") and sf_db.is_enrolled(s, owner):
            raise AccessDenied(
                "this account has a second factor: create API tokens from a browser session signed in with it",
                field="scopes",
            )
        issued = tokens_db.create_token(
            s, owner, name, scopes, expires_in=lifetime, ip=caller.ip or None, clock=app.clock
        )
        return IssuedTokenOut(
            id=issued.token_id,
            secret=issued.secret,
            name=name.strip(),
            scopes=sorted(set(scopes)),
            expires_at=tokens_db.get_token(s, issued.token_id).expires_at,
        )


def _token_out(token: ApiToken, owner: User, now: datetime) -> TokenOut:
    return TokenOut(
        id=token.id,
        user_id=owner.id,
        username=owner.username,
        name=token.name,
        scopes=token.scopes.split(),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked=token.revoked_at is not None,
        state=tokens_db.token_state(token, owner, now),
    )


def list_tokens(
    app: AppContext, caller: Caller, *, user: int | str | None = None, everyone: bool = False
) -> list[TokenOut]:
    """The caller's own tokens; an instance administrator may list another user's (``user``) or everyone's."""
    if user is not None or everyone:
        _instance_admin(caller)
    elif caller.user_id is None:
        return []
    with app.db.transaction() as s:
        owner = None if everyone else (_user_id(s, user) if user is not None else caller.user_id)
        now = app.clock()
        return [_token_out(t, u, now) for t, u in tokens_db.list_tokens(s, owner)]


def revoke_token(app: AppContext, caller: Caller, token_id: int) -> None:
    """Revoke a token: one's own, or anyone's for an instance administrator (else "not found")."""
    with app.db.transaction(write=True) as s:
        try:
            token = tokens_db.get_token(s, token_id)
        except NotFoundError:
            raise hidden() from None
        if token.user_id != caller.user_id:
            try:
                _instance_admin(caller)
            except AccessDenied:
                raise hidden() from None
        tokens_db.revoke_token(
            s, token_id, actor_id=caller.user_id, actor_name=caller.audit_name, ip=caller.ip or None, clock=app.clock
        )
