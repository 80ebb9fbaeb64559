"""Attempts counted by the rate limits, in SQL so that every server process on the database sees the same counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from detente.db.models import RateLimitHit

__all__ = ["add_hits", "hits_since", "prune"]


def hits_since(session: Session, key: str, since: datetime) -> tuple[int, datetime | None]:
    """How many attempts ``key`` made after ``since``, and the oldest of them."""
    count, oldest = session.execute(
        select(func.count(RateLimitHit.id), func.min(RateLimitHit.at)).where(
            RateLimitHit.key == key, RateLimitHit.at > since
        )
    ).one()
    return int(count), oldest


def add_hits(session: Session, keys: Sequence[str], at: datetime) -> None:
    session.add_all([RateLimitHit(key=key, at=at) for key in keys])
    session.flush()


def prune(session: Session, prefix: str, before: datetime) -> None:
    """Forget the attempts under ``prefix`` made at or before ``before`` (outside every window)."""
    session.execute(delete(RateLimitHit).where(RateLimitHit.key.startswith(prefix), RateLimitHit.at <= before))
