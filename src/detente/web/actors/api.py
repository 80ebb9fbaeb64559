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
from detente.web.api import ErrorBody
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


class MatrixOut(BaseModel):
    """One row per readable profile (an actor without one has one empty row), profiled actors first."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    kinds: list[str]
    attitudes: list[str]
    profiled_actors: int
    actors: int


class GridOut(BaseModel):
    window: str
    placements: list[dict[str, Any]]
    total: int
    notes: list[str]


class NodeOut(BaseModel):
    id: str
    name: str
    kind: str
    shape: str
    x: float
    y: float
    size: float
    pagerank: float
    betweenness: float
    spoiler_risk: float
    likely_spoiler: bool
    community: int | None
    events: int


class EdgeOut(BaseModel):
    source: str
    target: str
    layer: str
    weight: int
    fatalities: int
    trend: str


class NetworkOut(BaseModel):
    window: str
    actors_in_window: int
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class SuggestionOut(BaseModel):
    a: dict[str, Any]
    b: dict[str, Any]
    score: float
    reasons: list[str]


class DecisionLogOut(BaseModel):
    id: str
    kind: str
    at: str
    by: str
    into: str | None
    into_name: str | None
    other: str | None
    other_name: str | None
    target: str | None
    note: str
    score: float | None
    active: bool
    stale: bool


class ActorDetailOut(BaseModel):
    actor: dict[str, Any]
    window: str
    relations: list[dict[str, Any]]
    relations_total: int
    events: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    analyst_relations: list[dict[str, Any]]
    scores: dict[str, Any] | None


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 404, 409, 422)
}


@api_router.get("", response_model=MatrixOut, responses=_ERRORS,
                summary="The stakeholder matrix: actors with the profiles you may read")  # fmt: skip
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
) -> MatrixOut:
    scope = open_scope(ctx, request, p, process_id)
    found = matrix_view(ctx, scope, q=q, attitude=attitude, kind=kind or None, profiled=profiled, page=page)
    return MatrixOut.model_validate(found)


@api_router.get("/analysis", response_model=GridOut, responses=_ERRORS,
                summary="Power–interest grid with engagement priorities and reasons")  # fmt: skip
def analysis(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, filt: Filter) -> GridOut:
    return GridOut.model_validate(grid_view(ctx, open_scope(ctx, request, p, process_id), filt))


@api_router.get("/network", response_model=NetworkOut, responses=_ERRORS,
                summary="The network view's actors (with layout) and ties")  # fmt: skip
def network(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, filt: Filter) -> NetworkOut:
    return NetworkOut.model_validate(network_view(ctx, open_scope(ctx, request, p, process_id), filt).as_dict())


@api_router.get("/suggestions", response_model=list[SuggestionOut], responses=_ERRORS,
                summary="Merge suggestions with scores and reasons")  # fmt: skip
def suggestions(request: Request, ctx: Ctx, p: User, process_id: ProcessPath) -> list[SuggestionOut]:
    return [SuggestionOut.model_validate(x) for x in suggestions_view(open_scope(ctx, request, p, process_id))]


@api_router.get("/decisions", response_model=list[DecisionLogOut], responses=_ERRORS,
                summary="The registry's decision log (merges, rejections, undos), newest first")  # fmt: skip
def decisions(request: Request, ctx: Ctx, p: User, process_id: ProcessPath) -> list[DecisionLogOut]:
    return [DecisionLogOut.model_validate(x) for x in decisions_view(ctx, open_scope(ctx, request, p, process_id))]


@api_router.post("/decisions", status_code=201, response_model=DecisionOut, responses=_ERRORS,
                 summary="Merge, reject or undo (administrators, mediators, analysts)")  # fmt: skip
def decide(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, body: DecisionIn) -> DecisionOut:
    return actors.record_decision(
        ctx, p, process_id, body.kind, a=body.a, b=body.b, target=body.target, note=body.note, score=body.score
    )


@api_router.get(
    "/export",
    responses={
        **_ERRORS,
        200: {"content": {"application/graphml+xml": {}, "text/csv": {}}, "description": "the network file"},
    },
    summary="The network as GraphML or CSV (audited; your exportable profiles only)",
)
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


@api_router.get("/{actor_id}", response_model=ActorDetailOut, responses=_ERRORS,
                summary="One actor: registry facts, relations, recent events, readable profiles")  # fmt: skip
def actor(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, filt: Filter
) -> ActorDetailOut:
    return ActorDetailOut.model_validate(actor_detail(ctx, open_scope(ctx, request, p, process_id), actor_id, filt))


@api_router.put("/{actor_id}/profile", response_model=ProfileChange, responses=_ERRORS,
                summary="Create or update the actor's profile under one label")  # fmt: skip
def put_profile(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, body: ProfileIn
) -> ProfileChange:
    data = ProfileInput(
        body.label, body.attitude, body.attitude_evidence, body.attitude_date, body.power, body.interest
    )
    return actors.set_profile(ctx, p, process_id, actor_id, data)


@api_router.post("/{actor_id}/entries", status_code=201, response_model=ProfileChange, responses=_ERRORS,
                 summary="Add an interest, position, leverage or contribution")  # fmt: skip
def post_entry(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, body: EntryIn
) -> ProfileChange:
    data = EntryInput(body.label, body.kind, body.text, body.evidence, body.date, body.issue, tuple(body.over))
    return actors.add_entry(ctx, p, process_id, actor_id, data)
