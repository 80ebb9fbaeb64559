"""The actor pages' operations as JSON under ``/api/v1/processes/{process_id}/actors`` (same rules as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from detente.services import actors
from detente.services.actors import DecisionOut, EntryInput, ProfileChange, ProfileInput
from detente.web.actors.network import network_view
from detente.web.actors.params import ActorPath, Filter, ProcessPath
from detente.web.actors.scope import open_scope
from detente.web.actors.views import actor_detail, decisions_view, grid_view, matrix_view, store_facts, suggestions_view
from detente.web.deps import Ctx, User, api_guard

__all__ = ["api_router"]

api_router = APIRouter(
    prefix="/api/v1/processes/{process_id}/actors", dependencies=[Depends(api_guard)], tags=["actors"]
)

_Text = Annotated[str, Field(min_length=1, max_length=2000)]
_Ref = Annotated[str, Field(min_length=1, max_length=300)]


class ProfileIn(BaseModel):
    label: str = Field(max_length=40, description="visibility label: public, all_parties, party:<id>, mediators_only")
    attitude: Literal["champion", "supporter", "neutral", "sceptic", "spoiler"]
    attitude_evidence: _Text
    attitude_date: dt.date
    power: float | None = Field(default=None, ge=0, le=1)
    interest: float | None = Field(default=None, ge=0, le=1)


class EntryIn(BaseModel):
    label: str = Field(max_length=40)
    kind: Literal["interest", "position", "leverage", "contribution"]
    text: _Text = Field(description="the interest, the stance, what the leverage is, or the contribution")
    evidence: _Text
    date: dt.date
    issue: str = Field(default="", max_length=300, description="the issue (positions)")
    over: list[_Ref] = Field(default_factory=list, max_length=20, description="actors the leverage is over")


class DecisionIn(BaseModel):
    kind: Literal["merge", "reject", "undo"]
    a: _Ref | None = Field(default=None, description="merge: the actor kept; reject: one of the pair")
    b: _Ref | None = Field(default=None, description="merge: the actor that joins it; reject: the other")
    target: str | None = Field(default=None, max_length=20, description="undo: the decision id (default: latest)")
    note: str = Field(default="", max_length=2000)
    score: float | None = Field(default=None, ge=0, le=1)


@api_router.get("", summary="The stakeholder matrix: actors with the profiles you may read")
def matrix(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    q: Annotated[str | None, Query(max_length=200)] = None,
    attitude: Annotated[Literal["champion", "supporter", "neutral", "sceptic", "spoiler"] | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    profiled: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> dict[str, Any]:
    scope = open_scope(ctx, request, p, process_id)
    return matrix_view(ctx, scope, q=q, attitude=attitude, kind=kind or None, profiled=profiled, page=page)


@api_router.get("/analysis", summary="Power–interest grid with engagement priorities and reasons")
def analysis(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, filt: Filter) -> dict[str, Any]:
    return grid_view(ctx, open_scope(ctx, request, p, process_id), filt)


@api_router.get("/network", summary="The network view's actors (with layout) and ties")
def network(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, filt: Filter) -> dict[str, Any]:
    return network_view(ctx, open_scope(ctx, request, p, process_id), filt).as_dict()


@api_router.get("/suggestions", summary="Merge suggestions with scores and reasons")
def suggestions(request: Request, ctx: Ctx, p: User, process_id: ProcessPath) -> list[dict[str, Any]]:
    return suggestions_view(open_scope(ctx, request, p, process_id))


@api_router.get("/decisions", summary="The registry's decision log (merges, rejections, undos), newest first")
def decisions(request: Request, ctx: Ctx, p: User, process_id: ProcessPath) -> list[dict[str, Any]]:
    return decisions_view(ctx, open_scope(ctx, request, p, process_id))


@api_router.post("/decisions", status_code=201, summary="Merge, reject or undo (administrators, mediators, analysts)")
def decide(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, body: DecisionIn) -> DecisionOut:
    return actors.record_decision(
        ctx, p, process_id, body.kind, a=body.a, b=body.b, target=body.target, note=body.note, score=body.score
    )


@api_router.get("/export", summary="The network as GraphML or CSV (audited; your exportable profiles only)")
def export(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    filt: Filter,
    format: Annotated[Literal["graphml", "actors.csv", "relations.csv"], Query()] = "graphml",
) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    window = filt.window(store_facts(scope)["span"]) if filt.start or filt.end else None
    body = actors.export_network(ctx, p, process_id, format, window=window, country=filt.country)
    fmt = format
    media = "application/graphml+xml" if fmt == "graphml" else "text/csv; charset=utf-8"
    name = f"actors-{process_id}-{'network.graphml' if fmt == 'graphml' else fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api_router.get("/{actor_id}", summary="One actor: registry facts, relations, recent events, readable profiles")
def actor(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, filt: Filter
) -> dict[str, Any]:
    return actor_detail(ctx, open_scope(ctx, request, p, process_id), actor_id, filt)


@api_router.put("/{actor_id}/profile", summary="Create or update the actor's profile under one label")
def put_profile(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, body: ProfileIn
) -> ProfileChange:
    data = ProfileInput(
        body.label, body.attitude, body.attitude_evidence, body.attitude_date, body.power, body.interest
    )
    return actors.set_profile(ctx, p, process_id, actor_id, data)


@api_router.post("/{actor_id}/entries", status_code=201, summary="Add an interest, position, leverage or contribution")
def post_entry(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, body: EntryIn
) -> ProfileChange:
    data = EntryInput(body.label, body.kind, body.text, body.evidence, body.date, body.issue, tuple(body.over))
    return actors.add_entry(ctx, p, process_id, actor_id, data)
