"""Server-side sessions of signed-in browsers. The cookie carries a random id; only its SHA-256 is stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.models import User, WebSession
from detente.db.secrets_ import digest, new_secret
from detente.db.users import get_user

__all__ = [
    "DEFAULT_SESSION_IDLE",
    "DEFAULT_SESSION_TTL",
    "TOUCH_INTERVAL",
    "end_session",
    "end_user_sessions",
    "session_user",
    "start_session",
]

#: the absolute timeout: a session ends this long after sign-in, used or not
DEFAULT_SESSION_TTL = timedelta(hours=12)
#: the idle timeout: a session unused this long ends
DEFAULT_SESSION_IDLE = timedelta(minutes=30)
#: a session's last use is written at most this often (fewer writes; the idle timeout is exact to within this)
TOUCH_INTERVAL = timedelta(seconds=30)


def start_session(session: Session, user_id: int, *, ttl: timedelta = DEFAULT_SESSION_TTL, clock: Clock) -> str:
    """Open a session for the user, ending ``ttl`` from now at the latest (the absolute timeout); returns the id to
    put in the cookie (never stored as such)."""
    user = get_user(session, user_id)
    now = clock()
    raw = new_secret("")
    session.add(
        WebSession(session_hash=digest(raw), user_id=user.id, created_at=now, expires_at=now + ttl, last_seen_at=now)
    )
    session.flush()
    return raw


def session_user(session: Session, raw_id: str, *, idle: timedelta = DEFAULT_SESSION_IDLE, clock: Clock) -> User | None:
    """The user of a live session, or None: unknown, past its absolute timeout, unused for ``idle`` (the idle
    timeout; either way it is removed), or of a deactivated account. A live session's last use is recorded."""
    row = session.scalars(select(WebSession).where(WebSession.session_hash == digest(raw_id))).one_or_none()
    if row is None:
        return None
    now = clock()
    last = row.last_seen_at or row.created_at
    if row.expires_at <= now or last + idle <= now:
        session.delete(row)
        session.flush()
        return None
    if now - last >= TOUCH_INTERVAL:
        row.last_seen_at = now
        session.flush()
    user = get_user(session, row.user_id)
    if user.deactivated_at is not None:
        return None
    return user


def end_session(session: Session, raw_id: str) -> None:
    """Sign out (idempotent)."""
    session.execute(delete(WebSession).where(WebSession.session_hash == digest(raw_id)))


def end_user_sessions(session: Session, user_id: int) -> int:
    """Sign the user out everywhere; returns how many sessions ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
