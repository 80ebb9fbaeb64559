"""Storage of consent: the public keys a party's representatives sign with, and each party's signed decision on a
proposal — each stored with its log entry in the caller's transaction, so every party and verifier sees which keys
speak for which party and what each party accepted or declined.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.ledger import log_entry
from detente.db.models import Party
from detente.db.verification_models import CommitmentRow, ConsentRow, PartyKeyRow
from detente.errors import InputError, NotFoundError, NotInForce, ProposalClosed
from detente.verification.commitments import iso
from detente.verification.consent import Change, Decision, ProposalState, state_after
from detente.verification.ledger import NoteError, parse_vkey
from detente.verification.ledger.note import ALG_ED25519

__all__ = [
    "consents_of",
    "get_party_key",
    "keys_by_id",
    "list_party_keys",
    "record_consent",
    "register_party_key",
    "revoke_party_key",
]


def _party(session: Session, process_id: int, party_id: int) -> Party:
    party = session.get(Party, party_id)
    if party is None or party.process_id != process_id:
        raise NotFoundError(f"no party {party_id} in this process")
    return party


def register_party_key(
    session: Session, process_id: int, party_id: int, user_id: int, vkey: str, *, clock: Clock
) -> PartyKeyRow:
    """Record that ``vkey`` (an Ed25519 verifier key, ``name+id+base64``) signs for the party; logged."""
    try:
        key = parse_vkey(vkey.strip())
    except NoteError as exc:
        raise InputError(f"not a verifier key: {exc}", field="public_key") from exc
    if key.alg != ALG_ED25519:
        raise InputError("a party's signing key is an Ed25519 key (type 0x01)", field="public_key")
    party = _party(session, process_id, party_id)
    taken = session.scalars(
        select(PartyKeyRow).where(PartyKeyRow.process_id == process_id, PartyKeyRow.vkey == key.vkey)
    ).first()
    if taken is not None:
        raise InputError("this key is registered already", field="public_key")
    now = clock()
    row = PartyKeyRow(process_id=process_id, party_id=party.id, user_id=user_id, vkey=key.vkey, created_at=now,
                      log_index=-1)  # fmt: skip
    session.add(row)
    session.flush()
    row.log_index = log_entry(session, process_id, "party_key", {
        "id": row.id, "process_id": process_id, "party_id": party.id, "party": party.name, "user_id": user_id,
        "key": key.vkey, "created_at": iso(now),
    })  # fmt: skip
    session.flush()
    return row


def revoke_party_key(session: Session, process_id: int, key_id: int, *, clock: Clock) -> PartyKeyRow:
    """Stop a key from signing for its party (what it signed stays valid); logged."""
    row = get_party_key(session, process_id, key_id)
    if row.revoked_at is not None:
        raise ProposalClosed("this key is revoked already")
    row.revoked_at = clock()
    log_entry(session, process_id, "party_key.revoked", {
        "id": row.id, "process_id": process_id, "party_id": row.party_id, "key": row.vkey,
        "revoked_at": iso(row.revoked_at),
    })  # fmt: skip
    session.flush()
    return row


def get_party_key(session: Session, process_id: int, key_id: int) -> PartyKeyRow:
    row = session.get(PartyKeyRow, key_id)
    if row is None or row.process_id != process_id:
        raise NotFoundError(f"no key {key_id} in this process")
    return row


def list_party_keys(session: Session, process_id: int, *, party_id: int | None = None) -> Sequence[PartyKeyRow]:
    """The keys registered in the process (revoked ones included), oldest first."""
    query = select(PartyKeyRow).where(PartyKeyRow.process_id == process_id)
    if party_id is not None:
        query = query.where(PartyKeyRow.party_id == party_id)
    return session.scalars(query.order_by(PartyKeyRow.id)).all()


def keys_by_id(session: Session, key_ids: Iterable[int]) -> dict[int, PartyKeyRow]:
    wanted = sorted(set(key_ids))
    if not wanted:
        return {}
    return {k.id: k for k in session.scalars(select(PartyKeyRow).where(PartyKeyRow.id.in_(wanted)))}


def consents_of(session: Session, commitment_ids: Sequence[int]) -> Sequence[ConsentRow]:
    """The decisions on record for these proposals, in the order they were made."""
    if not commitment_ids:
        return []
    query = select(ConsentRow).where(ConsentRow.commitment_id.in_(list(commitment_ids))).order_by(ConsentRow.id)
    return session.scalars(query).all()


def record_consent(
    session: Session,
    proposal: CommitmentRow,
    *,
    party_id: int,
    user_id: int,
    key: PartyKeyRow,
    decision: Decision,
    reason: str,
    statement: str,
    signature: str,
    now: datetime,
) -> ConsentRow:
    """Store and log one party's verified decision, then move the proposal — and, once an amendment or withdrawal is
    accepted, the commitment it changes. The caller has checked the signature, the state and the expiry."""
    process_id = proposal.process_id
    party = _party(session, process_id, party_id)
    row = ConsentRow(process_id=process_id, commitment_id=proposal.id, party_id=party.id, user_id=user_id,
                     key_id=key.id, decision=decision.value, reason=reason, statement=statement, signature=signature,
                     created_at=now, log_index=-1)  # fmt: skip
    session.add(row)
    session.flush()
    row.log_index = log_entry(session, process_id, "consent", {
        "id": row.id, "process_id": process_id, "commitment_id": proposal.id, "proposal_entry": proposal.log_index,
        "party_id": party.id, "party": party.name, "user_id": user_id, "decision": decision.value, "reason": reason,
        "key": key.vkey, "statement": statement, "signature": signature, "created_at": iso(now),
    })  # fmt: skip
    decided = {c.party_id: Decision(c.decision) for c in consents_of(session, [proposal.id])}
    after = state_after(proposal.binds, decided)
    if after is not ProposalState.PROPOSED:
        proposal.state, proposal.decided_at = after.value, now
        if after is ProposalState.ACCEPTED and proposal.amends is not None:
            ended = ProposalState.WITHDRAWN if proposal.change == Change.WITHDRAWAL else ProposalState.SUPERSEDED
            moved = session.execute(
                update(CommitmentRow)
                .where(CommitmentRow.id == proposal.amends, CommitmentRow.state == ProposalState.ACCEPTED)
                .values(state=ended.value, decided_at=now)
                .execution_options(synchronize_session="fetch")
            )
            if getattr(moved, "rowcount", 0) != 1:
                raise NotInForce(f"commitment {proposal.amends} is no longer in force: this change cannot apply")
    session.flush()
    return row
