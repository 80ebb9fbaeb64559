"""Which scope an API token needs for an action: the rule behind ``read``, ``write`` and ``admin`` tokens.

A token narrows what its owner may do; it never widens it. Reading (read, list, search, export) needs ``read``;
administering the instance (accounts, the audit trail, tokens of others) needs ``admin``; every other change needs
``write``. Callers that are not tokens (a browser session, the command line) hold every scope.
"""

from __future__ import annotations

from detente.access.roles import READ_ACTIONS, Action
from detente.access.subject import Resource

__all__ = ["SCOPES", "scope_needed"]

SCOPES = frozenset({"read", "write", "admin"})


def scope_needed(action: Action, resource: Resource) -> str:
    """The scope a token must hold to do ``action`` on ``resource``."""
    if resource.process_id is None and action is Action.ADMINISTER:
        return "admin"
    if action in READ_ACTIONS:
        return "read"
    return "write"
