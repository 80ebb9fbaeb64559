"""Test set-up: the parties a proposal binds accept it, as their representatives would — each with its own Ed25519 key
(made here, as ``detente keys new`` makes one on a laptop; the server only ever receives the public key), through the
real services: register the key, fetch the statement, sign it, submit the decision."""

from __future__ import annotations

import base64

from argon2 import PasswordHasher

from detente.access import Role
from detente.db import processes as proc_db
from detente.db.users import AccountPolicy, create_user, get_user_by_username
from detente.services import consent
from detente.services.accounts import caller_by_name
from detente.services.context import AppContext
from detente.services.verification_models import CommitmentOut
from detente.verification.ledger import KeyPair, generate_key

__all__ = ["decide_for", "party_key", "representative"]

_POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
#: (workspace, username) -> the key that representative holds
_KEYS: dict[tuple[str, str], KeyPair] = {}


def representative(app: AppContext, process_id: int, party_id: int) -> str:
    """The username of a representative of the party (one is made, ``rep-<process>-<party>``, when there is none)."""
    with app.db.transaction() as s:
        for m, user in proc_db.list_members(s, process_id):
            if m.role == Role.PARTY_REPRESENTATIVE and m.party_id == party_id:
                return str(user.username)
        name = f"rep-{process_id}-{party_id}"
        user = get_user_by_username(s, name) or create_user(s, name, "correct horse battery", policy=_POLICY,
                                                            clock=app.clock)  # fmt: skip
        proc_db.set_membership(s, process_id, user.id, Role.PARTY_REPRESENTATIVE, party_id=party_id, clock=app.clock)
        return name


def party_key(app: AppContext, process_id: int, username: str) -> KeyPair:
    """The representative's own key, registered for its party the first time."""
    slot = (str(app.workspace), username)
    if slot not in _KEYS:
        key = generate_key(f"{username}-laptop")
        consent.register_key(app, caller_by_name(app, username, via="test"), process_id, key.public.vkey)
        _KEYS[slot] = key
    return _KEYS[slot]


def decide_for(
    app: AppContext, process_id: int, commitment_id: int, *, decision: str = "accept", reason: str = "",
    parties: list[int] | None = None,
) -> CommitmentOut:  # fmt: skip
    """Each bound party still to decide (or those named) decides, signing with its representative's key."""
    made: CommitmentOut | None = None
    with app.db.transaction() as s:
        from detente.db.verification import get_commitment

        binds = list(get_commitment(s, process_id, commitment_id).binds)
    for party in parties if parties is not None else binds:
        username = representative(app, process_id, party)
        key = party_key(app, process_id, username)
        caller = caller_by_name(app, username, via="test")
        text = consent.statement_for(app, caller, process_id, commitment_id, decision=decision, reason=reason)
        signature = base64.b64encode(key.sign(text.statement.encode("utf-8"))).decode("ascii")
        made = consent.decide(app, caller, process_id, commitment_id, decision=decision, reason=reason,
                              signature=signature)  # fmt: skip
    assert made is not None
    return made
