"""What the pages and the API do, once: each operation asks :func:`detente.access.decide`, then calls the
repositories of :mod:`detente.db`. Concealed denials leave as the one "not found" error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Decision, Label, Resource
from detente.db import notes as notes_db
from detente.db import processes as proc_db
from detente.db import tokens as tokens_db
from detente.db import users as users_db
from detente.db.audit import list_audit_events, record_audit
from detente.db.models import AuditEvent, Process, User
from detente.errors import InputError
from detente.web.errors import Forbidden, not_found
from detente.web.security import ALL_SCOPES, Principal, WebContext

__all__ = [
    "ProcessView",
    "add_party",
    "audit_dict",
    "create_note",
    "create_process",
    "create_token",
    "create_user",
    "delete_note",
    "export_notes",
    "get_note",
    "list_audit",
    "list_notes",
    "list_processes",
    "list_tokens",
    "list_users",
    "note_dict",
    "process_view",
    "remove_member",
    "reset_password",
    "revoke_token",
    "set_admin",
    "set_member",
    "update_note",
    "user_dict",
]


def require(decision: Decision) -> None:
    """Turn a denial into an error: concealed → the one "not found"; plain → 403 with the reason."""
    if decision.allowed:
        return
    if decision.concealed:
        raise not_found()
    raise Forbidden(decision.reason)


def _decide(p: Principal, action: Action, resource: Resource) -> None:
    require(access.decide(p.subject, action, resource))


def _process_id(session: Session, p: Principal, process_id: int, action: Action) -> int:
    """Decide a process-level action; a missing process answers exactly like a hidden one."""
    _decide(p, action, Resource.process(process_id))
    if session.get(Process, process_id) is None:
        raise not_found()
    return process_id


def user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "is_admin": user.is_admin,
        "created_at": user.created_at.isoformat(),
        "locked": user.locked_until is not None,
    }


def note_dict(note: notes_db.Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "process_id": note.process_id,
        "title": note.title,
        "body": note.body,
        "label": note.label,
        "author_id": note.author_id,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def audit_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
        "ip": event.ip,
    }


def list_processes(ctx: WebContext, p: Principal) -> list[dict[str, Any]]:
    _decide(p, Action.LIST, Resource.instance())
    with ctx.db.transaction() as s:
        rows = proc_db.list_visible_processes(s, p.user_id)
        out = []
        for process in rows:
            membership = p.subject.membership(process.id)
            out.append(
                {
                    "id": process.id,
                    "name": process.name,
                    "description": process.description,
                    "fictional": process.fictional,
                    "my_role": membership.role.value if membership else None,
                    "my_party_id": membership.party_id if membership else None,
                }
            )
        return out


@dataclass(frozen=True)
class ProcessView:
    process: dict[str, Any]
    parties: list[dict[str, Any]]
    members: list[dict[str, Any]]
    creatable_labels: list[str]
    readable_labels: list[str]
    may_manage_members: bool
    may_export: bool


def process_view(ctx: WebContext, p: Principal, process_id: int) -> ProcessView:
    with ctx.db.transaction() as s:
        _process_id(s, p, process_id, Action.READ)
        process = proc_db.get_process(s, process_id)
        parties = {party.id: party.name for party in proc_db.list_parties(s, process_id)}
        members = [
            {
                "user_id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": m.role,
                "party_id": m.party_id,
                "party": parties.get(m.party_id) if m.party_id else None,
            }
            for m, u in proc_db.list_members(s, process_id)
        ]
        resource = Resource.process(process_id)
        return ProcessView(
            process={
                "id": process.id,
                "name": process.name,
                "description": process.description,
                "fictional": process.fictional,
                "created_at": process.created_at.isoformat(),
            },
            parties=[{"id": k, "name": v} for k, v in parties.items()],
            members=members,
            creatable_labels=sorted(str(x) for x in access.creatable_labels(p.subject, process_id, parties)),
            readable_labels=sorted(access.readable_label_texts(p.subject, process_id, parties)),
            may_manage_members=access.decide(p.subject, Action.MANAGE_MEMBERS, resource).allowed,
            may_export=access.decide(p.subject, Action.EXPORT, resource).allowed,
        )


def create_process(
    ctx: WebContext, p: Principal, name: str, description: str, parties: Sequence[str], ip: str
) -> dict[str, Any]:
    _decide(p, Action.CREATE, Resource.instance())
    with ctx.db.transaction() as s:
        process = proc_db.create_process(s, name, description=description, actor_id=p.user_id, ip=ip, clock=ctx.clock)
        for party in parties:
            proc_db.add_party(s, process.id, party, actor_id=p.user_id, ip=ip, clock=ctx.clock)
        return {"id": process.id, "name": process.name}


def add_party(ctx: WebContext, p: Principal, process_id: int, name: str, ip: str) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        _process_id(s, p, process_id, Action.ADMINISTER)
        party = proc_db.add_party(s, process_id, name, actor_id=p.user_id, ip=ip, clock=ctx.clock)
        return {"id": party.id, "name": party.name}


def set_member(
    ctx: WebContext, p: Principal, process_id: int, username: str, role: str, party_id: int | None, ip: str
) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        _process_id(s, p, process_id, Action.MANAGE_MEMBERS)
        user = users_db.get_user_by_username(s, username)
        if user is None:
            raise InputError(f"no user named {username!r}", field="username")
        try:
            the_role = access.Role(role)
        except ValueError:
            raise InputError(f"unknown role {role!r}", field="role") from None
        proc_db.set_membership(
            s, process_id, user.id, the_role, party_id=party_id, actor_id=p.user_id, ip=ip, clock=ctx.clock
        )
        return {"user_id": user.id, "username": user.username, "role": the_role.value, "party_id": party_id}


def remove_member(ctx: WebContext, p: Principal, process_id: int, user_id: int, ip: str) -> None:
    with ctx.db.transaction() as s:
        _process_id(s, p, process_id, Action.MANAGE_MEMBERS)
        proc_db.remove_membership(s, process_id, user_id, actor_id=p.user_id, ip=ip, clock=ctx.clock)


def _existing(s: Session, process_id: int) -> None:
    if s.get(Process, process_id) is None:
        raise not_found()


def _allowed_labels(s: Session, p: Principal, process_id: int, action: Action) -> frozenset[str]:
    """The labels of the process on whose records ``decide`` allows ``action`` (for SQL ``label IN (...)``).

    When it allows none, the request itself is refused: 403 if some denial was plain, else "not found"."""
    allowed: set[str] = set()
    plain: Decision | None = None
    for label in access.all_labels(proc_db.party_ids(s, process_id)):
        decision = access.decide(p.subject, action, Resource.record(process_id, label))
        if decision.allowed:
            allowed.add(str(label))
        elif not decision.concealed:
            plain = decision
    if not allowed:
        require(plain if plain is not None else access.decide(p.subject, action, Resource.process(process_id)))
        raise not_found()
    return frozenset(allowed)


def list_notes(
    ctx: WebContext, p: Principal, process_id: int, *, query: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The notes the principal may list (or search, with ``query``); public ones for anyone signed in."""
    action = Action.SEARCH if query else Action.LIST
    with ctx.db.transaction() as s:
        _existing(s, process_id)
        labels = _allowed_labels(s, p, process_id, action)
        rows, total = notes_db.list_notes(s, process_id, labels, query=query, limit=limit, offset=offset)
        return [note_dict(n) for n in rows], total


def _note(s: Session, p: Principal, process_id: int, note_id: int, action: Action) -> notes_db.Note:
    """The note, when the principal may do ``action`` on it; a missing and a hidden note answer alike."""
    _existing(s, process_id)
    note = notes_db.find_note(s, process_id, note_id)
    if note is None:
        raise not_found()
    resource = Resource.record(process_id, Label.parse(note.label), owner_id=note.author_id, record_id=note.id)
    _decide(p, action, resource)
    return note


def get_note(ctx: WebContext, p: Principal, process_id: int, note_id: int) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        return note_dict(_note(s, p, process_id, note_id, Action.READ))


def create_note(ctx: WebContext, p: Principal, process_id: int, title: str, body: str, label: str) -> dict[str, Any]:
    parsed = Label.parse(label)
    with ctx.db.transaction() as s:
        _existing(s, process_id)
        _decide(p, Action.CREATE, Resource.record(process_id, parsed, owner_id=p.user_id))
        note = notes_db.create_note(s, process_id, title, body, parsed, author_id=p.user_id, clock=ctx.clock)
        return note_dict(note)


def update_note(
    ctx: WebContext,
    p: Principal,
    process_id: int,
    note_id: int,
    *,
    title: str | None,
    body: str | None,
    label: str | None,
) -> dict[str, Any]:
    new_label = Label.parse(label) if label is not None else None
    with ctx.db.transaction() as s:
        note = _note(s, p, process_id, note_id, Action.UPDATE)
        if new_label is not None and str(new_label) != note.label:
            # relabelling is creating the record anew under the new label
            _decide(p, Action.CREATE, Resource.record(process_id, new_label, owner_id=note.author_id))
        notes_db.update_note(s, note, title=title, body=body, label=new_label, clock=ctx.clock)
        return note_dict(note)


def delete_note(ctx: WebContext, p: Principal, process_id: int, note_id: int, ip: str) -> None:
    with ctx.db.transaction() as s:
        note = _note(s, p, process_id, note_id, Action.DELETE)
        notes_db.delete_note(s, note, actor_id=p.user_id, ip=ip, clock=ctx.clock)


def export_notes(ctx: WebContext, p: Principal, process_id: int, ip: str) -> list[dict[str, Any]]:
    """Every note the principal may read (exports are filtered by readable labels); audited."""
    with ctx.db.transaction() as s:
        _existing(s, process_id)
        labels = _allowed_labels(s, p, process_id, Action.EXPORT)
        rows, total = notes_db.list_notes(s, process_id, labels, limit=1_000_000)
        record_audit(
            s,
            "notes.exported",
            actor_id=p.user_id,
            target=f"process:{process_id}",
            detail={"count": total, "via": p.via},
            ip=ip,
            clock=ctx.clock,
        )
        return [note_dict(n) for n in rows]


def _instance_admin(p: Principal) -> None:
    _decide(p, Action.ADMINISTER, Resource.instance())
    p.require_scope("admin")


def list_users(ctx: WebContext, p: Principal) -> list[dict[str, Any]]:
    _instance_admin(p)
    with ctx.db.transaction() as s:
        return [user_dict(u) for u in users_db.list_users(s)]


def create_user(
    ctx: WebContext, p: Principal, username: str, password: str, display_name: str | None, is_admin: bool, ip: str
) -> dict[str, Any]:
    _instance_admin(p)
    with ctx.db.transaction() as s:
        user = users_db.create_user(
            s,
            username,
            password,
            display_name=display_name,
            is_admin=is_admin,
            actor_id=p.user_id,
            ip=ip,
            policy=ctx.policy,
            clock=ctx.clock,
        )
        return user_dict(user)


def set_admin(ctx: WebContext, p: Principal, user_id: int, is_admin: bool, ip: str) -> dict[str, Any]:
    _instance_admin(p)
    if user_id == p.user_id and not is_admin:
        raise Forbidden("an administrator may not withdraw their own administration")
    with ctx.db.transaction() as s:
        return user_dict(users_db.set_admin(s, user_id, is_admin, actor_id=p.user_id, ip=ip, clock=ctx.clock))


def reset_password(ctx: WebContext, p: Principal, user_id: int, new_password: str, ip: str) -> None:
    _instance_admin(p)
    with ctx.db.transaction() as s:
        users_db.change_password(
            s, user_id, new_password, actor_id=p.user_id, ip=ip, policy=ctx.policy, clock=ctx.clock
        )


def list_audit(
    ctx: WebContext, p: Principal, *, action: str | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    _instance_admin(p)
    with ctx.db.transaction() as s:
        return [audit_dict(e) for e in list_audit_events(s, action=action, before_id=before_id, limit=limit)]


def create_token(ctx: WebContext, p: Principal, name: str, scopes: Sequence[str], ip: str) -> dict[str, Any]:
    """A new token for the principal; a token may mint tokens only with the 'admin' scope, and never wider ones."""
    if p.via == "token":
        p.require_scope("admin")
    unknown = set(scopes) - ALL_SCOPES
    if unknown:
        raise InputError(f"unknown scope {sorted(unknown)[0]!r}: use read, write, admin", field="scopes")
    if not set(scopes) <= p.scopes:
        raise Forbidden("a token cannot grant more than its own scopes", field="scopes")
    with ctx.db.transaction() as s:
        issued = tokens_db.create_token(s, p.user_id, name, scopes, ip=ip, clock=ctx.clock)
        return {"id": issued.token_id, "secret": issued.secret, "name": name.strip(), "scopes": sorted(set(scopes))}


def list_tokens(ctx: WebContext, p: Principal) -> list[dict[str, Any]]:
    with ctx.db.transaction() as s:
        return [
            {
                "id": t.id,
                "name": t.name,
                "scopes": t.scopes.split(),
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in tokens_db.list_tokens(s, p.user_id)
        ]


def revoke_token(ctx: WebContext, p: Principal, token_id: int, ip: str) -> None:
    """Revoke one of the principal's own tokens (someone else's answers "not found")."""
    with ctx.db.transaction() as s:
        if not any(t.id == token_id for t in tokens_db.list_tokens(s, p.user_id)):
            raise not_found()
        tokens_db.revoke_token(s, token_id, actor_id=p.user_id, ip=ip, clock=ctx.clock)
