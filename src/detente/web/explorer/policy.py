"""Who may use the explorer. The event store belongs to the workspace, not to a process, so both decisions are
made by :func:`detente.access.decide` on instance-level and process-level resources:

- explore (page, list, timeline, map, facets): ``search`` on the instance — any signed-in user, viewers included;
- export: ``export`` on the instance (instance administrators) or ``export`` on at least one process the user is
  a member of (any role but viewer). Viewers and users without a membership may look but not export.
"""

from __future__ import annotations

from detente import access
from detente.access import Action, Decision, Resource, Subject

__all__ = ["may_explore", "may_export"]


def may_explore(subject: Subject) -> Decision:
    return access.decide(subject, Action.SEARCH, Resource.instance())


def may_export(subject: Subject) -> Decision:
    instance = access.decide(subject, Action.EXPORT, Resource.instance())
    if instance:
        return instance
    for m in subject.memberships:
        if access.decide(subject, Action.EXPORT, Resource.process(m.process_id)):
            return Decision(True, "member of a process who may export from it")
    return Decision(False, "exporting events needs a role other than viewer in a process, or instance administration")
