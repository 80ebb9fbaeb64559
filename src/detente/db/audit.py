"""The audit trail of security-relevant actions: sign-ins and failures, role and membership changes, exports,
token use. Append-only: there is no function to change or delete an event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.models import AuditEvent

__all__ = ["list_audit_events", "recent_targets", "record_audit"]


def record_audit(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
    process_id: int | None = None,
    label: str | None = None,
    clock: Clock,
) -> AuditEvent:
    """Add one event to the trail, inside the caller's transaction (it is kept only if the transaction is).

    ``process_id`` and ``label`` say what the event is about, so readers of the trail see its details only where
    they may read that label in that process."""
    event = AuditEvent(
        occurred_at=clock(),
        actor_id=actor_id,
        actor_name=actor_name[:64] if actor_name is not None else None,
        action=action,
        target=target[:200] if target is not None else None,
        detail=dict(detail or {}),
        ip=ip,
        process_id=process_id,
        label=label,
    )
    session.add(event)
    session.flush()
    return event


def list_audit_events(
    session: Session,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEvent]:
    """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
    query = select(AuditEvent)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    query = query.order_by(AuditEvent.id.desc()).limit(max(1, min(limit, 1000)))
    return session.scalars(query).all()


def recent_targets(session: Session, action: str, process_id: int, since: datetime) -> set[str]:
    """The targets of the process's events of *action* since *since* (to raise an alert once, not on every read)."""
    query = select(AuditEvent.target).where(
        AuditEvent.action == action, AuditEvent.process_id == process_id, AuditEvent.occurred_at >= since
    )
    return {t for t in session.scalars(query) if t is not None}
