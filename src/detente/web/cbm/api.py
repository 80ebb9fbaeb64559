"""The CBM operations through the JSON API under ``/api/v1/processes/{process_id}/cbm``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from detente.cbm import CbmSettings, Domain, Measure
from detente.cbm.process_catalogue import CatalogueFilter, filter_measures
from detente.services import cbm, cbm_plans
from detente.services.cbm_views import (
    MeasureOut,
    PlanRevisionOut,
    PlanSummaryOut,
    TrustOut,
    measure_out,
    revision_out,
    revision_summary,
    trust_out,
)
from detente.web.api import ErrorBody
from detente.web.deps import Ctx, User, api_guard

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
    horizon: int = Field(default=8, ge=1, le=cbm_plans.MAX_HORIZON)
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


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 404, 409, 422, 503)
}


class CatalogueOut(BaseModel):
    version: str
    total: int
    filter: dict[str, Any]
    measures: list[MeasureOut]


class PlansOut(BaseModel):
    label: str
    plans: list[PlanSummaryOut]


class StepCommitmentOut(BaseModel):
    commitment_id: int
    revision: int
    position: int
    label: str


@api_router.get("/catalogue", response_model=CatalogueOut, responses=_ERRORS,
                summary="The process's catalogue (built-in and readable process measures), filtered")  # fmt: skip
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
) -> CatalogueOut:
    cp = cbm.open_process(ctx, p, process_id)
    f = CatalogueFilter(tuple(domain or ()), max_cost, min_signal, min_verifiability, reciprocity, q.strip())
    return CatalogueOut(
        version=cp.catalogue.version,
        total=len(cp.catalogue),
        filter=f.query(),
        measures=[measure_out(m, cp.process_measures) for m in filter_measures(cp.catalogue, f)],
    )


@api_router.get("/catalogue/{measure_id}", response_model=MeasureOut, responses=_ERRORS,
                summary="One measure with its examples and citations")  # fmt: skip
def measure(process_id: IdPath, measure_id: MeasurePath, ctx: Ctx, p: User) -> MeasureOut:
    cp = cbm.open_process(ctx, p, process_id)
    return measure_out(cbm.get_measure(cp, measure_id), cp.process_measures)


@api_router.post("/measures", status_code=201, response_model=MeasureOut, responses=_ERRORS,
                 summary="Add a process measure (validated like the built-in ones)")  # fmt: skip
def add_measure(process_id: IdPath, body: MeasureIn, ctx: Ctx, p: User) -> MeasureOut:
    cp = cbm.open_process(ctx, p, process_id)
    made = cbm.add_measure(ctx, p, cp, body.measure.model_dump(mode="json"), body.label)
    return measure_out(made, {made.id: cp.check_label(body.label)})


@api_router.get("/trust", response_model=TrustOut, responses=_ERRORS,
                summary="Current trust between the parties, with its explained history")  # fmt: skip
def trust(process_id: IdPath, ctx: Ctx, p: User) -> TrustOut:
    cp = cbm.open_process(ctx, p, process_id)
    view = cbm.trust_view(ctx, p, cp)
    return trust_out(view.state, view.revision, view.label)


@api_router.post("/trust/inputs", status_code=201, response_model=TrustOut, responses=_ERRORS,
                 summary="An analyst's judgement: set or nudge one belief")  # fmt: skip
def trust_input(process_id: IdPath, body: TrustInputIn, ctx: Ctx, p: User) -> TrustOut:
    cp = cbm.open_process(ctx, p, process_id)
    state = cbm.analyst_input(
        ctx, p, cp, truster=body.truster, trustee=body.trustee, action=body.action, value=body.value,
        rationale=body.rationale,
    )  # fmt: skip
    out = trust_out(state, None, cp.settings.trust_label)
    out.update = state.history[-1]
    return out


@api_router.get("/plans", response_model=PlansOut, responses=_ERRORS,
                summary="Saved plan revisions you may read (earlier plans are kept)")  # fmt: skip
def plans(process_id: IdPath, ctx: Ctx, p: User) -> PlansOut:
    cp = cbm.open_process(ctx, p, process_id)
    history = cbm_plans.list_plans(ctx, p, cp)
    return PlansOut(label=cp.settings.plan_label, plans=[revision_summary(r) for r in reversed(history)])


@api_router.post("/plans", status_code=201, response_model=PlanRevisionOut, responses=_ERRORS,
                 summary="Run the planner (bounded) on the current trust and save the plan")  # fmt: skip
def make_plan(process_id: IdPath, body: PlanIn, ctx: Ctx, p: User) -> PlanRevisionOut:
    cp = cbm.open_process(ctx, p, process_id)
    req = cbm_plans.PlanRequest(
        horizon=body.horizon,
        threshold=body.threshold,
        max_cost=body.max_cost,
        max_risk=body.max_risk,
        min_verifiability=body.min_verifiability,
        exclude=tuple(body.exclude),
        seed=body.seed,
    )
    return revision_out(cbm_plans.new_plan(ctx, p, cp, req), None, {})


@api_router.post("/plans/replan", status_code=201, response_model=PlanRevisionOut, responses=_ERRORS,
                 summary="Replan from the process's verified compliance records")  # fmt: skip
def replan(process_id: IdPath, ctx: Ctx, p: User) -> PlanRevisionOut:
    cp = cbm.open_process(ctx, p, process_id)
    result = cbm_plans.replan_verified(ctx, p, cp)
    _, before = cbm_plans.get_plan(ctx, p, cp, result.revision.revision.revision)
    out = revision_out(result.revision, before, {})
    out.records_applied = result.applied
    out.trust_moves = list(result.trust_moves)
    return out


@api_router.get("/plans/{revision}", response_model=PlanRevisionOut, responses=_ERRORS,
                summary="One plan revision: steps, reasons, bands, P(goal), fallback, changes")  # fmt: skip
def plan(process_id: IdPath, revision: IdPath, ctx: Ctx, p: User) -> PlanRevisionOut:
    cp = cbm.open_process(ctx, p, process_id)
    rev, before = cbm_plans.get_plan(ctx, p, cp, revision)
    return revision_out(rev, before, cbm_plans.step_links(ctx, p, cp, rev.revision))


@api_router.post(
    "/plans/{revision}/steps/{position}/commitment",
    status_code=201,
    response_model=StepCommitmentOut,
    responses=_ERRORS,
    summary="Make a planned step a commitment in the verification module (one action)",
)
def step_commitment(
    process_id: IdPath, revision: IdPath, position: IdPath, body: CommitmentIn, ctx: Ctx, p: User
) -> StepCommitmentOut:
    cp = cbm.open_process(ctx, p, process_id)
    cid = cbm_plans.make_commitment(ctx, p, cp, revision, position, label=body.label)
    return StepCommitmentOut(commitment_id=cid, revision=revision, position=position, label=body.label)


@api_router.put("/labels", response_model=CbmSettings, responses=_ERRORS,
                summary="Who reads the trust state and the plans (visibility labels)")  # fmt: skip
def labels(process_id: IdPath, body: LabelsIn, ctx: Ctx, p: User) -> CbmSettings:
    cp = cbm.open_process(ctx, p, process_id)
    return cbm.set_labels(ctx, p, cp, trust_label=body.trust_label, plan_label=body.plan_label)
