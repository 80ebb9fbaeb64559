"""Who may do what with the actor pages. Every answer comes from :func:`detente.access.decide`:

- the pages of a process (registry, relations, analysis): ``read`` on the process — its members and instance
  administrators; a non-member gets the one "not found";
- a stakeholder profile or analyst relation: the action on a *record* of the process carrying the profile's label
  (read, create, update with the author as owner), so a hidden profile answers exactly like a missing one;
- merge, reject and undo in the workspace-wide registry: ``curate`` on the process (its administrators, mediators
  and analysts) — observers and party representatives may write records but must not reshape the registry everyone
  relies on;
- exports (GraphML, CSV): ``export`` on the process (any member but viewers), filtered by the labels the member
  may export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from detente import access
from detente.access import Action, Decision, Label, Resource
from detente.web.ops import require
from detente.web.security import Principal

__all__ = [
    "Permissions",
    "may_curate",
    "permissions",
    "require",
    "require_record",
]


def require_record(p: Principal, process_id: int, action: Action, label: str, owner_id: int | None = None) -> None:
    require(access.decide(p.subject, action, Resource.record(process_id, Label.parse(label), owner_id=owner_id)))


def may_curate(p: Principal, process_id: int) -> Decision:
    """Whether the principal may confirm, reject or undo merges; the registry is no hidden record, so whoever
    reached the process's pages learns only that they may not curate."""
    return access.decide(p.subject, Action.CURATE, Resource.process(process_id))


@dataclass(frozen=True)
class Permissions:
    """What the principal may do on the actor pages of one process (labels as stored text)."""

    readable: frozenset[str]
    creatable: frozenset[str]
    exportable: frozenset[str]
    may_export: bool
    may_curate: bool


def permissions(p: Principal, process_id: int, party_ids: Iterable[int]) -> Permissions:
    """Ask ``decide`` for the process first (a non-member gets "not found"), then per label."""
    require(access.decide(p.subject, Action.READ, Resource.process(process_id)))
    parties = list(party_ids)
    readable = access.readable_label_texts(p.subject, process_id, parties)
    creatable = frozenset(str(x) for x in access.creatable_labels(p.subject, process_id, parties))
    exporting = access.decide(p.subject, Action.EXPORT, Resource.process(process_id))
    exportable = frozenset(
        str(label)
        for label in access.all_labels(parties)
        if exporting and access.decide(p.subject, Action.EXPORT, Resource.record(process_id, label))
    )
    return Permissions(readable, creatable, exportable, bool(exporting), bool(may_curate(p, process_id)))
