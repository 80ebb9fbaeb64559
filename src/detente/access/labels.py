"""Visibility labels: a small frozen value carried by every record.

Text forms (what the database stores and what the API shows):

``public``          anyone, members of the process or not
``all_parties``     every member of the process except viewers
``party:<id>``      the representatives of that one party, the mediators and the process administrators
``mediators_only``  the mediators and the process administrators

Labels are ordered by their audiences: ``mediators_only`` ⊂ ``party:<id>`` ⊂ ``all_parties`` ⊂ ``public`` (each
audience holds the next one's); two party labels are not ordered (their common audience is the mediators').
Whatever is computed from records is shown no wider than :func:`narrowest` of their labels: its audience is exactly
the readers of every input.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from detente.errors import InputError

__all__ = ["Label", "LabelKind", "all_labels", "narrowest", "within"]


class LabelKind(StrEnum):
    PUBLIC = "public"
    ALL_PARTIES = "all_parties"
    PARTY = "party"
    MEDIATORS_ONLY = "mediators_only"


@dataclass(frozen=True, slots=True, order=True)
class Label:
    """A visibility label. ``party_id`` is set for, and only for, :attr:`LabelKind.PARTY`."""

    kind: LabelKind
    party_id: int | None = None

    def __post_init__(self) -> None:
        if (self.kind is LabelKind.PARTY) != (self.party_id is not None):
            raise InputError("a party label needs a party id, and only a party label has one", field="label")
        if self.party_id is not None and (isinstance(self.party_id, bool) or self.party_id < 1):
            raise InputError("a party id is a positive integer", field="label")

    @classmethod
    def public(cls) -> Label:
        return cls(LabelKind.PUBLIC)

    @classmethod
    def all_parties(cls) -> Label:
        return cls(LabelKind.ALL_PARTIES)

    @classmethod
    def mediators_only(cls) -> Label:
        return cls(LabelKind.MEDIATORS_ONLY)

    @classmethod
    def party(cls, party_id: int) -> Label:
        return cls(LabelKind.PARTY, party_id)

    @classmethod
    def parse(cls, text: str) -> Label:
        """Read the text form; anything else raises :class:`InputError`."""
        if text.startswith("party:"):
            digits = text.removeprefix("party:")
            if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
                raise InputError(f"bad party label {text!r}: expected party:<positive integer>", field="label")
            return cls.party(int(digits))
        try:
            kind = LabelKind(text)
        except ValueError:
            raise InputError(
                f"unknown visibility label {text!r}: expected public, all_parties, party:<id> or mediators_only",
                field="label",
            ) from None
        if kind is LabelKind.PARTY:
            raise InputError("a party label needs a party id: party:<id>", field="label")
        return cls(kind)

    def __str__(self) -> str:
        if self.kind is LabelKind.PARTY:
            return f"party:{self.party_id}"
        return self.kind.value


def all_labels(party_ids: Iterable[int]) -> frozenset[Label]:
    """Every label a record of a process with these parties can carry."""
    labels = {Label.public(), Label.all_parties(), Label.mediators_only()}
    labels.update(Label.party(p) for p in party_ids)
    return frozenset(labels)


_WIDTH = {LabelKind.PUBLIC: 3, LabelKind.ALL_PARTIES: 2, LabelKind.PARTY: 1, LabelKind.MEDIATORS_ONLY: 0}


def _meet(a: Label, b: Label) -> Label:
    if a == b:
        return a
    if a.kind is LabelKind.PARTY and b.kind is LabelKind.PARTY:
        return Label.mediators_only()  # two parties' audiences share only the mediators
    return a if _WIDTH[a.kind] < _WIDTH[b.kind] else b


def narrowest(labels: Iterable[Label]) -> Label:
    """The label whose audience is exactly the readers of every one of ``labels`` (``public`` for none)."""
    out = Label.public()
    for label in labels:
        out = _meet(out, label)
    return out


def within(label: Label, bound: Label) -> bool:
    """Whether every reader of ``label`` also reads ``bound`` (so showing under ``label`` reveals nothing more)."""
    return _meet(label, bound) == label
