"""The one access decision: may this subject do this action on this resource?

Pure functions over frozen values: no I/O, no clock, no database. ``docs/access.md`` tells the rules in
prose; the test ``tests/access/test_decision_table.py`` pins every cell of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from detente.access.labels import Label, LabelKind, all_labels, narrowest, within
from detente.access.roles import READ_ACTIONS, Action, Role
from detente.access.subject import Membership, Resource, Subject

__all__ = [
    "NOT_FOUND",
    "Decision",
    "creatable_labels",
    "decide",
    "decide_derived",
    "decide_events",
    "may_read_label",
    "readable_label_texts",
    "readable_labels",
]

#: the reason of every concealed denial: the same words whether the thing exists or not
NOT_FOUND = "not found"

_FULL_READERS = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR})
_EDITORS = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR})
#: who judges compliance and moves violation procedures: the monitors and the mediation team, not the parties
_ASSESSORS = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR, Role.OBSERVER})
#: who reshapes the shared analysis of a process (the actor registry's merges)
_CURATORS = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR, Role.ANALYST})
#: whose work the process's planning judgements are (trust inputs, plans, the process's own measures)
_PLANNERS = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR, Role.ANALYST})
#: who may put forward what would bind parties (commitments, amendments, withdrawals)
_PROPOSERS = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR, Role.PARTY_REPRESENTATIVE})
_PROCESS_LEVEL_WRITES = frozenset({Action.UPDATE, Action.DELETE, Action.MANAGE_MEMBERS, Action.ADMINISTER})


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer.

    When ``concealed`` is true the caller must answer exactly as for a thing that does not exist
    (HTTP 404, an empty result), because saying "forbidden" would tell the subject that it exists.
    """

    allowed: bool
    reason: str
    concealed: bool = False

    def __bool__(self) -> bool:
        return self.allowed


def _allow(reason: str) -> Decision:
    return Decision(True, reason)


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


_HIDDEN = Decision(False, NOT_FOUND, concealed=True)


def may_read_label(membership: Membership | None, label: Label) -> bool:
    """Whether a member with this membership (None: no membership) reads records carrying ``label``."""
    if label.kind is LabelKind.PUBLIC:
        return True
    if membership is None:
        return False
    role = membership.role
    if role in _FULL_READERS:
        return True
    if label.kind is LabelKind.ALL_PARTIES:
        return role in (Role.ANALYST, Role.OBSERVER, Role.PARTY_REPRESENTATIVE)
    if label.kind is LabelKind.PARTY:
        return role is Role.PARTY_REPRESENTATIVE and membership.party_id == label.party_id
    return False  # mediators_only


def _may_create_label(membership: Membership | None, label: Label) -> bool:
    if membership is None:
        return False
    role = membership.role
    if role in _EDITORS:
        return True
    if role is Role.ANALYST:
        return label.kind is LabelKind.ALL_PARTIES
    if role is Role.OBSERVER:
        return label.kind in (LabelKind.ALL_PARTIES, LabelKind.PUBLIC)
    if role is Role.PARTY_REPRESENTATIVE:
        return label.kind is LabelKind.ALL_PARTIES or (
            label.kind is LabelKind.PARTY and label.party_id == membership.party_id
        )
    return False  # viewer


def _who(membership: Membership | None) -> str:
    return "a non-member" if membership is None else f"role {membership.role.value!r}"


def _decide_instance(subject: Subject, action: Action) -> Decision:
    if subject.user_id is None and not subject.operator:
        return _deny("sign-in required")
    if action in (Action.READ, Action.LIST, Action.SEARCH):
        return _allow("signed-in user")
    if subject.is_admin:
        return _allow("the operator" if subject.operator else "instance administrator")
    return _deny(f"only an instance administrator may {action.value} at instance level")


def _decide_process(subject: Subject, action: Action, membership: Membership | None) -> Decision:
    if membership is None and not subject.is_admin:
        return _HIDDEN
    if action in (Action.READ, Action.LIST, Action.SEARCH):
        return _allow("member of the process" if membership else "instance administrator")
    if action is Action.EXPORT:
        if membership is not None and membership.role is not Role.VIEWER:
            return _allow("member of the process (exports are filtered by readable labels)")
        return _deny(f"{_who(membership)} may not export from this process")
    if action is Action.CREATE:
        return _deny("a record needs a visibility label")
    if action is Action.PLAN:
        return _deny("planning is done under a visibility label")
    if action is Action.ASSESS:
        return _deny("assessing is done on a record")
    if action is Action.PROPOSE:
        return _deny("a proposal needs a visibility label")
    if action is Action.CURATE:
        if membership is not None and membership.role in _CURATORS:
            return _allow(f"{_who(membership)} curates the process's shared analysis")
        return _deny("only administrators, mediators and analysts of the process curate its shared analysis")
    # update, delete, manage_members, administer: running the process
    if membership is not None and membership.role is Role.ADMINISTRATOR:
        return _allow("process administrator")
    if subject.is_admin:
        return _allow("instance administrator")
    return _deny(f"{_who(membership)} may not {action.value} this process")


def _decide_record(subject: Subject, action: Action, membership: Membership | None, resource: Resource) -> Decision:
    label = resource.label
    assert label is not None
    if not may_read_label(membership, label):
        # Every action on a record one may not read is answered as if the record did not exist.
        return _HIDDEN
    if action in READ_ACTIONS:
        if action is Action.EXPORT and (membership is None or membership.role is Role.VIEWER):
            return _deny(f"{_who(membership)} may not export records")
        return _allow("label readable by " + _who(membership))
    if action is Action.CREATE:
        if _may_create_label(membership, label):
            return _allow(f"{_who(membership)} may create records with this label")
        return _deny(f"{_who(membership)} may not create records with this label")
    if action is Action.UPDATE:
        if membership is not None and membership.role in _EDITORS:
            return _allow(f"{_who(membership)} may update records it reads")
        if (
            subject.user_id is not None
            and resource.owner_id == subject.user_id
            and _may_create_label(membership, label)
        ):
            return _allow("owner of the record")
        return _deny(f"{_who(membership)} may update only its own records")
    if action is Action.DELETE:
        if membership is not None and membership.role in _EDITORS:
            return _allow(f"{_who(membership)} may delete records it reads")
        return _deny(f"{_who(membership)} may not delete records")
    if action is Action.ASSESS:
        if membership is not None and membership.role in _ASSESSORS:
            return _allow(f"{_who(membership)} may assess records it reads")
        return _deny(f"{_who(membership)} may not assess compliance or judge violations")
    if action is Action.CURATE:
        return _deny("curating is done on the process's shared analysis, not on a record")
    if action is Action.PLAN:
        if membership is None or membership.role not in _PLANNERS:
            return _deny("only the process's administrators, mediators and analysts make its planning judgements")
        if _may_create_label(membership, label):
            return _allow(f"{_who(membership)} plans under this label")
        return _deny(f"{_who(membership)} may not plan under this label")
    if action is Action.PROPOSE:
        if membership is None or membership.role not in _PROPOSERS:
            return _deny("only the process's administrators, mediators and party representatives propose commitments")
        if _may_create_label(membership, label):
            return _allow(f"{_who(membership)} proposes under this label")
        return _deny(f"{_who(membership)} may not propose under this label")
    # manage_members, administer: about the process, whatever the record
    return _decide_process(subject, action, membership)


def decide(subject: Subject, action: Action, resource: Resource) -> Decision:
    """Decide one action. Every read and write of the application goes through here (or through
    :func:`readable_labels` for queries)."""
    if resource.process_id is None:
        return _decide_instance(subject, action)
    membership = subject.membership(resource.process_id)
    if resource.label is None:
        return _decide_process(subject, action, membership)
    return _decide_record(subject, action, membership, resource)


def readable_labels(subject: Subject, process_id: int, party_ids: Iterable[int]) -> frozenset[Label]:
    """The labels of the process's records the subject may read, list, search (and, with
    :func:`decide` on ``EXPORT``, export). ``party_ids`` are the parties of the process.

    Filter queries with ``WHERE label IN readable_label_texts(...)``: a record outside the set is never
    returned, counted or hinted at.
    """
    membership = subject.membership(process_id)
    return frozenset(label for label in all_labels(party_ids) if may_read_label(membership, label))


def readable_label_texts(subject: Subject, process_id: int, party_ids: Iterable[int]) -> frozenset[str]:
    """:func:`readable_labels` in the text form stored in the database."""
    return frozenset(str(label) for label in readable_labels(subject, process_id, party_ids))


def creatable_labels(subject: Subject, process_id: int, party_ids: Iterable[int]) -> frozenset[Label]:
    """The labels the subject may give to a new record of the process (for forms' choices)."""
    membership = subject.membership(process_id)
    return frozenset(label for label in all_labels(party_ids) if _may_create_label(membership, label))


def decide_derived(label: Label, inputs: Iterable[Label]) -> Decision:
    """May something computed from records labelled ``inputs`` be shown under ``label``?

    Only when ``label``'s audience is within every input's: a trust state, a plan, a track record or an export never
    reaches anyone who may not read one of the records it was computed from. The reason names the widest label
    allowed, so a refused relabelling says what would be accepted."""
    bound = narrowest(inputs)
    if within(label, bound):
        return _allow(f"{label} is within {bound}, the narrowest label of the inputs")
    return _deny(f"computed from records labelled {bound}: it may not be shown wider than {bound}, not as {label}")


def decide_events(subject: Subject, action: Action) -> Decision:
    """Actions on the workspace's event store and what is computed from it alone (the explorer, the watchlist, the
    actor registry's relations). The store belongs to the instance, not to a process, and holds no labelled record:

    - reading (read, list, search): any signed-in user, viewers included;
    - exporting: an instance administrator, or a member of at least one process who may export from it (any role
      but viewer);
    - anything else (importing, rebuilding): instance administration (the operator at the command line included).
    """
    if action in (Action.READ, Action.LIST, Action.SEARCH):
        return decide(subject, Action.SEARCH, Resource.instance())
    if action is Action.EXPORT:
        instance = decide(subject, Action.EXPORT, Resource.instance())
        if instance:
            return instance
        for m in subject.memberships:
            if decide(subject, Action.EXPORT, Resource.process(m.process_id)):
                return _allow("member of a process who may export from it")
        return _deny("exporting events needs a role other than viewer in a process, or instance administration")
    return decide(subject, Action.ADMINISTER, Resource.instance())


def decide_witnesses(subject: Subject, process_id: int, slot: str | None = None) -> Decision:
    """Who names the witnesses of a process's log (hence who holds the operator to one history).

    A party's slot (``party:<id>``) is filled, changed or emptied only by a representative of that party: a witness
    the party does not choose cannot speak for it — not even the mediator's or the operator's. The observer slot and
    extra witnesses are managed by the process's administrators and mediators, and instance administrators. Without
    a slot: may the subject manage any slot."""
    membership = subject.membership(process_id)
    if membership is None and not subject.is_admin:
        return _HIDDEN
    if slot is not None and slot.startswith("party:"):
        party = slot.removeprefix("party:")
        if (
            membership is not None
            and membership.role == Role.PARTY_REPRESENTATIVE
            and str(membership.party_id) == party
        ):
            return _allow(f"{_who(membership)} names its party's witness")
        return _deny("a party's witness is named by a representative of that party only")
    if membership is not None and membership.role in (Role.ADMINISTRATOR, Role.MEDIATOR):
        return _allow(f"{_who(membership)} manages the process's witnesses")
    if subject.is_admin:
        return _allow("the operator" if subject.operator else "instance administrator")
    if slot is None and membership is not None and membership.role == Role.PARTY_REPRESENTATIVE:
        return _allow(f"{_who(membership)} may name its party's witness")
    return _deny(f"{_who(membership)} may not manage the process's witnesses")
