"""The CBM operations through the JSON API under ``/api/v1/processes/{process_id}/cbm``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from detente.cbm import Domain, Measure
from detente.web.cbm import service
from detente.web.cbm.catalogue import CatalogueFilter, filter_measures
from detente.web.cbm.views import measure_dict, revision_dict, revision_summary, trust_dict
from detente.web.deps import Ctx, User, api_guard
from detente.web.security import client_ip

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api/v1/processes/{process_id}/cbm", dependencies=[Depends(api_guard)], tags=["cbm"])

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
MeasurePath = Annotated[str, Path(max_length=100)]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class MeasureIn(BaseModel):
    label: str = Field(default="all_parties", max_length=40)
    measure: Measure


class TrustInputIn(BaseModel):
    truster: str = Field(min_length=1, max_length=200)
    trustee: str = Field(min_length=1, max_length=200)
    action: str = Field(pattern="^(set|nudge)$", description="set: put the belief at value; nudge: log-odds shift")
    value: float = Field(ge=-4.0, le=4.0)
    rationale: str = Field(min_length=1, max_length=2000)


class PlanIn(BaseModel):
    horizon: int = Field(default=8, ge=1, le=service.MAX_HORIZON)
    threshold: float = Field(default=0.6, gt=0.0, lt=1.0)
    max_cost: Unit = 0.6
    max_risk: Unit = 0.6
    min_verifiability: Unit = 0.5
    exclude: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class CommitmentIn(BaseModel):
    label: str = Field(default="all_parties", max_length=40)


class LabelsIn(BaseModel):
    trust_label: str | None = Field(default=None, max_length=40)
    plan_label: str | None = Field(default=None, max_length=40)


def _ip(request: Request, ctx: Ctx) -> str:
    return client_ip(request, ctx.trust_proxy)


@api_router.get("/catalogue", summary="The process's catalogue (built-in and readable process measures), filtered")
def catalogue(
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    domain: Annotated[list[Domain] | None, Query()] = None,
    max_cost: Annotated[float, Query(ge=0.0, le=1.0)] = 1.0,
    min_signal: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    min_verifiability: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    reciprocity: Annotated[str, Query(pattern="^(any|expected|unilateral)$")] = "any",
    q: Annotated[str, Query(max_length=200)] = "",
) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    f = CatalogueFilter(tuple(domain or ()), max_cost, min_signal, min_verifiability, reciprocity, q.strip())
    measures = filter_measures(cp.catalogue, f)
    return {
        "version": cp.catalogue.version,
        "total": len(cp.catalogue),
        "filter": f.query(),
        "measures": [measure_dict(m, cp.process_measures) for m in measures],
    }


@api_router.get("/catalogue/{measure_id}", summary="One measure with its examples and citations")
def measure(process_id: IdPath, measure_id: MeasurePath, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    return measure_dict(service.get_measure(cp, measure_id), cp.process_measures)


@api_router.post("/measures", status_code=201, summary="Add a process measure (validated like the built-in ones)")
def add_measure(process_id: IdPath, body: MeasureIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    made = service.add_measure(ctx, p, cp, body.measure.model_dump(mode="json"), body.label, _ip(request, ctx))
    return measure_dict(made, {made.id: body.label})


@api_router.get("/trust", summary="Current trust between the parties, with its explained history")
def trust(process_id: IdPath, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    view = service.trust_view(ctx, p, cp)
    return trust_dict(view.state, view.revision, cp.settings.trust_label)


@api_router.post("/trust/inputs", status_code=201, summary="An analyst's judgement: set or nudge one belief")
def trust_input(process_id: IdPath, body: TrustInputIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    state = service.analyst_input(
        ctx,
        p,
        cp,
        truster=body.truster,
        trustee=body.trustee,
        action=body.action,
        value=body.value,
        rationale=body.rationale,
        ip=_ip(request, ctx),
    )
    return trust_dict(state, None, cp.settings.trust_label) | {"update": state.history[-1].model_dump(mode="json")}


@api_router.get("/plans", summary="Saved plan revisions (earlier plans are kept)")
def plans(process_id: IdPath, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    history = service.list_plans(ctx, p, cp)
    return {"label": cp.settings.plan_label, "plans": [revision_summary(r) for r in reversed(history)]}


@api_router.post("/plans", status_code=201, summary="Run the planner (bounded) on the current trust and save the plan")
def make_plan(process_id: IdPath, body: PlanIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    req = service.PlanRequest(
        horizon=body.horizon,
        threshold=body.threshold,
        max_cost=body.max_cost,
        max_risk=body.max_risk,
        min_verifiability=body.min_verifiability,
        exclude=tuple(body.exclude),
        seed=body.seed,
    )
    rev = service.new_plan(ctx, p, cp, req, _ip(request, ctx))
    return revision_dict(rev, None, {})


@api_router.post("/plans/replan", status_code=201, summary="Replan from the process's verified compliance records")
def replan(process_id: IdPath, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    result = service.replan_verified(ctx, p, cp, _ip(request, ctx))
    _, before = service.get_plan(ctx, p, cp, result.revision.revision)
    return revision_dict(result.revision, before, {}) | {"records_applied": result.applied}


@api_router.get("/plans/{revision}", summary="One plan revision: steps, reasons, bands, P(goal), fallback, changes")
def plan(process_id: IdPath, revision: IdPath, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    rev, before = service.get_plan(ctx, p, cp, revision)
    return revision_dict(rev, before, service.step_links(ctx, p, cp, rev))


@api_router.post(
    "/plans/{revision}/steps/{position}/commitment",
    status_code=201,
    summary="Make a planned step a commitment in the verification module (one action)",
)
def step_commitment(
    process_id: IdPath,
    revision: IdPath,
    position: IdPath,
    body: CommitmentIn,
    request: Request,
    ctx: Ctx,
    p: User,
) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    cid = service.make_commitment(ctx, p, cp, revision, position, label=body.label, ip=_ip(request, ctx))
    return {"commitment_id": cid, "revision": revision, "position": position, "label": body.label}


@api_router.put("/labels", summary="Who reads the trust state and the plans (visibility labels)")
def labels(process_id: IdPath, body: LabelsIn, request: Request, ctx: Ctx, p: User) -> dict[str, Any]:
    cp = service.open_process(ctx, p, process_id)
    updated = service.set_labels(
        ctx, p, cp, trust_label=body.trust_label, plan_label=body.plan_label, ip=_ip(request, ctx)
    )
    return updated.model_dump()
