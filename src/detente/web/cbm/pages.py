"""The CBM pages of a process: catalogue browser and measure detail, trust with its history, plan builder, saved
plans and one plan revision. Forms post with the CSRF token and redirect (post/redirect/get) with a fixed code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from detente.cbm import Domain, VerificationMethod
from detente.cbm.process_catalogue import CatalogueFilter, filter_measures
from detente.services import cbm, cbm_plans
from detente.services.cbm import CbmProcess
from detente.services.cbm_views import changes, revision_summary
from detente.web.cbm.svg import history_svg, trajectory_svg
from detente.web.deps import Ctx, User, page_guard
from detente.web.pages import MESSAGES, render

__all__ = ["page_router"]

page_router = APIRouter(
    prefix="/processes/{process_id}/cbm", dependencies=[Depends(page_guard)], include_in_schema=False
)

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
Unit = Annotated[float, Form(ge=0.0, le=1.0)]

CBM_MESSAGES = {
    "measure_added": "The measure is added to this process's catalogue.",
    "trust_saved": "Your judgement is recorded in the trust history.",
    "plan_saved": "The plan is saved as a new revision.",
    "replanned": "Replanned from the verified outcomes; the earlier plan is kept.",
    "commitment_made": "The step is now a commitment in the verification record.",
    "labels_saved": "Visibility is changed.",
}


def _page(request: Request, name: str, cp: CbmProcess, tab: str, context: dict[str, Any]) -> Response:
    done = request.query_params.get("done", "")
    flash = CBM_MESSAGES.get(done) or MESSAGES.get(done)
    principal = request.state.principal
    base = {"cp": cp, "tab": tab, "flash": flash, "label_names": _label_names(cp),
            "tabs": cbm.permissions(principal, cp) if principal is not None else None}  # fmt: skip
    return render(request, f"cbm/{name}", {**base, **context})


def _label_names(cp: CbmProcess) -> dict[str, str]:
    out = {}
    for label in cp.labels():
        if label.startswith("party:"):
            out[label] = f"only {cp.parties.get(int(label[6:]), label)} and the mediators"
        else:
            out[label] = {"public": "public", "all_parties": "all parties", "mediators_only": "mediators only"}[label]
    return out


def _see(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


@page_router.get("", response_class=HTMLResponse, name="cbm_home")
def home(process_id: IdPath, ctx: Ctx, p: User) -> Response:
    """The plans for those who may read them, else the catalogue every member may browse."""
    cp = cbm.open_process(ctx, p, process_id)
    where = "plans" if cbm.permissions(p, cp).may_read_plans else "catalogue"
    return RedirectResponse(f"/processes/{process_id}/cbm/{where}", status_code=303)


@page_router.get("/catalogue", response_class=HTMLResponse)
def catalogue(
    request: Request,
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    domain: Annotated[list[Domain] | None, Query()] = None,
    max_cost: Annotated[float, Query(ge=0.0, le=1.0)] = 1.0,
    min_signal: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    min_verifiability: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    reciprocity: Annotated[str, Query(pattern="^(any|expected|unilateral)$")] = "any",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    f = CatalogueFilter(tuple(domain or ()), max_cost, min_signal, min_verifiability, reciprocity, q.strip())
    perms = cbm.permissions(p, cp)
    context = {
        "f": f,
        "measures": filter_measures(cp.catalogue, f),
        "domains": list(Domain),
        "methods": list(VerificationMethod),
        "may_add": bool(perms.plannable),
        "add_labels": perms.plannable,
    }
    return _page(request, "catalogue.html", cp, "catalogue", context)


@page_router.get("/catalogue/{measure_id}", response_class=HTMLResponse)
def measure(
    request: Request, process_id: IdPath, measure_id: Annotated[str, Path(max_length=100)], ctx: Ctx, p: User
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    m = cbm.get_measure(cp, measure_id)
    stored = next((s for s in cp.stored if s.measure.id == m.id), None) if m.id in cp.process_measures else None
    needed_by = [x for x in cp.catalogue if m.id in x.prerequisites]
    context = {"m": m, "stored": stored, "needed_by": needed_by}
    return _page(request, "measure.html", cp, "catalogue", context)


@page_router.post("/measures")
def add_measure(
    request: Request,
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    id: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    domain: Annotated[Domain, Form()],
    description: Annotated[str, Form(max_length=5000)],
    cost_to_initiator: Unit,
    risk_to_initiator: Unit,
    signal_strength: Unit,
    reversibility: Unit,
    verifiability: Unit,
    sovereignty_sensitivity: Unit,
    time_to_implement_days: Annotated[int, Form(ge=0, le=3650)],
    verification_methods: Annotated[list[VerificationMethod], Form()],
    label: Annotated[str, Form(max_length=40)] = "all_parties",
    prerequisites: Annotated[str, Form(max_length=1000)] = "",
    reciprocity_expected: Annotated[bool, Form()] = False,
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    fields = {
        "id": id.strip(),
        "name": name,
        "domain": domain.value,
        "description": description,
        "cost_to_initiator": cost_to_initiator,
        "risk_to_initiator": risk_to_initiator,
        "signal_strength": signal_strength,
        "reversibility": reversibility,
        "verifiability": verifiability,
        "sovereignty_sensitivity": sovereignty_sensitivity,
        "time_to_implement_days": time_to_implement_days,
        "verification_methods": [m.value for m in verification_methods],
        "prerequisites": [x.strip() for x in prerequisites.replace(",", " ").split() if x.strip()],
        "reciprocity_expected": reciprocity_expected,
    }
    made = cbm.add_measure(ctx, p, cp, fields, label)
    return _see(f"/processes/{process_id}/cbm/catalogue/{made.id}", "measure_added")


@page_router.get("/trust", response_class=HTMLResponse)
def trust(request: Request, process_id: IdPath, ctx: Ctx, p: User) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    view = cbm.trust_view(ctx, p, cp)
    may_relabel = cbm.permissions(p, cp).may_relabel_trust
    context = {
        "view": view,
        "beliefs": sorted(view.state.beliefs().items()),
        "chart": history_svg(view.state),
        "history": list(reversed(view.state.history)),
        "may_relabel": may_relabel,
    }
    return _page(request, "trust.html", cp, "trust", context)


@page_router.post("/trust")
def trust_input(
    request: Request,
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    pair: Annotated[str, Form(max_length=420)],
    action: Annotated[str, Form(pattern="^(set|nudge)$")],
    value: Annotated[float, Form(ge=-4.0, le=4.0)],
    rationale: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    truster, _, trustee = pair.partition("->")
    cbm.analyst_input(ctx, p, cp, truster=truster, trustee=trustee, action=action, value=value, rationale=rationale)
    return _see(f"/processes/{process_id}/cbm/trust", "trust_saved")


@page_router.post("/labels")
def labels(
    request: Request,
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    trust_label: Annotated[str | None, Form(max_length=40)] = None,
    plan_label: Annotated[str | None, Form(max_length=40)] = None,
    back: Annotated[str, Form(pattern="^(trust|plans)$")] = "plans",
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    cbm.set_labels(ctx, p, cp, trust_label=trust_label, plan_label=plan_label)
    return _see(f"/processes/{process_id}/cbm/{back}", "labels_saved")


@page_router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, process_id: IdPath, ctx: Ctx, p: User) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    history = cbm_plans.list_plans(ctx, p, cp)
    latest = history[-1].revision if history else None
    defaults = latest.plan.constraints if latest is not None else None
    perms = cbm.permissions(p, cp)
    context = {
        "history": [revision_summary(r) for r in reversed(history)],
        "latest": latest,
        "defaults": defaults,
        "threshold": latest.plan.goal.threshold if latest is not None else 0.6,
        "may_plan": perms.may_plan,
        "may_relabel": perms.may_relabel_plans,
        "max_horizon": cbm_plans.MAX_HORIZON,
        "measures": sorted(cp.catalogue.measures, key=lambda m: (m.domain.value, m.name)),
        "excluded": set(defaults.exclude) if defaults is not None else set(),
    }
    return _page(request, "plans.html", cp, "plans", context)


@page_router.post("/plans")
def make_plan(
    request: Request,
    process_id: IdPath,
    ctx: Ctx,
    p: User,
    horizon: Annotated[int, Form(ge=1, le=cbm_plans.MAX_HORIZON)] = 8,
    threshold: Annotated[float, Form(gt=0.0, lt=1.0)] = 0.6,
    max_cost: Unit = 0.6,
    max_risk: Unit = 0.6,
    min_verifiability: Unit = 0.5,
    exclude: Annotated[list[Annotated[str, Form(max_length=2000)]] | None, Form()] = None,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    req = cbm_plans.PlanRequest(
        horizon=horizon,
        threshold=threshold,
        max_cost=max_cost,
        max_risk=max_risk,
        min_verifiability=min_verifiability,
        # ticked measures (one field each); ids typed by hand, separated by spaces or commas, still work
        exclude=tuple(x for item in exclude or () for x in item.replace(",", " ").split() if x),
        seed=seed,
    )
    rev = cbm_plans.new_plan(ctx, p, cp, req)
    return _see(f"/processes/{process_id}/cbm/plans/{rev.revision.revision}", "plan_saved")


@page_router.post("/plans/replan")
def replan(request: Request, process_id: IdPath, ctx: Ctx, p: User) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    result = cbm_plans.replan_verified(ctx, p, cp)
    return _see(f"/processes/{process_id}/cbm/plans/{result.revision.revision.revision}", "replanned")


@page_router.get("/plans/{revision}", response_class=HTMLResponse)
def plan(request: Request, process_id: IdPath, revision: IdPath, ctx: Ctx, p: User) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    stored, before = cbm_plans.get_plan(ctx, p, cp, revision)
    rev = stored.revision
    links = cbm_plans.step_links(ctx, p, cp, rev)
    context = {
        "rev": rev,
        "shown_label": stored.label,
        "plan": rev.plan,
        "chart": trajectory_svg(rev.plan.simulation),
        "changes": changes(before, stored),
        "links": links,
        "commit_labels": cbm_plans.step_labels(p, cp),
        "may_plan": cbm.permissions(p, cp).may_plan,
        "measure_names": {m.id: m.name for m in cp.catalogue.measures},
    }
    return _page(request, "plan.html", cp, "plans", context)


@page_router.post("/plans/{revision}/steps/{position}/commitment")
def step_commitment(
    request: Request,
    process_id: IdPath,
    revision: IdPath,
    position: IdPath,
    ctx: Ctx,
    p: User,
    label: Annotated[str, Form(max_length=40)] = "all_parties",
) -> Response:
    cp = cbm.open_process(ctx, p, process_id)
    cbm_plans.make_commitment(ctx, p, cp, revision, position, label=label)
    return _see(f"/processes/{process_id}/cbm/plans/{revision}", "commitment_made")
