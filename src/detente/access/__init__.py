"""Access decisions: roles, memberships and visibility labels — the one place
that decides who may see or do what.

Pure: frozen values in, a :class:`Decision` out. No I/O and no SQLAlchemy here; ``detente.db`` loads a
:class:`Subject` and filters queries with :func:`readable_label_texts`.
"""

from __future__ import annotations

from detente.access.consent import decide_binding, decide_consent
from detente.access.decide import (
    NOT_FOUND,
    Decision,
    creatable_labels,
    decide,
    decide_derived,
    decide_events,
    decide_witnesses,
    may_read_label,
    readable_label_texts,
    readable_labels,
)
from detente.access.labels import Label, LabelKind, all_labels, narrowest, within
from detente.access.roles import READ_ACTIONS, Action, Role
from detente.access.scopes import SCOPES, scope_needed
from detente.access.subject import Membership, Resource, Subject

__all__ = [
    "NOT_FOUND",
    "READ_ACTIONS",
    "SCOPES",
    "Action",
    "Decision",
    "Label",
    "LabelKind",
    "Membership",
    "Resource",
    "Role",
    "Subject",
    "all_labels",
    "creatable_labels",
    "decide",
    "decide_binding",
    "decide_consent",
    "decide_derived",
    "decide_events",
    "decide_witnesses",
    "may_read_label",
    "narrowest",
    "readable_label_texts",
    "readable_labels",
    "scope_needed",
    "within",
]
