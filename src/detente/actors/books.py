"""Stakeholder books of a process, one per visibility label, and how the analysis folds them into one (pure).

A party representative's profile of an actor and the mediators' own profile of the same actor live side by side,
one under each label: writing one never overwrites, or reveals, a profile under a label the writer cannot read.
For the analysis the readable books are folded into one: when several readable profiles describe one actor, the one
under the most restricted label wins (mediators only, then a party's, then all parties, then public).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from detente.access import Label, LabelKind
from detente.actors.profiles import AnalystRelation, ProcessBook, StakeholderProfile

__all__ = ["LabelledBook", "label_rank", "merge_books"]

_RANK = {LabelKind.PUBLIC: 0, LabelKind.ALL_PARTIES: 1, LabelKind.PARTY: 2, LabelKind.MEDIATORS_ONLY: 3}


@dataclass(frozen=True)
class LabelledBook:
    label: str
    book: ProcessBook


def label_rank(label: str) -> tuple[int, str]:
    """Least restricted first (public, all parties, each party, mediators only)."""
    return _RANK[Label.parse(label).kind], label


def merge_books(process_id: int, books: Iterable[LabelledBook]) -> ProcessBook:
    """One book for the analysis: per actor, the profile under the most restricted readable label."""
    profiles: dict[str, StakeholderProfile] = {}
    relations: list[AnalystRelation] = []
    for lb in sorted(books, key=lambda b: label_rank(b.label)):
        profiles.update(lb.book.profiles)
        relations.extend(lb.book.relations)
    return ProcessBook(f"p{process_id}", profiles, tuple(relations))
