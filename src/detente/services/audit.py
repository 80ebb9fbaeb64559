"""The audit trail as the services write and read it.

Every event a use case writes names the process and the visibility label of what it is about, so the trail is no
side door: an instance administrator reads the details of an event about a labelled record only when their own
membership of that process lets them read the label; otherwise the event shows that something happened, not what.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.db.audit import list_audit_events, record_audit
from detente.db.models import AuditEvent
from detente.services.authz import require
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = ["AuditEventOut", "audit", "list_audit"]

WITHHELD = {"withheld": "the details concern a record you may not read"}


def audit(
    s: Session,
    app: AppContext,
    caller: Caller,
    action: str,
    *,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    process_id: int | None = None,
    label: Label | str | None = None,
) -> AuditEvent:
    """Record one event in the use case's transaction (kept only if the transaction is)."""
    return record_audit(
        s,
        action,
        actor_id=caller.user_id,
        actor_name=caller.audit_name,
        target=target,
        detail={**(detail or {}), "via": caller.via},
        ip=caller.ip or None,
        process_id=process_id,
        label=str(label) if label is not None else None,
        clock=app.clock,
    )


class AuditEventOut(BaseModel):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    target: str | None
    process_id: int | None
    label: str | None
    detail: dict[str, Any]
    ip: str | None


def _may_see(caller: Caller, event: AuditEvent) -> bool:
    if event.process_id is None or event.label is None:
        return True
    membership = caller.subject.membership(event.process_id)
    return access.may_read_label(membership, Label.parse(event.label))


def list_audit(
    app: AppContext, caller: Caller, *, action: str | None, before_id: int | None, limit: int
) -> list[AuditEventOut]:
    """The trail, newest first (instance administrators; details of labelled records only where readable)."""
    require(caller, Action.ADMINISTER, Resource.instance())
    with app.db.transaction() as s:
        return [
            AuditEventOut(
                id=e.id,
                occurred_at=e.occurred_at,
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                action=e.action,
                target=e.target,
                process_id=e.process_id,
                label=e.label,
                detail=dict(e.detail) if _may_see(caller, e) else dict(WITHHELD),
                ip=e.ip,
            )
            for e in list_audit_events(s, action=action, before_id=before_id, limit=limit)
        ]
