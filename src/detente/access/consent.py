"""Consent of the bound party: who may accept or decline what binds a party, and who must be able to read it.

A commitment (or its amendment or withdrawal) that binds a party is a proposal until a representative of each party
it binds accepts it, with a signature of a key the party holds. Only that party's representatives speak for it —
not the mediators, not the process's administrators, not an instance administrator, not the operator. And a party
can only be bound by what its representatives may read.
"""

from __future__ import annotations

from collections.abc import Collection

from detente.access.decide import NOT_FOUND, Decision, may_read_label
from detente.access.labels import Label, LabelKind
from detente.access.roles import Role
from detente.access.subject import Membership, Subject

__all__ = ["decide_binding", "decide_consent"]


def decide_consent(subject: Subject, process_id: int, party_id: int) -> Decision:
    """May ``subject`` accept or decline, for party ``party_id`` of the process, what binds that party (and register
    the keys it signs with)? Only a representative of that very party may."""
    membership = subject.membership(process_id)
    if membership is None:
        return Decision(False, NOT_FOUND, concealed=True)
    if membership.role is Role.PARTY_REPRESENTATIVE and membership.party_id == party_id:
        return Decision(True, "representative of the party")
    if membership.role is Role.PARTY_REPRESENTATIVE:
        return Decision(False, "a representative speaks only for its own party")
    return Decision(False, f"only the party's representatives accept for it, not role {membership.role.value!r}")


def decide_binding(label: Label, party_ids: Collection[int]) -> Decision:
    """May something that binds ``party_ids`` carry ``label``? Only when every bound party's representatives read it:
    a party cannot be asked to accept, nor be held to, a text it may not see."""
    if not party_ids:
        return Decision(False, "a commitment binds at least one party")
    unread = sorted(p for p in party_ids if not may_read_label(Membership(0, Role.PARTY_REPRESENTATIVE, p), label))
    if not unread:
        return Decision(True, f"every bound party reads {label}")
    if label.kind is LabelKind.PARTY:
        return Decision(False, f"{label} is read by one party only; it cannot bind another (party {unread[0]})")
    return Decision(False, f"the parties it binds may not read {label}: use all_parties or public")
