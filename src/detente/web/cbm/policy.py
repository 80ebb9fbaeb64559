"""Who may do what on the CBM pages. Every answer starts from :func:`detente.access.decide`; a few actions are
further kept to the roles whose work they are (planning and trust judgements are not a party's to make).

- catalogue (built-in measures): ``read`` on the process — any member;
- a process measure: ``read`` on its label; adding one: ``create`` with its label, by an administrator, mediator
  or analyst;
- trust state: ``read`` on the process's trust label; analyst input: ``create`` with that label, by an
  administrator, mediator or analyst;
- plans: ``read`` on the process's plan label; building and replanning: ``create`` with it, same roles;
- making a step a commitment: ``read`` on the plan label and ``create`` with the commitment's label;
- changing the trust or plan label: ``update`` on the current label and ``create`` with the new one.

A concealed denial is the one "not found"; a plain one is 403 with its reason.
"""

from __future__ import annotations

from detente import access
from detente.access import Action, Label, Resource, Role
from detente.web.errors import Forbidden
from detente.web.ops import require
from detente.web.security import Principal

__all__ = ["PLANNING_ROLES", "may", "require", "require_label", "require_role"]

#: roles whose work planning, trust judgements and the process's own measures are
PLANNING_ROLES = frozenset({Role.ADMINISTRATOR, Role.MEDIATOR, Role.ANALYST})


def _resource(process_id: int, label: str | None) -> Resource:
    if label is None:
        return Resource.process(process_id)
    return Resource.record(process_id, Label.parse(label))


def may(p: Principal, action: Action, process_id: int, label: str | None = None) -> bool:
    return access.decide(p.subject, action, _resource(process_id, label)).allowed


def require_label(p: Principal, action: Action, process_id: int, label: str | None = None) -> None:
    require(access.decide(p.subject, action, _resource(process_id, label)))


def require_role(p: Principal, process_id: int, roles: frozenset[Role] = PLANNING_ROLES) -> None:
    membership = p.subject.membership(process_id)
    if membership is None or membership.role not in roles:
        names = ", ".join(sorted(r.value.replace("_", " ") for r in roles))
        raise Forbidden(f"only these roles may do this: {names}")
