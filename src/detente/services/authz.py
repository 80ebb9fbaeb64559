"""How a use case asks :mod:`detente.access`: one call that checks the token's scope, then the decision, and turns a
denial into the one error the shells answer (a concealed denial is the one "not found")."""

from __future__ import annotations

from collections.abc import Iterable

from detente import access
from detente.access import NOT_FOUND, Action, Decision, Label, Resource
from detente.errors import AccessDenied, InputError, NotFoundError
from detente.services.caller import Caller

__all__ = [
    "NOT_FOUND",
    "allowed",
    "hidden",
    "label_of",
    "process_label",
    "require",
    "require_derived",
    "require_label",
]


def hidden() -> NotFoundError:
    """The one answer for a missing thing and for a thing the caller may not know exists (the same words)."""
    return NotFoundError(NOT_FOUND)


def _decision(caller: Caller, action: Action, resource: Resource) -> Decision:
    decision = access.decide(caller.subject, action, resource)
    if decision.allowed:
        needed = access.scope_needed(action, resource)
        if needed not in caller.scopes:
            return Decision(False, f"this token lacks the {needed!r} scope")
    return decision


def require_scope(caller: Caller, action: Action, resource: Resource) -> None:
    """Refuse an API token that lacks the scope ``action`` needs (for reads filtered by label elsewhere)."""
    needed = access.scope_needed(action, resource)
    if needed not in caller.scopes:
        raise AccessDenied(f"this token lacks the {needed!r} scope", field="scopes")


def require_events(caller: Caller, action: Action) -> None:
    """:func:`require` for the workspace's event store (``access.decide_events``)."""
    decision = access.decide_events(caller.subject, action)
    if not decision.allowed:
        raise AccessDenied(decision.reason)
    require_scope(caller, action, Resource.instance())


def may_events(caller: Caller, action: Action) -> bool:
    return access.decide_events(caller.subject, action).allowed


def allowed(caller: Caller, action: Action, resource: Resource) -> bool:
    return _decision(caller, action, resource).allowed


def require(caller: Caller, action: Action, resource: Resource) -> None:
    """Proceed only if ``access`` allows it: a concealed denial raises the one "not found", a plain one
    :class:`AccessDenied` with its reason."""
    decision = _decision(caller, action, resource)
    if decision.allowed:
        return
    if decision.concealed:
        raise hidden()
    raise AccessDenied(decision.reason, field="scopes" if "scope" in decision.reason else None)


def label_of(text: str, field: str = "label") -> Label:
    """A stored or submitted label text as a :class:`Label` (bad text names the field)."""
    try:
        return Label.parse(text)
    except InputError as exc:
        raise InputError(exc.reason, field=field) from None


def process_label(text: str, party_ids: Iterable[int], field: str = "label") -> Label:
    """A submitted label of a process whose parties are ``party_ids``: ``party:<id>`` must name one of them. The one
    check of every record kind's label (another process's party would be a label nobody in this process holds)."""
    label = label_of(text, field)
    if label not in access.all_labels(party_ids):
        raise InputError(f"{text!r} is not a label of this process", field=field)
    return label


def require_label(caller: Caller, action: Action, process_id: int, label: str, owner_id: int | None = None) -> Label:
    """:func:`require` on a record of the process under ``label``; returns the parsed label."""
    parsed = label_of(label)
    require(caller, action, Resource.record(process_id, parsed, owner_id=owner_id))
    return parsed


def require_derived(label: Label, inputs: Iterable[Label], field: str = "label") -> None:
    """Refuse to show something computed from ``inputs`` under a wider ``label`` than they allow."""
    decision = access.decide_derived(label, inputs)
    if not decision.allowed:
        raise InputError(decision.reason, field=field)
