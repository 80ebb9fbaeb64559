"""Process notes: the simplest labelled record — a title, a body, a visibility label and an author."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Decision, Resource
from detente.db import notes as notes_db
from detente.db import processes as proc_db
from detente.db.models import Process
from detente.errors import AccessDenied
from detente.services.audit import audit
from detente.services.authz import hidden, label_of, process_label, require, require_scope
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = [
    "NoteOut",
    "NotePage",
    "allowed_labels",
    "create_note",
    "delete_note",
    "export_notes",
    "get_note",
    "list_notes",
    "update_note",
]


class NoteOut(BaseModel):
    id: int
    process_id: int
    title: str
    body: str
    label: str
    author_id: int | None
    created_at: datetime
    updated_at: datetime


class NotePage(BaseModel):
    notes: list[NoteOut]
    total: int
    limit: int
    offset: int


def _out(note: notes_db.Note) -> NoteOut:
    return NoteOut(
        id=note.id,
        process_id=note.process_id,
        title=note.title,
        body=note.body,
        label=note.label,
        author_id=note.author_id,
        created_at=note.created_at,
        updated_at=note.updated_at,
    )


def allowed_labels(s: Session, caller: Caller, process_id: int, action: Action) -> frozenset[str]:
    """The labels of the process on whose records ``access`` allows ``action`` (for SQL ``label IN (...)``).

    When it allows none, the request itself is refused: with the reason of a plain denial, else "not found"."""
    allowed: set[str] = set()
    plain: Decision | None = None
    for label in access.all_labels(proc_db.party_ids(s, process_id)):
        decision = access.decide(caller.subject, action, Resource.record(process_id, label))
        if decision.allowed:
            allowed.add(str(label))
        elif not decision.concealed:
            plain = decision
    if not allowed:
        if not _sees_process(caller, process_id):
            raise hidden()  # a non-member: the answer for a process that does not exist
        if plain is not None:
            raise AccessDenied(plain.reason)
        require(caller, action, Resource.process(process_id))
        raise hidden()
    require_scope(caller, action, Resource.process(process_id))
    return frozenset(allowed)


def _sees_process(caller: Caller, process_id: int) -> bool:
    """May the caller know that the process exists (a member, an instance administrator)? Anyone else gets, for
    the process and everything in it, the answer for a process that does not exist — public records aside."""
    return access.decide(caller.subject, Action.READ, Resource.process(process_id)).allowed


def _exists(s: Session, process_id: int) -> None:
    if s.get(Process, process_id) is None:
        raise hidden()


def list_notes(
    app: AppContext, caller: Caller, process_id: int, *, query: str | None = None, limit: int = 50, offset: int = 0
) -> NotePage:
    """The notes the caller may list (or search, with ``query``); public ones for anyone signed in."""
    action = Action.SEARCH if query else Action.LIST
    with app.db.transaction() as s:
        _exists(s, process_id)
        labels = allowed_labels(s, caller, process_id, action)
        rows, total = notes_db.list_notes(s, process_id, labels, query=query, limit=limit, offset=offset)
        if total == 0 and not _sees_process(caller, process_id):
            raise hidden()  # an empty list would tell a non-member that the process exists
        return NotePage(notes=[_out(n) for n in rows], total=total, limit=limit, offset=offset)


def _note(s: Session, caller: Caller, process_id: int, note_id: int, action: Action) -> notes_db.Note:
    """The note, when the caller may do ``action`` on it; a missing and a hidden note answer alike."""
    _exists(s, process_id)
    note = notes_db.find_note(s, process_id, note_id)
    if note is None:
        raise hidden()
    resource = Resource.record(process_id, label_of(note.label), owner_id=note.author_id, record_id=note.id)
    require(caller, action, resource)
    return note


def get_note(app: AppContext, caller: Caller, process_id: int, note_id: int) -> NoteOut:
    with app.db.transaction() as s:
        return _out(_note(s, caller, process_id, note_id, Action.READ))


def create_note(app: AppContext, caller: Caller, process_id: int, title: str, body: str, label: str) -> NoteOut:
    with app.db.transaction(write=True) as s:
        _exists(s, process_id)
        parsed = process_label(label, proc_db.party_ids(s, process_id))
        require(caller, Action.CREATE, Resource.record(process_id, parsed, owner_id=caller.user_id))
        note = notes_db.create_note(s, process_id, title, body, parsed, author_id=caller.user_id, clock=app.clock)
        audit(s, app, caller, "note.created", target=f"note:{note.id}", process_id=process_id, label=parsed)
        return _out(note)


def update_note(
    app: AppContext,
    caller: Caller,
    process_id: int,
    note_id: int,
    *,
    title: str | None = None,
    body: str | None = None,
    label: str | None = None,
) -> NoteOut:
    with app.db.transaction(write=True) as s:
        note = _note(s, caller, process_id, note_id, Action.UPDATE)
        new_label = process_label(label, proc_db.party_ids(s, process_id)) if label is not None else None
        if new_label is not None and str(new_label) != note.label:
            # relabelling is creating the record anew under the new label
            require(caller, Action.CREATE, Resource.record(process_id, new_label, owner_id=note.author_id))
        before = note.label
        notes_db.update_note(s, note, title=title, body=body, label=new_label, clock=app.clock)
        # the event is labelled with the narrower of the old and new labels: it tells of both
        shown = access.narrowest([label_of(before), label_of(note.label)])
        detail = {"label_before": before, "label_after": note.label}
        audit(s, app, caller, "note.updated", target=f"note:{note.id}", detail=detail, process_id=process_id,
              label=shown)  # fmt: skip
        return _out(note)


def delete_note(app: AppContext, caller: Caller, process_id: int, note_id: int) -> None:
    with app.db.transaction(write=True) as s:
        note = _note(s, caller, process_id, note_id, Action.DELETE)
        notes_db.delete_note(s, note, actor_id=caller.user_id, ip=caller.ip or None, clock=app.clock)


def export_notes(app: AppContext, caller: Caller, process_id: int) -> list[NoteOut]:
    """Every note the caller may read (exports are filtered by readable labels); audited."""
    with app.db.transaction(write=True) as s:
        _exists(s, process_id)
        labels = allowed_labels(s, caller, process_id, Action.EXPORT)
        rows, total = notes_db.list_notes(s, process_id, labels, limit=1_000_000)
        audit(s, app, caller, "notes.exported", target=f"process:{process_id}", detail={"count": total},
              process_id=process_id)  # fmt: skip
        return [_out(n) for n in rows]
