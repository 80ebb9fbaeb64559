"""Consent of the bound party: proposals, the keys that speak for a party, and each party's signed decision.

A commitment — and an amendment or a withdrawal of one — is a *proposal* until a representative of every party it
binds has accepted it with a signature made by a key the party holds (``detente keys`` on a laptop, or WebCrypto in
the browser; the server only ever sees the public key). One party declining ends the proposal; an open proposal
expires. Only commitments in force count on the board, in scores, in trust updates and in plans.

Who may propose is ``access.decide`` on :attr:`~detente.access.Action.PROPOSE`; who may accept or decline for a party
and register its keys is ``access.decide_consent``; what may bind a party is ``access.decide_binding``. Each write
stores its rows, its log entry, a checkpoint at the new size and the audit event in one transaction.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.bounds import check_days
from detente.db import consent as cdb
from detente.db import ledger as ldb
from detente.db import verification as vdb
from detente.db.users import usernames
from detente.db.verification_models import CommitmentRow, ConsentRow, LedgerEntry, PartyKeyRow
from detente.errors import AccessDenied, InputError, NotInForce, ProposalClosed, StoreError
from detente.services.audit import audit
from detente.services.authz import allowed, hidden, require
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.services.record_checks import vouch
from detente.services.verification import (
    check_record,
    in_force,
    info_in,
    logged,
    readable_commitment,
    sign_in_transaction,
    then_cosign,
)
from detente.services.verification_models import CommitmentOut, ConsentOut, LogCheckOut, commitment_out
from detente.verification.commitments import Commitment
from detente.verification.consent import (
    Change,
    Decision,
    ProposalState,
    consent_statement,
    effective_state,
    verify_consent,
)
from detente.verification.inputs import commitment_from
from detente.verification.ledger import NoteError, parse_vkey
from detente.verification.ledger.note import ALG_ED25519, PublicKey

__all__ = [
    "DEFAULT_EXPIRY_DAYS",
    "MAX_EXPIRY_DAYS",
    "MyTurnOut",
    "PartyKeyOut",
    "StatementOut",
    "commitment_views",
    "decide",
    "expiry",
    "key_fingerprint",
    "list_keys",
    "may_propose",
    "my_turn",
    "proposals",
    "propose",
    "propose_amendment",
    "propose_in",
    "propose_withdrawal",
    "register_key",
    "revoke_key",
    "speaks_for",
    "statement_for",
]

#: how long a proposal stays open unless the proposer says otherwise, and the longest it may
DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 90


class PartyKeyOut(BaseModel):
    id: int
    party_id: int
    party: str
    user: str
    key: str
    fingerprint: str
    created_at: datetime
    revoked_at: datetime | None
    log_index: int


class StatementOut(BaseModel):
    """What a party's representative signs to accept or decline a proposal, with the log entry it names (so the
    signer can check the entry's bytes hash to the leaf hash before signing)."""

    commitment_id: int
    party_id: int
    party: str
    decision: str
    reason: str
    origin: str
    entry_index: int
    leaf_hash: str
    entry: str  # base64 of the entry's canonical bytes
    statement: str


def key_fingerprint(key: PublicKey) -> str:
    """``SHA256:`` and the first 16 bytes of the SHA-256 of the raw public key, in hex groups (what a party reads out
    to check that a key registered in its name is its own)."""
    digest = hashlib.sha256(key.key).hexdigest()[:32]
    return "SHA256:" + ":".join(digest[i : i + 4] for i in range(0, 32, 4))


# --- proposing -----------------------------------------------------------------------------------------------------


def expiry(app: AppContext, data: Mapping[str, Any]) -> datetime:
    """When a proposal made now expires (``expires_in_days``, 1 to 90, default 14)."""
    raw = data.get("expires_in_days")
    if raw in (None, ""):
        days = DEFAULT_EXPIRY_DAYS
    else:
        try:
            days = int(raw)
        except (TypeError, ValueError):
            raise InputError("a whole number of days", field="expires_in_days") from None
        if days > MAX_EXPIRY_DAYS:
            raise InputError(f"a proposal stays open at most {MAX_EXPIRY_DAYS} days", field="expires_in_days")
    from detente.bounds import later

    until = later(app.clock(), check_days(days, "expires_in_days"))
    assert until is not None
    return until


def propose_in(
    app: AppContext,
    caller: Caller,
    s: Session,
    process_id: int,
    commitment: Commitment,
    expires_at: datetime,
    *,
    change: Change,
    amends: CommitmentRow | None,
    reason: str = "",
) -> CommitmentOut:
    """Propose in the caller's transaction ``s`` (also for a plan step made a commitment): asks ``access`` whether the
    caller may propose under the label and whether that label may bind the parties, then logs, signs and audits."""
    info = info_in(s, caller, process_id)
    label = info.check_label(commitment.label)
    require(caller, Action.PROPOSE, Resource.record(process_id, label, owner_id=caller.user_id))
    ids = {name: pid for pid, name in info.party_names.items()}
    binds = {ids[name] for name in commitment.parties if name in ids} | set(amends.binds if amends else ())
    decision = access.decide_binding(label, binds)
    if binds and not decision.allowed:
        raise InputError(decision.reason, field="label")
    logged(app, s, process_id)
    row = vdb.create_commitment(s, process_id, commitment, actor_id=caller.user_id, expires_at=expires_at,
                                change=change, amends=amends, reason=reason, clock=app.clock)  # fmt: skip
    sign_in_transaction(app, s, process_id)
    audit(s, app, caller, f"commitment.proposed.{change.value}", target=f"commitment:{row.id}", process_id=process_id,
          label=label, detail={"log_index": row.log_index, "amends": row.amends, "binds": row.binds})  # fmt: skip
    return _views(s, app, [row], info.party_names)[0]


@then_cosign
def propose(app: AppContext, caller: Caller, process_id: int, data: Mapping[str, Any]) -> CommitmentOut:
    """Propose a commitment (``data`` in the shape of ``docs/verification.md``, with ``expires_in_days``)."""
    commitment = commitment_from(data)
    expires_at = expiry(app, data)
    with app.db.transaction(write=True) as s:
        return propose_in(app, caller, s, process_id, commitment, expires_at, change=Change.NEW, amends=None)


@then_cosign
def propose_amendment(
    app: AppContext, caller: Caller, process_id: int, commitment_id: int, data: Mapping[str, Any]
) -> CommitmentOut:
    """Propose a new text for a commitment in force; once every party bound by either text accepts, the new text is
    in force and the old one superseded."""
    commitment = commitment_from(data)
    expires_at = expiry(app, data)
    with app.db.transaction(write=True) as s:
        target = in_force(s, app, caller, process_id, commitment_id)
        return propose_in(app, caller, s, process_id, commitment, expires_at, change=Change.AMENDMENT, amends=target)


@then_cosign
def propose_withdrawal(
    app: AppContext, caller: Caller, process_id: int, commitment_id: int, *, reason: str, expires_in_days: Any = None
) -> CommitmentOut:
    """Propose to end a commitment in force (its text, with the reason); it ends once every party it binds accepts."""
    if not reason.strip():
        raise InputError("say why the commitment should end", field="reason")
    expires_at = expiry(app, {"expires_in_days": expires_in_days})
    with app.db.transaction(write=True) as s:
        target = in_force(s, app, caller, process_id, commitment_id)
        commitment = commitment_from(target.body)
        return propose_in(app, caller, s, process_id, commitment, expires_at, change=Change.WITHDRAWAL, amends=target,
                        reason=reason.strip())  # fmt: skip


# --- deciding ------------------------------------------------------------------------------------------------------


def _caller_party(caller: Caller, process_id: int) -> int:
    membership = caller.subject.membership(process_id)
    party = membership.party_id if membership is not None else None
    decision = access.decide_consent(caller.subject, process_id, party or 0)
    if not decision.allowed or party is None:
        if decision.concealed:
            raise hidden()
        raise AccessDenied(decision.reason)
    require(caller, Action.READ, Resource.process(process_id))
    return party


def _entry(s: Session, process_id: int, index: int) -> tuple[str, bytes, bytes]:
    log = ldb.get_log(s, process_id)
    row = s.get(LedgerEntry, (log.id, index))
    if row is None:
        raise StoreError(f"log entry {index} of process {process_id} is missing")
    return log.origin, bytes(row.data), bytes(row.leaf_hash)


def _open(
    s: Session, app: AppContext, caller: Caller, process_id: int, commitment_id: int
) -> tuple[CommitmentRow, int]:
    row = readable_commitment(s, caller, process_id, commitment_id)
    party = _caller_party(caller, process_id)
    if party not in row.binds:
        raise AccessDenied("this proposal does not bind your party")
    state = effective_state(row.state, row.expires_at, app.clock())
    if state is not ProposalState.PROPOSED:
        raise ProposalClosed(f"this proposal is {state.value}; nothing more can be decided on it")
    if any(c.party_id == party for c in cdb.consents_of(s, [row.id])):
        raise ProposalClosed("your party has decided on this proposal already")
    return row, party


def statement_for(
    app: AppContext, caller: Caller, process_id: int, commitment_id: int, *, decision: str, reason: str = ""
) -> StatementOut:
    """The statement the caller (a representative of a bound party) signs to accept or decline the proposal."""
    chosen = _decision(decision)
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        row, party = _open(s, app, caller, process_id, commitment_id)
        origin, data, leaf = _entry(s, process_id, row.log_index)
        text = consent_statement(origin, row.log_index, leaf, party, chosen, reason.strip())
        return StatementOut(
            commitment_id=row.id, party_id=party, party=info.party_names.get(party, ""), decision=chosen.value,
            reason=reason.strip(), origin=origin, entry_index=row.log_index,
            leaf_hash=base64.b64encode(leaf).decode("ascii"), entry=base64.b64encode(data).decode("ascii"),
            statement=text,
        )  # fmt: skip


class MyTurnOut(BaseModel):
    """What a representative needs to decide on a proposal that awaits its party: the accept statement (the decline
    statement differs only in its decision and reason lines), and whether it has a key registered to sign with."""

    statement: StatementOut
    has_key: bool


def my_turn(app: AppContext, caller: Caller, process_id: int, commitment_id: int) -> MyTurnOut | None:
    """The caller's part in a proposal, when the caller speaks for a party it binds that has not decided yet."""
    membership = caller.subject.membership(process_id)
    if membership is None or membership.party_id is None:
        return None
    try:
        found = statement_for(app, caller, process_id, commitment_id, decision="accept")
    except (AccessDenied, ProposalClosed):
        return None
    with app.db.transaction() as s:
        keys = cdb.list_party_keys(s, process_id, party_id=found.party_id)
        has_key = any(k.user_id == caller.user_id and k.revoked_at is None for k in keys)
    return MyTurnOut(statement=found, has_key=has_key)


def may_propose(app: AppContext, caller: Caller, process_id: int, label: str) -> bool:
    """Whether the caller may propose under ``label`` (amendments and withdrawals of what it reads)."""
    return allowed(caller, Action.PROPOSE, Resource.record(process_id, Label.parse(label), owner_id=caller.user_id))


def speaks_for(caller: Caller, process_id: int) -> int | None:
    """The party the caller may accept and decline for, and register keys of (``access.decide_consent``)."""
    membership = caller.subject.membership(process_id)
    party = membership.party_id if membership is not None else None
    if party is None or not access.decide_consent(caller.subject, process_id, party).allowed:
        return None
    return party


def _decision(text: str) -> Decision:
    try:
        return Decision(text.strip().lower())
    except ValueError:
        raise InputError("the decision is 'accept' or 'decline'", field="decision") from None


@then_cosign
def decide(
    app: AppContext,
    caller: Caller,
    process_id: int,
    commitment_id: int,
    *,
    decision: str,
    reason: str,
    signature: str,
) -> CommitmentOut:
    """Record the caller's party's signed decision on a proposal; the proposal is in force once every bound party has
    accepted, and ends when one declines."""
    chosen = _decision(decision)
    reason = reason.strip()
    if chosen is Decision.DECLINE and not reason:
        raise InputError("say why your party declines", field="reason")
    with app.db.transaction(write=True) as s:
        info = info_in(s, caller, process_id)
        row, party = _open(s, app, caller, process_id, commitment_id)
        origin, _, leaf = _entry(s, process_id, row.log_index)
        text = consent_statement(origin, row.log_index, leaf, party, chosen, reason)
        keys = [k for k in cdb.list_party_keys(s, process_id, party_id=party)
                if k.user_id == caller.user_id and k.revoked_at is None]  # fmt: skip
        if not keys:
            raise InputError("register your signing key for your party first (detente keys, or this browser's key)",
                             field="signature")  # fmt: skip
        key = next((k for k in keys if verify_consent(text, signature.strip(), parse_vkey(k.vkey))), None)
        if key is None:
            raise InputError("the signature does not verify with any of your registered keys for this statement",
                             field="signature")  # fmt: skip
        if row.amends is not None:
            target = s.get(CommitmentRow, row.amends)
            if target is None or target.state != ProposalState.ACCEPTED:
                raise NotInForce(f"commitment {row.amends} is no longer in force: this change cannot apply")
        assert caller.user_id is not None
        cdb.record_consent(s, row, party_id=party, user_id=caller.user_id, key=key, decision=chosen, reason=reason,
                           statement=text, signature=signature.strip(), now=app.clock())  # fmt: skip
        sign_in_transaction(app, s, process_id)
        label = Label.parse(row.label)
        audit(s, app, caller, f"commitment.{chosen.value}ed", target=f"commitment:{row.id}", process_id=process_id,
              label=label, detail={"party_id": party, "state": row.state})  # fmt: skip
        if row.state == ProposalState.ACCEPTED:
            audit(s, app, caller, "commitment.in_force", target=f"commitment:{row.id}", process_id=process_id,
                  label=label, detail={"change": row.change, "amends": row.amends})  # fmt: skip
        return _views(s, app, [row], info.party_names)[0]


# --- keys ------------------------------------------------------------------------------------------------------------


def _key_out(row: PartyKeyRow, parties: Mapping[int, str], users: Mapping[int, str]) -> PartyKeyOut:
    return PartyKeyOut(
        id=row.id, party_id=row.party_id, party=parties.get(row.party_id, ""), user=users.get(row.user_id or 0, ""),
        key=row.vkey, fingerprint=key_fingerprint(parse_vkey(row.vkey)), created_at=row.created_at,
        revoked_at=row.revoked_at, log_index=row.log_index,
    )  # fmt: skip


@then_cosign
def register_key(
    app: AppContext, caller: Caller, process_id: int, public_key: str, *, name: str | None = None
) -> PartyKeyOut:
    """Register a key the caller's party signs with: a verifier key (``name+id+base64``, from ``detente keys new``)
    or, from a browser, the raw 32-byte Ed25519 public key in base64 with ``name``. Logged for every party to see."""
    vkey = _vkey(public_key, name or f"{caller.username}-browser")
    with app.db.transaction(write=True) as s:
        info = info_in(s, caller, process_id)
        party = _caller_party(caller, process_id)
        assert caller.user_id is not None
        logged(app, s, process_id)
        row = cdb.register_party_key(s, process_id, party, caller.user_id, vkey, clock=app.clock)
        sign_in_transaction(app, s, process_id)
        audit(s, app, caller, "party_key.registered", target=f"party_key:{row.id}", process_id=process_id,
              label=Label.all_parties(), detail={"party_id": party, "key": row.vkey})  # fmt: skip
        return _key_out(row, info.party_names, usernames(s, [caller.user_id]))


def _vkey(public_key: str, name: str) -> str:
    text = public_key.strip()
    if not (len(text) == 44 and text.endswith("=")):  # not the base64 of 32 raw bytes: a verifier key string
        return text
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        key = PublicKey(name=name, alg=ALG_ED25519, key=raw)
    except (ValueError, UnicodeEncodeError, NoteError) as exc:
        raise InputError(f"not an Ed25519 public key: {exc}", field="public_key") from None
    return key.vkey


@then_cosign
def revoke_key(app: AppContext, caller: Caller, process_id: int, key_id: int) -> PartyKeyOut:
    """Stop one of the caller's party's keys from signing (what it signed stays valid)."""
    with app.db.transaction(write=True) as s:
        info = info_in(s, caller, process_id)
        party = _caller_party(caller, process_id)
        row = cdb.get_party_key(s, process_id, key_id)
        if row.party_id != party:
            raise hidden()
        cdb.revoke_party_key(s, process_id, key_id, clock=app.clock)
        sign_in_transaction(app, s, process_id)
        audit(s, app, caller, "party_key.revoked", target=f"party_key:{row.id}", process_id=process_id,
              label=Label.all_parties(), detail={"party_id": party})  # fmt: skip
        return _key_out(row, info.party_names, usernames(s, [row.user_id or 0]))


class KeyList(BaseModel):
    keys: list[PartyKeyOut]
    #: keys whose row disagrees with their log entry (empty when all agree)
    log_check: list[LogCheckOut] = []


class ProposalList(BaseModel):
    proposals: list[CommitmentOut]
    #: proposals (or their consents) whose row disagrees with the log (empty when all agree)
    log_check: list[LogCheckOut] = []


def list_keys(app: AppContext, caller: Caller, process_id: int) -> KeyList:
    """Every key that signs, or signed, for a party of the process (members who read what all parties read: the keys
    are in the log, shared with every party)."""
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        check_record(caller, Action.READ, process_id, str(Label.all_parties()))
        rows = cdb.list_party_keys(s, process_id)
        users = usernames(s, [r.user_id or 0 for r in rows])
        checks = vouch(s, app, caller, process_id, keys=rows)
        return KeyList(keys=[_key_out(r, info.party_names, users) for r in rows], log_check=checks)


# --- reading -------------------------------------------------------------------------------------------------------


def _consent_out(c: ConsentRow, key: PartyKeyRow, parties: Mapping[int, str], users: Mapping[int, str]) -> ConsentOut:
    public = parse_vkey(key.vkey)
    return ConsentOut(
        party_id=c.party_id, party=parties.get(c.party_id, ""), decision=c.decision, reason=c.reason,
        by=users.get(c.user_id or 0, ""), at=c.created_at, key=key.vkey, key_fingerprint=key_fingerprint(public),
        log_index=c.log_index, signature_valid=verify_consent(c.statement, c.signature, public),
    )  # fmt: skip


def _views(
    s: Session, app: AppContext, rows: Sequence[CommitmentRow], parties: Mapping[int, str]
) -> list[CommitmentOut]:
    consents = cdb.consents_of(s, [r.id for r in rows])
    keys = cdb.keys_by_id(s, (c.key_id for c in consents))
    users = usernames(s, [*(r.created_by or 0 for r in rows), *(c.user_id or 0 for c in consents)])
    by_row: dict[int, list[ConsentOut]] = {}
    for c in consents:
        by_row.setdefault(c.commitment_id, []).append(_consent_out(c, keys[c.key_id], parties, users))
    return [commitment_out(r, now=app.clock(), party_names=parties, users=users, consents=by_row.get(r.id, []))
            for r in rows]  # fmt: skip


def commitment_views(
    s: Session, app: AppContext, rows: Sequence[CommitmentRow], parties: Mapping[int, str]
) -> list[CommitmentOut]:
    """Commitments as the API shows them: who entered them, their state, and each party's verified decision."""
    return _views(s, app, rows, parties)


def proposals(app: AppContext, caller: Caller, process_id: int) -> ProposalList:
    """Every proposal the caller may read that is not (or no longer) in force — open ones first, newest first."""
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        rows = [r for r in vdb.list_commitments(s, process_id, info.readable, in_force=False)
                if r.state != ProposalState.ACCEPTED or r.change == Change.WITHDRAWAL]  # fmt: skip
        views = _views(s, app, rows, info.party_names)
        checks = vouch(s, app, caller, process_id, commitments=rows)
    order = {ProposalState.PROPOSED.value: 0}
    return ProposalList(proposals=sorted(views, key=lambda v: (order.get(v.state, 1), -v.id)), log_check=checks)
