"""Stakeholder books of a process, one per visibility label.

The actors capability keeps one profile per actor in a book. The workbench keeps one book per (process, label)
— ``p<process>.<label>`` in ``<workspace>/actors/processes/`` — so a party representative's profile of an actor
and the mediators' own profile of the same actor live side by side: writing one never overwrites, or reveals, a
profile under a label the writer cannot read. Reads load only the books of readable labels.

For the analysis the readable books are folded into one: when several readable profiles describe one actor, the
one under the most restricted label wins (mediators only, then a party's, then all parties, then public).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from detente.access import Label, LabelKind
from detente.actors import ActorService, AnalystRelation, ProcessBook, StakeholderProfile

__all__ = ["LabelledBook", "book_id", "load_books", "merge_books"]

_RANK = {LabelKind.PUBLIC: 0, LabelKind.ALL_PARTIES: 1, LabelKind.PARTY: 2, LabelKind.MEDIATORS_ONLY: 3}


def book_id(process_id: int, label: str) -> str:
    """The stored book of one label of one process (``p12.party-3``, ``p12.all_parties``)."""
    return f"p{process_id}." + str(Label.parse(label)).replace(":", "-")


@dataclass(frozen=True)
class LabelledBook:
    label: str
    book: ProcessBook


def _rank(label: str) -> tuple[int, str]:
    return _RANK[Label.parse(label).kind], label


def load_books(svc: ActorService, process_id: int, labels: Iterable[str]) -> list[LabelledBook]:
    """The books of ``labels`` (the readable ones, from ``access``), least restricted first."""
    out = []
    for label in sorted(set(labels), key=_rank):
        # the book holds only its own label; filtering again costs nothing and keeps the rule in one place
        out.append(LabelledBook(label, svc.book(book_id(process_id, label), [label])))
    return out


def merge_books(process_id: int, books: Iterable[LabelledBook]) -> ProcessBook:
    """One book for the analysis: per actor, the profile under the most restricted readable label."""
    profiles: dict[str, StakeholderProfile] = {}
    relations: list[AnalystRelation] = []
    for lb in sorted(books, key=lambda b: _rank(b.label)):
        profiles.update(lb.book.profiles)
        relations.extend(lb.book.relations)
    return ProcessBook(f"p{process_id}", profiles, tuple(relations))
