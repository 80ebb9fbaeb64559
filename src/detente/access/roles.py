"""Roles a user holds in a process, and the actions the access model decides about."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["READ_ACTIONS", "Action", "Role"]


class Role(StrEnum):
    """A member's role in one process. The value is what the database stores."""

    ADMINISTRATOR = "administrator"
    """Runs the process: manages its members and settings, reads and writes every record of it."""
    ANALYST = "analyst"
    """Conflict analyst supporting the process: reads and writes shared analysis, not restricted exchanges."""
    MEDIATOR = "mediator"
    """Mediator or envoy-team member: reads and writes every record of the process."""
    OBSERVER = "observer"
    """Third-party monitor or verifier: reads what all parties read, files reports they can all check."""
    PARTY_REPRESENTATIVE = "party_representative"
    """Represents exactly one party: reads what is shared with all parties and with that party only."""
    VIEWER = "viewer"
    """Read-only member: sees the process's public records only."""


class Action(StrEnum):
    """What a subject wants to do with a resource."""

    READ = "read"
    LIST = "list"
    SEARCH = "search"
    EXPORT = "export"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    MANAGE_MEMBERS = "manage_members"
    ADMINISTER = "administer"
    #: judge a record: assess a commitment's compliance, move a violation procedure along its steps — the work
    #: of monitors and mediators, never of a party judging itself or the other side
    ASSESS = "assess"
    #: reshape the analysis a process shares: confirm, reject or undo merges in the actor registry — the work of the
    #: process's administrators, mediators and analysts, never of a party or a monitor
    CURATE = "curate"
    #: make the process's planning judgements under a label: trust inputs, plans and replans, the process's own
    #: measures — the work of its administrators, mediators and analysts, never of a party, a monitor or a viewer
    PLAN = "plan"
    #: propose what binds parties: a commitment, an amendment of one, its withdrawal — the work of the process's
    #: administrators, mediators and the parties' representatives, never of an analyst, a monitor or a viewer. A
    #: proposal binds nobody until a representative of each party it binds accepts it (``access.decide_consent``).
    PROPOSE = "propose"


#: actions that reveal a record's content (or its existence); they all follow the label's read rule
READ_ACTIONS: frozenset[Action] = frozenset({Action.READ, Action.LIST, Action.SEARCH, Action.EXPORT})
