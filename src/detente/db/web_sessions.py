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
    "SECOND_FACTOR_WAIT",
    "TOUCH_INTERVAL",
    "end_session",
    "end_user_sessions",
    "pending_user",
    "session_user",
    "start_session",
]

#: the absolute timeout: a session ends this long after sign-in, used or not
DEFAULT_SESSION_TTL = timedelta(hours=12)
#: the idle timeout: a session unused this long ends
DEFAULT_SESSION_IDLE = timedelta(minutes=30)
#: a session's last use is written at most this often (fewer writes; the idle timeout is exact to within this)
TOUCH_INTERVAL = timedelta(seconds=30)
#: how long a half session (right password, second factor to come) waits for the code
SECOND_FACTOR_WAIT = timedelta(minutes=5)


def start_session(
    session: Session,
    user_id: int,
    *,
    ttl: timedelta = DEFAULT_SESSION_TTL,
    awaiting_second_factor: bool = False,
    clock: Clock,
) -> str:
    """Open a session for the user, ending ``ttl`` from now at the latest (the absolute timeout); returns the id to
    put in the cookie (never stored as such). A session ``awaiting_second_factor`` is a half session: it lives
    :data:`SECOND_FACTOR_WAIT` at most and is no session at all to :func:`session_user`, only to
    :func:`pending_user`."""
    user = get_user(session, user_id)
    now = clock()
    raw = new_secret("")
    ends = now + (min(ttl, SECOND_FACTOR_WAIT) if awaiting_second_factor else ttl)
    row = WebSession(
        session_hash=digest(raw),
        user_id=user.id,
        created_at=now,
        expires_at=ends,
        last_seen_at=now,
        awaiting_second_factor=awaiting_second_factor,
    )
    session.add(row)
    session.flush()
    return raw


def _row(session: Session, raw_id: str) -> WebSession | None:
    return session.scalars(select(WebSession).where(WebSession.session_hash == digest(raw_id))).one_or_none()


def pending_user(session: Session, raw_id: str, *, clock: Clock) -> User | None:
    """The user of a live half session (awaiting the second factor), or None: unknown, a whole session, past its
    five minutes (then removed), or of a deactivated account."""
    row = _row(session, raw_id)
    if row is None or not row.awaiting_second_factor:
        return None
    if row.expires_at <= clock():
        session.delete(row)
        session.flush()
        return None
    user = get_user(session, row.user_id)
    return None if user.deactivated_at is not None else user


def session_user(session: Session, raw_id: str, *, idle: timedelta = DEFAULT_SESSION_IDLE, clock: Clock) -> User | None:
    """The user of a live session, or None: unknown, past its absolute timeout, unused for ``idle`` (the idle
    timeout; either way it is removed), of a deactivated account, or a half session still awaiting the second
    factor (it grants nothing). A live session's last use is recorded."""
    row = _row(session, raw_id)
    if row is None or row.awaiting_second_factor:
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


def end_user_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """Sign the user out everywhere (but in the session ``keep``, when given); returns how many sessions ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.session_hash != digest(keep))
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
