"""Who may see the watchlist. It is computed from the workspace's event store, which belongs to the instance and
not to a process, so the decision is the explorer's: ``search`` on the instance (any signed-in user, viewers too),
made by :func:`detente.access.decide`."""

from __future__ import annotations

from detente import access
from detente.access import Action, Decision, Resource, Subject

__all__ = ["may_view_watchlist"]


def may_view_watchlist(subject: Subject) -> Decision:
    return access.decide(subject, Action.SEARCH, Resource.instance())
