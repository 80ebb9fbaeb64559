"""Who asks: the caller every use case takes — a signed-in user (through a browser session, an API token or the
command line) or the operator at the installation's command line."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from detente.access import SCOPES, Subject

__all__ = ["Caller", "operator"]


@dataclass(frozen=True)
class Caller:
    """A user as the services see them: identity, access subject, how they came in, and from where.

    ``scopes`` limit what an API token may do (``detente.access.scope_needed``); sessions and the command line hold
    every scope. ``ip`` is the client address recorded in the audit trail. ``enrolled`` and ``must_enrol`` tell the
    state of the account's second factor (the shells refuse everything but its set-up to a caller who must
    enrol)."""

    user_id: int | None
    username: str
    display_name: str
    is_admin: bool
    subject: Subject
    via: str  # "session", "token", "cli" or "operator"
    scopes: frozenset[str] = SCOPES
    ip: str = ""
    session_id: str | None = None
    token_id: int | None = None
    #: the account has an enrolled second factor (a session of it passed that factor at sign-in)
    enrolled: bool = False
    #: ``DETENTE_REQUIRE_SECOND_FACTOR`` covers the account and it has no second factor yet: it may only set one up
    must_enrol: bool = False

    @property
    def audit_name(self) -> str:
        return self.username


def operator(ip: str = "cli") -> Caller:
    """The person at the installation's command line: an instance administrator without an account or memberships
    (``detente users …``, ``detente ingest``). The audit trail names them by their login on the machine."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Caller(
        user_id=None,
        username=f"operator:{login}"[:64],
        display_name="the operator",
        is_admin=True,
        subject=Subject.the_operator(),
        via="operator",
        ip=ip,
    )
