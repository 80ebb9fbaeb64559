"""Consent of the bound party (pure): the statement a party's representative signs, and what a proposal becomes.

A commitment, an amendment of one or its withdrawal binds nobody until a representative of each party it binds has
accepted it, by signing a *consent statement* with an Ed25519 key the party holds (the server only ever sees the
public key). The statement names the log and the exact log entry of the proposal (its index and leaf hash), so a
signature accepts those bytes and nothing else, and anyone holding the log can check it offline::

    detente-consent/v1
    origin <the log's origin>
    entry <log index of the proposal>
    leaf <base64 of the entry's leaf hash>
    party <party id>
    decision accept | decline
    reason <hex SHA-256 of the reason, UTF-8>

Every line ends with a newline; the signature is the raw 64-byte Ed25519 signature of those bytes, in base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum

from detente.errors import InputError
from detente.verification.ledger.note import PublicKey

__all__ = [
    "CONSENT_FORMAT",
    "Change",
    "Decision",
    "ProposalState",
    "consent_statement",
    "counts",
    "effective_state",
    "state_after",
    "verify_consent",
]

CONSENT_FORMAT = "detente-consent/v1"


class Decision(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class Change(StrEnum):
    """What a proposal would do: a new commitment, a new text for one, or an end to one."""

    NEW = "new"
    AMENDMENT = "amendment"
    WITHDRAWAL = "withdrawal"


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # read-time only: a proposal past its expiry that nobody declined
    SUPERSEDED = "superseded"  # an accepted commitment replaced by an accepted amendment
    WITHDRAWN = "withdrawn"  # an accepted commitment ended by an accepted withdrawal


def consent_statement(
    origin: str, entry_index: int, leaf_hash: bytes, party_id: int, decision: Decision | str, reason: str
) -> str:
    """The exact text a party's representative signs to accept or decline the proposal logged at ``entry_index``."""
    chosen = Decision(decision)
    if len(leaf_hash) != 32 or entry_index < 0 or party_id < 1 or "\n" in origin:
        raise InputError("a consent statement names a log, an entry, its 32-byte leaf hash and a party")
    digest = hashlib.sha256(reason.encode("utf-8")).hexdigest()
    lines = [
        CONSENT_FORMAT,
        f"origin {origin}",
        f"entry {entry_index}",
        f"leaf {base64.b64encode(leaf_hash).decode('ascii')}",
        f"party {party_id}",
        f"decision {chosen.value}",
        f"reason {digest}",
    ]
    return "".join(line + "\n" for line in lines)


def verify_consent(statement: str, signature_b64: str, key: PublicKey) -> bool:
    """Whether ``signature_b64`` is ``key``'s Ed25519 signature of ``statement``."""
    try:
        raw = base64.b64decode(signature_b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return len(raw) == 64 and key.verify(raw, statement.encode("utf-8"))


def effective_state(state: str, expires_at: datetime | None, now: datetime) -> ProposalState:
    """The state to show and act on: an open proposal past its expiry has expired."""
    current = ProposalState(state)
    if current is ProposalState.PROPOSED and expires_at is not None and now >= expires_at:
        return ProposalState.EXPIRED
    return current


def state_after(binds: Collection[int], decided: Mapping[int, Decision]) -> ProposalState:
    """What an open proposal becomes once ``decided`` (party id → its decision) is on record: declined as soon as
    one bound party declines, accepted once every bound party has accepted, still proposed otherwise."""
    if any(decided.get(p) is Decision.DECLINE for p in binds):
        return ProposalState.DECLINED
    if binds and all(decided.get(p) is Decision.ACCEPT for p in binds):
        return ProposalState.ACCEPTED
    return ProposalState.PROPOSED


def counts(change: str, state: str) -> bool:
    """Whether a stored row is a commitment in force: accepted, and a commitment (not the record of a withdrawal).
    Only these are on the board, in scores, in trust updates and in plans."""
    return state == ProposalState.ACCEPTED and change != Change.WITHDRAWAL
