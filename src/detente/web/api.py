"""The JSON API under ``/api/v1``: accounts, tokens, processes, members, notes, audit.

Authentication: a session cookie (then state-changing requests carry ``X-CSRF-Token``) or
``Authorization: Bearer <token>`` with the scopes read / write / admin. Every decision is made in :mod:`ops`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from detente.web import ops
from detente.web.deps import Ctx, User, api_guard
from detente.web.security import client_ip

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_guard)], tags=["api"])

PositiveId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 404, 409, 422, 429)
}


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    is_admin: bool
    via: str
    scopes: list[str]
    csrf_token: str | None


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


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=3)


IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _ip(request: Request, ctx: Ctx) -> str:
    return client_ip(request, ctx.trust_proxy)


@router.get("/me", response_model=Me, responses=_ERRORS)
def me(p: User) -> Me:
    return Me(
        id=p.user_id,
        username=p.username,
        display_name=p.display_name,
        is_admin=p.is_admin,
        via=p.via,
        scopes=sorted(p.scopes),
        csrf_token=p.csrf_token,
    )


@router.get("/processes", responses=_ERRORS)
def processes(ctx: Ctx, p: User) -> dict[str, Any]:
    return {"processes": ops.list_processes(ctx, p)}


@router.post("/processes", status_code=201, responses=_ERRORS)
def create_process(body: ProcessIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.create_process(ctx, p, body.name, body.description, body.parties, _ip(request, ctx))


@router.get("/processes/{process_id}", responses=_ERRORS)
def process(process_id: IdPath, ctx: Ctx, p: User) -> dict[str, Any]:
    view = ops.process_view(ctx, p, process_id)
    return {
        **view.process,
        "parties": view.parties,
        "members": view.members,
        "creatable_labels": view.creatable_labels,
        "readable_labels": view.readable_labels,
    }


@router.post("/processes/{process_id}/parties", status_code=201, responses=_ERRORS)
def add_party(process_id: IdPath, body: PartyIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.add_party(ctx, p, process_id, body.name, _ip(request, ctx))


@router.put("/processes/{process_id}/members", responses=_ERRORS)
def set_member(process_id: IdPath, body: MemberIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.set_member(ctx, p, process_id, body.username, body.role, body.party_id, _ip(request, ctx))


@router.delete("/processes/{process_id}/members/{user_id}", status_code=204, responses=_ERRORS)
def remove_member(process_id: IdPath, user_id: IdPath, request: Request, ctx: Ctx, p: User) -> Response:
    ops.remove_member(ctx, p, process_id, user_id, _ip(request, ctx))
    return Response(status_code=204)


@router.get("/processes/{process_id}/notes", responses=_ERRORS)
def notes(
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    q: Annotated[str | None, Query(max_length=200, description="search title and body")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    rows, total = ops.list_notes(ctx, p, process_id, query=q or None, limit=limit, offset=offset)
    return {"notes": rows, "total": total, "limit": limit, "offset": offset}


@router.post("/processes/{process_id}/notes", status_code=201, responses=_ERRORS)
def create_note(process_id: IdPath, body: NoteIn, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.create_note(ctx, p, process_id, body.title, body.body, body.label)


@router.get("/processes/{process_id}/notes/export", responses=_ERRORS)
def export_notes(process_id: IdPath, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return {"notes": ops.export_notes(ctx, p, process_id, _ip(request, ctx))}


@router.get("/processes/{process_id}/notes/{note_id}", responses=_ERRORS)
def note(process_id: IdPath, note_id: IdPath, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.get_note(ctx, p, process_id, note_id)


@router.patch("/processes/{process_id}/notes/{note_id}", responses=_ERRORS)
def patch_note(process_id: IdPath, note_id: IdPath, body: NotePatch, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.update_note(ctx, p, process_id, note_id, title=body.title, body=body.body, label=body.label)


@router.delete("/processes/{process_id}/notes/{note_id}", status_code=204, responses=_ERRORS)
def delete_note(process_id: IdPath, note_id: IdPath, request: Request, ctx: Ctx, p: User) -> Response:
    ops.delete_note(ctx, p, process_id, note_id, _ip(request, ctx))
    return Response(status_code=204)


@router.get("/users", responses=_ERRORS)
def users(ctx: Ctx, p: User) -> dict[str, Any]:
    return {"users": ops.list_users(ctx, p)}


@router.post("/users", status_code=201, responses=_ERRORS)
def create_user(body: UserIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.create_user(ctx, p, body.username, body.password, body.display_name, body.is_admin, _ip(request, ctx))


@router.put("/users/{user_id}/admin", responses=_ERRORS)
def set_admin(user_id: IdPath, body: AdminFlag, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.set_admin(ctx, p, user_id, body.is_admin, _ip(request, ctx))


@router.put("/users/{user_id}/password", status_code=204, responses=_ERRORS)
def reset_password(user_id: IdPath, body: PasswordIn, request: Request, ctx: Ctx, p: User) -> Response:
    ops.reset_password(ctx, p, user_id, body.password, _ip(request, ctx))
    return Response(status_code=204)


@router.get("/audit", responses=_ERRORS)
def audit(
    ctx: Ctx,
    p: User,
    action: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    return {"events": ops.list_audit(ctx, p, action=action, before_id=before_id, limit=limit)}


@router.get("/tokens", responses=_ERRORS)
def tokens(ctx: Ctx, p: User) -> dict[str, Any]:
    return {"tokens": ops.list_tokens(ctx, p)}


@router.post("/tokens", status_code=201, responses=_ERRORS)
def create_token(body: TokenIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    return ops.create_token(ctx, p, body.name, body.scopes, _ip(request, ctx))


@router.delete("/tokens/{token_id}", status_code=204, responses=_ERRORS)
def revoke_token(token_id: IdPath, request: Request, ctx: Ctx, p: User) -> Response:
    ops.revoke_token(ctx, p, token_id, _ip(request, ctx))
    return Response(status_code=204)
