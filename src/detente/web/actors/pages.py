"""The actor pages of a process: stakeholder matrix, actor page, power–interest grid, network, influence paths,
what changed between two windows, merge suggestions.

Forms post a CSRF token (checked by :func:`detente.web.deps.page_guard`) and redirect with a fixed message code.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from detente.errors import InputError
from detente.services import actors
from detente.services.actors import ENTRY_KINDS, EntryInput, ProfileInput
from detente.web.actors.network import network_view
from detente.web.actors.params import ActorPath, Filter, ProcessPath, parse_date, parse_unit
from detente.web.actors.scope import NetFilter, Scope, open_scope
from detente.web.actors.svg import changes_svg, grid_svg, network_svg, shape_icon
from detente.web.actors.views import (
    actor_detail,
    decisions_view,
    grid_view,
    matrix_view,
    store_facts,
    suggestions_view,
)
from detente.web.actors.workbench import (
    changes_view,
    default_windows,
    path_choices,
    paths_view,
    split_refs,
    window_of,
)
from detente.web.deps import Ctx, User, page_guard

__all__ = ["MESSAGES", "page_router"]

page_router = APIRouter(dependencies=[Depends(page_guard)], include_in_schema=False)

#: the flash messages an actor page's redirect may name (``?done=<code>``)
MESSAGES = {
    "profile_saved": "The profile is saved.",
    "entry_added": "The entry is added to the profile.",
    "merged": "The actors are merged; the decision is logged and can be undone.",
    "rejected": "The pair is rejected and will not be suggested again.",
    "undone": "The decision is undone.",
}

_Short = Annotated[str, Form(max_length=300)]
_Long = Annotated[str, Form(max_length=2000)]


def _render(
    request: Request, scope: Scope, name: str, tab: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    from detente.web.pages import render

    base = f"/processes/{scope.process_id}/actors"
    full = {
        "scope": scope,
        "tab": tab,
        "base": base,
        "perms": scope.perms,
        "label_text": scope.label_text,
        **context,
    }
    done = request.query_params.get("done", "")
    if done in MESSAGES:
        full["flash"] = MESSAGES[done]
    return render(request, name, full, status)


def _see(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _filter_context(scope: Scope, filt: NetFilter) -> dict[str, Any]:
    return {"filt": filt, "facts": store_facts(scope), "qs": lambda **kw: urlencode(filt.query(**kw))}


@page_router.get("/processes/{process_id}/actors", name="actors_matrix")
def matrix_page(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    q: Annotated[str | None, Query(max_length=200)] = None,
    attitude: Annotated[str | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    profiled: Annotated[str | None, Query(max_length=5)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    only = profiled in ("1", "on", "true")
    view = matrix_view(ctx, scope, q=q, attitude=attitude or None, kind=kind or None, profiled=only, page=page)
    params = {"q": q or "", "attitude": attitude or "", "kind": kind or "", "profiled": "1" if only else ""}
    query = urlencode({k: v for k, v in params.items() if v})
    context = {"view": view, "params": params, "query": query}
    return _render(request, scope, "actors/matrix.html", "matrix", context)


@page_router.get("/processes/{process_id}/actors/grid", name="actors_grid")
def grid_page(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, filt: Filter) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    view = grid_view(ctx, scope, filt)
    link = f"/processes/{process_id}/actors/{{id}}"
    context = {"view": view, "svg": Markup(grid_svg(view["placements"], link)), **_filter_context(scope, filt)}
    return _render(request, scope, "actors/grid.html", "grid", context)


@page_router.get("/processes/{process_id}/actors/network", name="actors_network")
def network_page(request: Request, ctx: Ctx, p: User, process_id: ProcessPath, filt: Filter) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    view = network_view(ctx, scope, filt)
    link = f"/processes/{process_id}/actors/{{id}}"
    names = {n.id: n.name for n in view.nodes}
    context = {
        "view": view,
        "names": names,
        "svg": Markup(network_svg(view, link)),
        "icons": {s: Markup(shape_icon(s)) for s, _ in view.shapes},
        "spoiler_icon": Markup(shape_icon("circle", spoiler=True)),
        **_filter_context(scope, filt),
    }
    return _render(request, scope, "actors/network.html", "network", context)


def _form_error(exc: InputError) -> dict[str, str]:
    return {"field": exc.field or "", "message": exc.reason}


_Day = Annotated[str, Query(max_length=10)]


@page_router.get("/processes/{process_id}/actors/paths", name="actors_paths")
def paths_page(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    target: Annotated[str, Query(max_length=300)] = "",
    access: Annotated[list[str], Query(max_length=2000)] = [],  # noqa: B006 (FastAPI copies defaults)
    start: _Day = "",
    end: _Day = "",
    min_events: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    facts = store_facts(scope)
    refs = split_refs(access)
    form = {"target": target, "access": ", ".join(refs), "start": start, "end": end, "min_events": min_events}
    context: dict[str, Any] = {"form": form, "facts": facts, "error": None, "view": None}
    try:
        window = window_of(parse_date(start, "start"), parse_date(end, "end"), facts["span"])
        context["view"] = paths_view(ctx, scope, target, refs, window, min_events=min_events)
    except InputError as exc:
        context["error"] = _form_error(exc)
    context["choices"] = context["view"].choices if context["view"] is not None else path_choices(scope)
    status = 422 if context["error"] else 200
    return _render(request, scope, "actors/paths.html", "paths", context, status=status)


@page_router.get("/processes/{process_id}/actors/changes", name="actors_changes")
def changes_page(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    before_start: _Day = "",
    before_end: _Day = "",
    after_start: _Day = "",
    after_end: _Day = "",
    min_events: Annotated[int, Query(ge=1, le=1_000_000)] = 3,
) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    facts = store_facts(scope)
    defaults = default_windows(facts["span"])
    context: dict[str, Any] = {"facts": facts, "error": None, "view": None, "svg": None}
    try:
        days = {
            k: parse_date(v, k)
            for k, v in (("before_start", before_start), ("before_end", before_end), ("after_start", after_start),
                         ("after_end", after_end))
        }  # fmt: skip
        before = window_of(days["before_start"], days["before_end"], facts["span"], "before_")
        after = window_of(days["after_start"], days["after_end"], facts["span"], "after_")
        before = before or (defaults[0] if defaults else None)
        after = after or (defaults[1] if defaults else None)
        if before is not None and after is not None:
            view = changes_view(scope, before, after, min_events=min_events)
            context["view"] = view
            context["svg"] = Markup(changes_svg(view.activity))
    except InputError as exc:
        context["error"] = _form_error(exc)
    shown = context["view"]
    context["form"] = {
        "before_start": before_start or (shown.before.start.isoformat() if shown else ""),
        "before_end": before_end or (shown.before.end.isoformat() if shown else ""),
        "after_start": after_start or (shown.after.start.isoformat() if shown else ""),
        "after_end": after_end or (shown.after.end.isoformat() if shown else ""),
        "min_events": min_events,
    }
    status = 422 if context["error"] else 200
    return _render(request, scope, "actors/changes.html", "changes", context, status=status)


@page_router.get("/processes/{process_id}/actors/suggestions", name="actors_suggestions")
def suggestions_page(request: Request, ctx: Ctx, p: User, process_id: ProcessPath) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    context = {"suggestions": suggestions_view(scope), "decisions": decisions_view(ctx, scope)}
    return _render(request, scope, "actors/suggestions.html", "suggestions", context)


@page_router.post("/processes/{process_id}/actors/decisions")
def decision_form(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    kind: Annotated[str, Form(max_length=10)],
    a: _Short = "",
    b: _Short = "",
    target: Annotated[str, Form(max_length=20)] = "",
    note: _Long = "",
    score: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    actors.record_decision(
        ctx, p, process_id, kind, a=a or None, b=b or None, target=target or None, note=note.strip(),
        score=parse_unit(score, "score"),
    )  # fmt: skip
    done = {"merge": "merged", "reject": "rejected", "undo": "undone"}[kind]
    return _see(f"/processes/{process_id}/actors/suggestions", done)


@page_router.get("/processes/{process_id}/actors/{actor_id}", name="actor_page")
def actor_page(
    request: Request, ctx: Ctx, p: User, process_id: ProcessPath, actor_id: ActorPath, filt: Filter
) -> Response:
    scope = open_scope(ctx, request, p, process_id)
    detail = actor_detail(ctx, scope, actor_id, filt)
    own = {pr["label"] for pr in detail["profiles"]}
    context = {
        "d": detail,
        "entry_kinds": ENTRY_KINDS,
        "attitudes": ["champion", "supporter", "neutral", "sceptic", "spoiler"],
        "creatable": [lab for lab in scope.labels if lab in scope.perms.creatable],
        "profile_labels": [lab for lab in scope.labels if lab in own],
        **_filter_context(scope, filt),
    }
    return _render(request, scope, "actors/actor.html", "matrix", context)


@page_router.post("/processes/{process_id}/actors/{actor_id}/profile")
def profile_form(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    actor_id: ActorPath,
    label: Annotated[str, Form(max_length=40)],
    attitude: Annotated[str, Form(max_length=20)],
    attitude_evidence: _Long,
    attitude_date: Annotated[str, Form(max_length=10)],
    power: Annotated[str, Form(max_length=20)] = "",
    interest: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    day = parse_date(attitude_date, "attitude_date")
    if day is None:
        raise InputError("give the date of the evidence", field="attitude_date")
    data = ProfileInput(
        label, attitude, attitude_evidence, day, parse_unit(power, "power"), parse_unit(interest, "interest")
    )
    actors.set_profile(ctx, p, process_id, actor_id, data)
    return _see(f"/processes/{process_id}/actors/{actor_id}", "profile_saved")


@page_router.post("/processes/{process_id}/actors/{actor_id}/entries")
def entry_form(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: ProcessPath,
    actor_id: ActorPath,
    label: Annotated[str, Form(max_length=40)],
    kind: Annotated[str, Form(max_length=20)],
    text: _Long,
    evidence: _Long,
    date: Annotated[str, Form(max_length=10)],
    issue: _Short = "",
    over: _Long = "",
) -> Response:
    day = parse_date(date, "date")
    if day is None:
        raise InputError("give the date of the evidence", field="date")
    refs = tuple(x.strip() for x in over.split(";") if x.strip())
    actors.add_entry(ctx, p, process_id, actor_id, EntryInput(label, kind, text, evidence, day, issue, refs))
    return _see(f"/processes/{process_id}/actors/{actor_id}", "entry_added")
