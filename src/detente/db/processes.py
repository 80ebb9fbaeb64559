"""Processes, their parties and members (roles), and the bridge to :mod:`detente.access`.

These functions store; they do not decide. The caller asks :func:`detente.access.decide` first (with the
:class:`~detente.access.Subject` from :func:`load_subject`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente import access
from detente.clock import Clock
from detente.db.audit import record_audit
from detente.db.models import Membership, Party, Process, User
from detente.db.users import get_user
from detente.errors import ConflictError, InputError, NotFoundError

__all__ = [
    "add_party",
    "create_process",
    "get_process",
    "list_members",
    "list_parties",
    "list_visible_processes",
    "load_subject",
    "party_ids",
    "process_id_named",
    "remove_membership",
    "set_membership",
]


def _name(text: str, what: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > 200:
        raise InputError(f"a {what} needs a name of 1-200 characters", field="name")
    return name


def create_process(
    session: Session,
    name: str,
    *,
    description: str = "",
    fictional: bool = False,
    actor_id: int | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> Process:
    clean = _name(name, "process")
    if session.scalars(select(Process.id).where(Process.name == clean)).first() is not None:
        raise ConflictError(f"a process named {clean!r} exists already")
    process = Process(
        name=clean, description=description.strip(), fictional=fictional, created_at=clock(), created_by=actor_id
    )
    session.add(process)
    session.flush()
    record_audit(
        session,
        "process.created",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"process:{process.id}",
        process_id=process.id,
        detail={"name": clean, "fictional": fictional},
        ip=ip,
        clock=clock,
    )
    return process


def process_id_named(session: Session, name: str) -> int | None:
    """The id of the process called ``name`` (names are unique), or None."""
    found = session.scalars(select(Process.id).where(Process.name == name)).one_or_none()
    return None if found is None else int(found)


def get_process(session: Session, process_id: int) -> Process:
    process = session.get(Process, process_id)
    if process is None:
        raise NotFoundError(f"no process {process_id}")
    return process


def add_party(
    session: Session,
    process_id: int,
    name: str,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> Party:
    process = get_process(session, process_id)
    clean = _name(name, "party")
    taken = select(Party.id).where(Party.process_id == process.id, Party.name == clean)
    if session.scalars(taken).first() is not None:
        raise ConflictError(f"the process has a party named {clean!r} already")
    party = Party(process_id=process.id, name=clean)
    session.add(party)
    session.flush()
    record_audit(
        session,
        "party.created",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"process:{process.id}",
        process_id=process.id,
        detail={"party_id": party.id, "name": clean},
        ip=ip,
        clock=clock,
    )
    return party


def list_parties(session: Session, process_id: int) -> Sequence[Party]:
    return session.scalars(select(Party).where(Party.process_id == process_id).order_by(Party.id)).all()


def party_ids(session: Session, process_id: int) -> list[int]:
    """The ids of the process's parties (what :func:`detente.access.readable_labels` needs)."""
    return list(session.scalars(select(Party.id).where(Party.process_id == process_id).order_by(Party.id)))


def _membership(session: Session, user_id: int, process_id: int) -> Membership | None:
    query = select(Membership).where(Membership.user_id == user_id, Membership.process_id == process_id)
    return session.scalars(query).one_or_none()


def set_membership(
    session: Session,
    process_id: int,
    user_id: int,
    role: access.Role,
    *,
    party_id: int | None = None,
    actor_id: int | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> Membership:
    """Give the user a role in the process, or change the role they hold. A party representative names one
    party of this process; no other role names a party. Audited as ``membership.added`` or ``.role_changed``."""
    access.Membership(process_id, role, party_id)  # validates the role/party binding
    process = get_process(session, process_id)
    user = get_user(session, user_id)
    if party_id is not None and party_id not in party_ids(session, process.id):
        raise InputError("the party is not a party of this process", field="party")
    existing = _membership(session, user.id, process.id)
    target = f"process:{process.id}"
    if existing is None:
        existing = Membership(
            user_id=user.id, process_id=process.id, role=role.value, party_id=party_id, created_at=clock()
        )
        session.add(existing)
        detail: dict[str, object] = {"user_id": user.id, "role": role.value, "party_id": party_id}
        session.flush()
        record_audit(
            session, "membership.added", actor_id=actor_id, actor_name=actor_name, target=target, detail=detail, ip=ip,
            process_id=process.id, clock=clock,
        )  # fmt: skip
        return existing
    before = {"role": existing.role, "party_id": existing.party_id}
    if before == {"role": role.value, "party_id": party_id}:
        return existing
    existing.role = role.value
    existing.party_id = party_id
    session.flush()
    detail = {"user_id": user.id, "from": before, "to": {"role": role.value, "party_id": party_id}}
    record_audit(
        session,
        "membership.role_changed",
        actor_id=actor_id,
        actor_name=actor_name,
        target=target,
        detail=detail,
        ip=ip,
        process_id=process.id,
        clock=clock,
    )
    return existing


def remove_membership(
    session: Session,
    process_id: int,
    user_id: int,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    clock: Clock,
) -> None:
    existing = _membership(session, user_id, process_id)
    if existing is None:
        raise NotFoundError("no such membership")
    detail = {"user_id": user_id, "role": existing.role, "party_id": existing.party_id}
    session.delete(existing)
    session.flush()
    record_audit(
        session,
        "membership.removed",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"process:{process_id}",
        process_id=process_id,
        detail=detail,
        ip=ip,
        clock=clock,
    )


def list_members(session: Session, process_id: int) -> Sequence[tuple[Membership, User]]:
    query = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.process_id == process_id)
        .order_by(User.username)
    )
    return [(m, u) for m, u in session.execute(query)]


def load_subject(session: Session, user_id: int) -> access.Subject:
    """The user with every membership, as the access module sees them."""
    user = get_user(session, user_id)
    rows = session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    memberships = [access.Membership(m.process_id, access.Role(m.role), m.party_id) for m in rows]
    return access.Subject.of(user.id, is_admin=user.is_admin, memberships=memberships)


def list_visible_processes(session: Session, user_id: int) -> Sequence[Process]:
    """The processes whose page the user may open: those they are a member of; every one for an instance
    administrator (the same rule as :func:`detente.access.decide` on a process)."""
    user = get_user(session, user_id)
    query = select(Process).order_by(Process.name)
    if not user.is_admin:
        query = query.join(Membership, Membership.process_id == Process.id).where(Membership.user_id == user.id)
    return session.scalars(query).all()
