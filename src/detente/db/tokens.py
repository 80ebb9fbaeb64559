"""API tokens for scripts: scoped, revocable, stored as SHA-256 digests (the secret is returned once)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.audit import record_audit
from detente.db.models import ApiToken, User
from detente.db.secrets_ import digest, new_secret
from detente.db.users import get_user
from detente.errors import InputError, NotFoundError

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "MAX_TOKEN_LIFETIME",
    "TOKEN_PREFIX",
    "TOKEN_USE_AUDIT_INTERVAL",
    "IssuedToken",
    "VerifiedToken",
    "create_token",
    "get_token",
    "list_tokens",
    "revoke_token",
    "token_state",
    "verify_token",
]

#: every token starts so, which lets secret scanners recognise a leaked one
TOKEN_PREFIX = "dtk_"
#: a token's use is audited at most once per interval (each use still updates ``last_used_at``)
TOKEN_USE_AUDIT_INTERVAL = timedelta(hours=1)

#: how long a token lives unless its creator says otherwise, and the longest it may live
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
MAX_TOKEN_LIFETIME = timedelta(days=365)

_SCOPE = re.compile(r"[a-z][a-z0-9_]*(:[a-z0-9_]+)*")


@dataclass(frozen=True)
class IssuedToken:
    """The one moment the secret exists outside its holder: show it, then forget it."""

    token_id: int
    secret: str


@dataclass(frozen=True)
class VerifiedToken:
    token_id: int
    user: User
    scopes: frozenset[str]


def _scopes(scopes: Iterable[str]) -> str:
    cleaned = sorted({s.strip() for s in scopes})
    if not cleaned:
        raise InputError("a token needs at least one scope", field="scopes")
    for scope in cleaned:
        if not _SCOPE.fullmatch(scope):
            raise InputError(f"bad scope {scope!r}: lowercase words joined by ':'", field="scopes")
    text = " ".join(cleaned)
    if len(text) > 500:
        raise InputError("too many scopes", field="scopes")
    return text


def create_token(
    session: Session,
    user_id: int,
    name: str,
    scopes: Iterable[str],
    *,
    expires_in: timedelta | None = None,
    ip: str | None = None,
    clock: Clock,
) -> IssuedToken:
    user = get_user(session, user_id)
    label = name.strip()
    if not label or len(label) > 100:
        raise InputError("a token needs a name of 1-100 characters", field="name")
    now = clock()
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=digest(secret),
        scopes=_scopes(scopes),
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
        generation=user.credentials_generation,
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        "token.created",
        actor_id=user.id,
        target=f"token:{token.id}",
        detail={"name": label, "scopes": token.scopes.split()},
        ip=ip,
        clock=clock,
    )
    return IssuedToken(token.id, secret)


def verify_token(session: Session, secret: str, *, ip: str | None = None, clock: Clock) -> VerifiedToken | None:
    """The token's owner and scopes, or None when it is unknown, revoked or expired, when its owner is deactivated,
    or when the owner's credentials changed since it was issued (password change, reset, lock-out, deactivation).
    Records its use."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(secret))).one_or_none()
    now = clock()
    if token is None:
        return None
    user = get_user(session, token.user_id)
    if token_state(token, user, now) != "active":
        return None
    previous = token.last_used_at
    token.last_used_at = now
    if previous is None or now - previous >= TOKEN_USE_AUDIT_INTERVAL:
        record_audit(session, "token.used", actor_id=token.user_id, target=f"token:{token.id}", ip=ip, clock=clock)
    session.flush()
    return VerifiedToken(token.id, user, frozenset(token.scopes.split()))


def token_state(token: ApiToken, owner: User, now: datetime) -> str:
    """``active``, or why the token is refused: ``revoked``, ``expired``, ``ended`` (the owner's password changed,
    was reset, or the account was locked out or deactivated since it was issued) or ``deactivated``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    if token.generation != owner.credentials_generation:
        return "ended"
    if owner.deactivated_at is not None:
        return "deactivated"
    return "active"


def get_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"no token {token_id}")
    return token


def revoke_token(
    session: Session,
    token_id: int,
    *,
    actor_id: int | None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> None:
    """Revoke a token (idempotent). Whether ``actor_id`` may do so is the caller's decision."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = clock()
        record_audit(
            session, "token.revoked", actor_id=actor_id, actor_name=actor_name, target=f"token:{token.id}",
            detail={"owner": token.user_id}, ip=ip, clock=clock,
        )  # fmt: skip
    session.flush()


def list_tokens(session: Session, user_id: int | None = None) -> Sequence[tuple[ApiToken, User]]:
    """The tokens of one user (or of everyone), each with its owner, oldest first."""
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [(token, owner) for token, owner in session.execute(query)]
