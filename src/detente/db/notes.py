"""Process notes: a small labelled record type (meeting notes, mediators' memos, shared summaries).

Every note carries a visibility label (:class:`detente.access.Label`, stored in its text form). These functions
store and filter; they do not decide: the caller asks :func:`detente.access.decide` first and passes the
readable label texts (:func:`detente.access.readable_label_texts`) to the list and search queries.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from detente.access import Label
from detente.clock import Clock
from detente.db.audit import record_audit
from detente.db.models import Base
from detente.db.processes import get_process, party_ids
from detente.db.sealed import Sealed, SealedText
from detente.db.types import UTCDateTime
from detente.errors import InputError

__all__ = [
    "MAX_BODY",
    "MAX_TITLE",
    "Note",
    "create_note",
    "delete_note",
    "find_note",
    "list_notes",
    "update_note",
]

MAX_TITLE = 200
MAX_BODY = 20_000


class Note(Sealed, Base):
    """One note of a process, with its visibility label."""

    __tablename__ = "notes"
    __sealed__: ClassVar[dict[str, str]] = {"title": "notes.title", "body": "notes.body"}
    __table_args__ = (Index("ix_notes_process_id_label", "process_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(SealedText("notes.title"))  # sealed: longer than MAX_TITLE when stored
    body: Mapped[str] = mapped_column(SealedText("notes.body"))
    label: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _title(text: str) -> str:
    title = " ".join(text.split())
    if not title or len(title) > MAX_TITLE:
        raise InputError(f"a note needs a title of 1-{MAX_TITLE} characters", field="title")
    return title


def _body(text: str) -> str:
    if len(text) > MAX_BODY:
        raise InputError(f"a note's body has at most {MAX_BODY} characters", field="body")
    if "\x00" in text:
        raise InputError("a note's body may not contain NUL characters", field="body")
    return text.strip()


def _label(session: Session, process_id: int, label: Label) -> str:
    if label.party_id is not None and label.party_id not in party_ids(session, process_id):
        raise InputError("the label names a party that is not a party of this process", field="label")
    return str(label)


def create_note(
    session: Session,
    process_id: int,
    title: str,
    body: str,
    label: Label,
    *,
    author_id: int | None,
    clock: Clock,
) -> Note:
    """Store a note (the caller has decided that the author may create a record with ``label``)."""
    process = get_process(session, process_id)
    now = clock()
    note = Note(
        process_id=process.id,
        title=_title(title),
        body=_body(body),
        label=_label(session, process.id, label),
        author_id=author_id,
        created_at=now,
        updated_at=now,
    )
    session.add(note)
    session.flush()
    return note


def find_note(session: Session, process_id: int, note_id: int) -> Note | None:
    """The note ``note_id`` of the process, or None. Callers answer None and "not readable" alike."""
    note = session.get(Note, note_id)
    if note is None or note.process_id != process_id:
        return None
    return note


def list_notes(
    session: Session,
    process_id: int,
    readable_labels: Collection[str],
    *,
    query: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[Note], int]:
    """The notes of the process whose label is in ``readable_labels`` (newest first) and their total count;
    ``query`` searches title and body, case-insensitively. Nothing outside the labels is returned or counted.

    Titles and bodies are sealed at rest, so a search opens the readable notes of the process in memory and matches
    there (ADR 0024): the database never sees the words searched for, nor an index of them."""
    if not readable_labels:
        return [], 0
    where = [Note.process_id == process_id, Note.label.in_(sorted(readable_labels))]
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    if query:
        needle = query.strip().casefold()
        found = [
            n
            for n in session.scalars(select(Note).where(*where).order_by(Note.id.desc()))
            if needle in n.title.casefold() or needle in n.body.casefold()
        ]
        return found[offset : offset + limit], len(found)
    total = session.scalar(select(func.count()).select_from(Note).where(*where)) or 0
    rows = session.scalars(select(Note).where(*where).order_by(Note.id.desc()).limit(limit).offset(offset)).all()
    return rows, int(total)


def update_note(
    session: Session,
    note: Note,
    *,
    title: str | None = None,
    body: str | None = None,
    label: Label | None = None,
    clock: Clock,
) -> Note:
    """Change a note (the caller has decided, for the old label and for the new one)."""
    if title is not None:
        note.title = _title(title)
    if body is not None:
        note.body = _body(body)
    if label is not None:
        note.label = _label(session, note.process_id, label)
    note.updated_at = clock()
    session.flush()
    return note


def delete_note(session: Session, note: Note, *, actor_id: int | None, ip: str | None = None, clock: Clock) -> None:
    """Delete a note (audited as ``note.deleted``)."""
    detail = {"note_id": note.id, "label": note.label}
    target = f"process:{note.process_id}"
    session.delete(note)
    session.flush()
    record_audit(
        session,
        "note.deleted",
        actor_id=actor_id,
        target=target,
        detail=detail,
        ip=ip,
        process_id=note.process_id,
        label=note.label,
        clock=clock,
    )
