"""Consent of the bound party through the JSON API, under ``/api/v1/processes/{id}/verification``: proposals,
amendments and withdrawals, the statement a party's representative signs, its signed decision, and the keys that
speak for each party. The same service calls as the pages and the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from detente.services import consent
from detente.services.consent import KeyList, PartyKeyOut, ProposalList, StatementOut
from detente.services.verification_models import CommitmentOut
from detente.web.deps import Ctx, User, api_guard
from detente.web.verification.api import ERRORS, CommitmentIn, IdPath, vouched

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/processes/{process_id}/verification", dependencies=[Depends(api_guard)], tags=["consent"]
)

Decision = Annotated[str, Field(pattern="^(accept|decline)$", description="accept or decline")]


class WithdrawalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=20_000)
    expires_in_days: int | None = Field(default=None, ge=1, le=consent.MAX_EXPIRY_DAYS)


class DecisionIn(BaseModel):
    decision: Decision
    reason: str = Field(default="", max_length=20_000, description="why (required to decline; as signed)")
    signature: str = Field(min_length=1, max_length=200, description="base64 Ed25519 signature of the statement")


class KeyIn(BaseModel):
    public_key: str = Field(min_length=40, max_length=400, description="a verifier key, or raw Ed25519 in base64")
    name: str | None = Field(default=None, max_length=100, pattern=r"^[^\s+]+$")


@router.get("/proposals", response_model=ProposalList, responses=ERRORS)
def proposals(process_id: IdPath, ctx: Ctx, p: User) -> ProposalList:
    """Proposals not in force (open ones first, with the parties still to decide; then declined and expired)."""
    return vouched(consent.proposals(ctx, p, process_id))


@router.post("/commitments/{commitment_id}/amendments", status_code=201, response_model=CommitmentOut,
             responses=ERRORS)  # fmt: skip
def amend(process_id: IdPath, commitment_id: IdPath, body: CommitmentIn, ctx: Ctx, p: User) -> CommitmentOut:
    """Propose a new text for a commitment in force (every party bound by either text must accept it)."""
    return consent.propose_amendment(ctx, p, process_id, commitment_id, body.model_dump(exclude_none=True))


@router.post("/commitments/{commitment_id}/withdrawals", status_code=201, response_model=CommitmentOut,
             responses=ERRORS)  # fmt: skip
def withdraw(process_id: IdPath, commitment_id: IdPath, body: WithdrawalIn, ctx: Ctx, p: User) -> CommitmentOut:
    """Propose to end a commitment in force (every party it binds must accept)."""
    return consent.propose_withdrawal(ctx, p, process_id, commitment_id, reason=body.reason,
                                      expires_in_days=body.expires_in_days)  # fmt: skip


@router.get("/commitments/{commitment_id}/statement", response_model=StatementOut, responses=ERRORS)
def statement(
    process_id: IdPath,
    commitment_id: IdPath,
    ctx: Ctx,
    p: User,
    decision: Annotated[str, Query(pattern="^(accept|decline)$")],
    reason: Annotated[str, Query(max_length=20_000)] = "",
) -> StatementOut:
    """The exact text your party signs to accept or decline this proposal, and the log entry it names (check that
    the entry's bytes hash to the leaf hash before signing)."""
    return consent.statement_for(ctx, p, process_id, commitment_id, decision=decision, reason=reason)


@router.post("/commitments/{commitment_id}/decisions", status_code=201, response_model=CommitmentOut,
             responses=ERRORS)  # fmt: skip
def decide(process_id: IdPath, commitment_id: IdPath, body: DecisionIn, ctx: Ctx, p: User) -> CommitmentOut:
    """Your party's signed decision; the proposal is in force once every bound party accepted it."""
    return consent.decide(ctx, p, process_id, commitment_id, decision=body.decision, reason=body.reason,
                          signature=body.signature)  # fmt: skip


@router.get("/keys", response_model=KeyList, responses=ERRORS)
def keys(process_id: IdPath, ctx: Ctx, p: User) -> KeyList:
    """Every key that signs, or signed, for a party of the process."""
    return vouched(consent.list_keys(ctx, p, process_id))


@router.post("/keys", status_code=201, response_model=PartyKeyOut, responses=ERRORS)
def register_key(process_id: IdPath, body: KeyIn, ctx: Ctx, p: User) -> PartyKeyOut:
    """Register a public key your party signs with (party representatives; logged for every party to see)."""
    return consent.register_key(ctx, p, process_id, body.public_key, name=body.name)


@router.post("/keys/{key_id}/revocation", status_code=201, response_model=PartyKeyOut, responses=ERRORS)
def revoke_key(process_id: IdPath, key_id: IdPath, ctx: Ctx, p: User) -> PartyKeyOut:
    """Stop one of your party's keys from signing (what it signed stays valid)."""
    return consent.revoke_key(ctx, p, process_id, key_id)
