"""The JSON API under ``/api/v1``: accounts, tokens, processes, members, notes, audit.

Authentication: a session cookie (then state-changing requests carry ``X-CSRF-Token``) or
``Authorization: Bearer <token>`` with the scopes read / write / admin. The routes only translate: every use case,
with its access decision, is a call to :mod:`detente.services`; every answer has a typed response model.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from detente.services import accounts
from detente.services import audit as audit_svc
from detente.services import notes as notes_svc
from detente.services import processes as process_svc
from detente.services.accounts import IssuedTokenOut, TokenOut, UserOut
from detente.services.audit import AuditEventOut
from detente.services.notes import NoteOut, NotePage
from detente.services.processes import MembershipOut, PartyOut, ProcessCreated, ProcessDetail, ProcessSummary
from detente.web.deps import Ctx, User, api_guard

__all__ = ["ERROR_RESPONSES", "router"]

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_guard)], tags=["api"])

PositiveId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


#: the error answers every route documents (one shape)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 404, 409, 422, 429)
}
_ERRORS = ERROR_RESPONSES


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    is_admin: bool
    via: str
    scopes: list[str]
    csrf_token: str | None
    #: the account's second factor: "enrolled", "required" (to be set up before anything else) or "none"
    second_factor: str = "none"


class ProcessIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    parties: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=20)


class PartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class MemberIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field(max_length=32)
    party_id: PositiveId | None = None


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000)
    label: str = Field(max_length=40)


class NotePatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)
    label: str | None = Field(default=None, max_length=40)


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    display_name: str | None = Field(default=None, max_length=200)
    is_admin: bool = False


class AdminFlag(BaseModel):
    is_admin: bool


class ActiveFlag(BaseModel):
    active: bool


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=3)
    #: default 90 days; at most 365
    expires_in_days: int | None = Field(default=None, ge=1, le=365)


IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ProcessList(BaseModel):
    processes: list[ProcessSummary]


class UserList(BaseModel):
    users: list[UserOut]


class AuditList(BaseModel):
    events: list[AuditEventOut]


class TokenList(BaseModel):
    tokens: list[TokenOut]


class NoteExport(BaseModel):
    notes: list[NoteOut]


@router.get("/me", response_model=Me, responses=_ERRORS)
def me(p: User) -> Me:
    return Me(
        id=p.user_id or 0,
        username=p.username,
        display_name=p.display_name,
        is_admin=p.is_admin,
        via=p.via,
        scopes=sorted(p.scopes),
        csrf_token=p.csrf_token,
        second_factor="enrolled" if p.enrolled else ("required" if p.must_enrol else "none"),
    )


@router.get("/processes", response_model=ProcessList, responses=_ERRORS)
def list_processes(ctx: Ctx, p: User) -> ProcessList:
    return ProcessList(processes=process_svc.list_processes(ctx, p))


@router.post("/processes", status_code=201, response_model=ProcessCreated, responses=_ERRORS)
def create_process(body: ProcessIn, ctx: Ctx, p: User) -> ProcessCreated:
    return process_svc.create_process(ctx, p, body.name, body.description, body.parties)


@router.get("/processes/{process_id}", response_model=ProcessDetail, responses=_ERRORS)
def process(process_id: IdPath, ctx: Ctx, p: User) -> ProcessDetail:
    return process_svc.process_detail(ctx, p, process_id)


@router.post("/processes/{process_id}/parties", status_code=201, response_model=PartyOut, responses=_ERRORS)
def add_party(process_id: IdPath, body: PartyIn, ctx: Ctx, p: User) -> PartyOut:
    return process_svc.add_party(ctx, p, process_id, body.name)


@router.put("/processes/{process_id}/members", response_model=MembershipOut, responses=_ERRORS)
def set_member(process_id: IdPath, body: MemberIn, ctx: Ctx, p: User) -> MembershipOut:
    return process_svc.set_member(ctx, p, process_id, body.username, body.role, body.party_id)


@router.delete("/processes/{process_id}/members/{user_id}", status_code=204, responses=_ERRORS)
def remove_member(process_id: IdPath, user_id: IdPath, ctx: Ctx, p: User) -> Response:
    process_svc.remove_member(ctx, p, process_id, user_id)
    return Response(status_code=204)


@router.get("/processes/{process_id}/notes", response_model=NotePage, responses=_ERRORS)
def list_notes(
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    q: Annotated[str | None, Query(max_length=200, description="search title and body")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotePage:
    return notes_svc.list_notes(ctx, p, process_id, query=q or None, limit=limit, offset=offset)


@router.post("/processes/{process_id}/notes", status_code=201, response_model=NoteOut, responses=_ERRORS)
def create_note(process_id: IdPath, body: NoteIn, ctx: Ctx, p: User) -> NoteOut:
    return notes_svc.create_note(ctx, p, process_id, body.title, body.body, body.label)


@router.get("/processes/{process_id}/notes/export", response_model=NoteExport, responses=_ERRORS)
def export_notes(process_id: IdPath, ctx: Ctx, p: User) -> NoteExport:
    return NoteExport(notes=notes_svc.export_notes(ctx, p, process_id))


@router.get("/processes/{process_id}/notes/{note_id}", response_model=NoteOut, responses=_ERRORS)
def note(process_id: IdPath, note_id: IdPath, ctx: Ctx, p: User) -> NoteOut:
    return notes_svc.get_note(ctx, p, process_id, note_id)


@router.patch("/processes/{process_id}/notes/{note_id}", response_model=NoteOut, responses=_ERRORS)
def patch_note(process_id: IdPath, note_id: IdPath, body: NotePatch, ctx: Ctx, p: User) -> NoteOut:
    return notes_svc.update_note(ctx, p, process_id, note_id, title=body.title, body=body.body, label=body.label)


@router.delete("/processes/{process_id}/notes/{note_id}", status_code=204, responses=_ERRORS)
def delete_note(process_id: IdPath, note_id: IdPath, ctx: Ctx, p: User) -> Response:
    notes_svc.delete_note(ctx, p, process_id, note_id)
    return Response(status_code=204)


@router.get("/users", response_model=UserList, responses=_ERRORS)
def users(ctx: Ctx, p: User) -> UserList:
    return UserList(users=accounts.list_users(ctx, p))


@router.post("/users", status_code=201, response_model=UserOut, responses=_ERRORS)
def create_user(body: UserIn, ctx: Ctx, p: User) -> UserOut:
    return accounts.create_user(ctx, p, body.username, body.password, body.display_name, body.is_admin)


@router.put("/users/{user_id}/admin", response_model=UserOut, responses=_ERRORS)
def set_admin(user_id: IdPath, body: AdminFlag, ctx: Ctx, p: User) -> UserOut:
    return accounts.set_admin(ctx, p, user_id, body.is_admin)


@router.put("/users/{user_id}/active", response_model=UserOut, responses=_ERRORS)
def set_active(user_id: IdPath, body: ActiveFlag, ctx: Ctx, p: User) -> UserOut:
    return accounts.set_active(ctx, p, user_id, body.active)


@router.put("/users/{user_id}/password", status_code=204, responses=_ERRORS)
def reset_password(user_id: IdPath, body: PasswordIn, ctx: Ctx, p: User) -> Response:
    accounts.reset_password(ctx, p, user_id, body.password)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditList, responses=_ERRORS)
def audit_trail(
    ctx: Ctx,
    p: User,
    action: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditList:
    return AuditList(events=audit_svc.list_audit(ctx, p, action=action, before_id=before_id, limit=limit))


@router.get("/tokens", response_model=TokenList, responses=_ERRORS)
def tokens(
    ctx: Ctx,
    p: User,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    everyone: Annotated[bool, Query(alias="all")] = False,
) -> TokenList:
    """The caller's tokens; an instance administrator may ask for one user's (``user_id``) or everyone's (``all``)."""
    return TokenList(tokens=accounts.list_tokens(ctx, p, user=user_id, everyone=everyone))


@router.post("/tokens", status_code=201, response_model=IssuedTokenOut, responses=_ERRORS)
def create_token(body: TokenIn, ctx: Ctx, p: User) -> IssuedTokenOut:
    return accounts.create_token(ctx, p, body.name, body.scopes, expires_in_days=body.expires_in_days)


@router.delete("/tokens/{token_id}", status_code=204, responses=_ERRORS)
def revoke_token(token_id: IdPath, ctx: Ctx, p: User) -> Response:
    accounts.revoke_token(ctx, p, token_id)
    return Response(status_code=204)
