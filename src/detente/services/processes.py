"""Processes, their parties and their members: who takes part in a peace process, and in which role."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Resource, Role
from detente.db import processes as proc_db
from detente.db import users as users_db
from detente.db.models import Process
from detente.errors import InputError
from detente.services.authz import allowed, hidden, require
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = [
    "MemberOut",
    "MembershipOut",
    "PartyOut",
    "ProcessCreated",
    "ProcessDetail",
    "ProcessSummary",
    "add_party",
    "create_process",
    "existing_process",
    "list_processes",
    "process_detail",
    "remove_member",
    "set_member",
]


class ProcessSummary(BaseModel):
    id: int
    name: str
    description: str
    fictional: bool
    my_role: str | None
    my_party_id: int | None


class PartyOut(BaseModel):
    id: int
    name: str


class ProcessCreated(BaseModel):
    id: int
    name: str


class MemberOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str
    party_id: int | None
    party: str | None


class ProcessDetail(BaseModel):
    id: int
    name: str
    description: str
    fictional: bool
    created_at: datetime
    parties: list[PartyOut]
    members: list[MemberOut]
    creatable_labels: list[str]
    readable_labels: list[str]
    may_manage_members: bool
    may_export: bool


class MembershipOut(BaseModel):
    user_id: int
    username: str
    role: str
    party_id: int | None


def existing_process(s: Session, caller: Caller, process_id: int, action: Action = Action.READ) -> Process:
    """The process, when ``access`` allows ``action`` on it; a missing process answers like a hidden one."""
    require(caller, action, Resource.process(process_id))
    process = s.get(Process, process_id)
    if process is None:
        raise hidden()
    return process


def list_processes(app: AppContext, caller: Caller) -> list[ProcessSummary]:
    require(caller, Action.LIST, Resource.instance())
    if caller.user_id is None:
        return []
    with app.db.transaction() as s:
        out = []
        for process in proc_db.list_visible_processes(s, caller.user_id):
            membership = caller.subject.membership(process.id)
            out.append(
                ProcessSummary(
                    id=process.id,
                    name=process.name,
                    description=process.description,
                    fictional=process.fictional,
                    my_role=membership.role.value if membership else None,
                    my_party_id=membership.party_id if membership else None,
                )
            )
        return out


def process_detail(app: AppContext, caller: Caller, process_id: int) -> ProcessDetail:
    with app.db.transaction() as s:
        process = existing_process(s, caller, process_id)
        parties = {party.id: party.name for party in proc_db.list_parties(s, process_id)}
        members = [
            MemberOut(
                user_id=u.id,
                username=u.username,
                display_name=u.display_name,
                role=m.role,
                party_id=m.party_id,
                party=parties.get(m.party_id) if m.party_id else None,
            )
            for m, u in proc_db.list_members(s, process_id)
        ]
        resource = Resource.process(process_id)
        return ProcessDetail(
            id=process.id,
            name=process.name,
            description=process.description,
            fictional=process.fictional,
            created_at=process.created_at,
            parties=[PartyOut(id=k, name=v) for k, v in parties.items()],
            members=members,
            creatable_labels=sorted(str(x) for x in access.creatable_labels(caller.subject, process_id, parties)),
            readable_labels=sorted(access.readable_label_texts(caller.subject, process_id, parties)),
            may_manage_members=allowed(caller, Action.MANAGE_MEMBERS, resource),
            may_export=allowed(caller, Action.EXPORT, resource),
        )


def create_process(
    app: AppContext,
    caller: Caller,
    name: str,
    description: str = "",
    parties: Sequence[str] = (),
    *,
    fictional: bool = False,
) -> ProcessCreated:
    """A new process with its parties (the process's id and name)."""
    require(caller, Action.CREATE, Resource.instance())
    with app.db.transaction(write=True) as s:
        process = proc_db.create_process(
            s,
            name,
            description=description,
            fictional=fictional,
            actor_id=caller.user_id,
            actor_name=caller.audit_name,
            ip=caller.ip or None,
            clock=app.clock,
        )
        for party in parties:
            proc_db.add_party(
                s,
                process.id,
                party,
                actor_id=caller.user_id,
                actor_name=caller.audit_name,
                ip=caller.ip or None,
                clock=app.clock,
            )
        return ProcessCreated(id=process.id, name=process.name)


def add_party(app: AppContext, caller: Caller, process_id: int, name: str) -> PartyOut:
    with app.db.transaction(write=True) as s:
        existing_process(s, caller, process_id, Action.ADMINISTER)
        party = proc_db.add_party(
            s,
            process_id,
            name,
            actor_id=caller.user_id,
            actor_name=caller.audit_name,
            ip=caller.ip or None,
            clock=app.clock,
        )
        return PartyOut(id=party.id, name=party.name)


def set_member(
    app: AppContext, caller: Caller, process_id: int, username: str, role: str, party_id: int | None
) -> MembershipOut:
    with app.db.transaction(write=True) as s:
        existing_process(s, caller, process_id, Action.MANAGE_MEMBERS)
        user = users_db.get_user_by_username(s, username)
        if user is None:
            raise InputError(f"no user named {username!r}", field="username")
        try:
            the_role = Role(role)
        except ValueError:
            raise InputError(f"unknown role {role!r}", field="role") from None
        proc_db.set_membership(
            s, process_id, user.id, the_role, party_id=party_id, actor_id=caller.user_id, actor_name=caller.audit_name,
            ip=caller.ip or None,
            clock=app.clock,
        )  # fmt: skip
        return MembershipOut(user_id=user.id, username=user.username, role=the_role.value, party_id=party_id)


def remove_member(app: AppContext, caller: Caller, process_id: int, user_id: int) -> None:
    with app.db.transaction(write=True) as s:
        existing_process(s, caller, process_id, Action.MANAGE_MEMBERS)
        proc_db.remove_membership(
            s, process_id, user_id, actor_id=caller.user_id, actor_name=caller.audit_name, ip=caller.ip or None,
            clock=app.clock,
        )  # fmt: skip
