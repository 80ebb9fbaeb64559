"""Two workbench views over the actor analysis: influence paths to a spoiler and what changed between two windows.

Both read through :mod:`detente.services.actors` (which asks ``access/``) and the pure functions of
:mod:`detente.actors.network`. Paths use the analyst relations of the books the principal may read; the changes come
from the events alone, so they hold no label-filtered record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from detente.actors import Registry, Window
from detente.actors.network import InfluencePath, WindowDiff, diff_windows, influence_paths
from detente.errors import ActorNotFoundError, InputError
from detente.services import actors
from detente.services.context import AppContext
from detente.web.actors.scope import Scope

__all__ = [
    "ChangesView",
    "PathsView",
    "changes_view",
    "default_windows",
    "path_choices",
    "paths_view",
    "split_refs",
    "window_of",
]

#: the longest default period of the "what changed" page (two of them end on the store's last day)
DEFAULT_PERIOD_DAYS = 182


def split_refs(values: list[str]) -> list[str]:
    """Actor references from a multi-select or comma/semicolon/line separated text, in order, without repeats."""
    out: list[str] = []
    for value in values:
        for part in value.replace(";", ",").replace("\n", ",").split(","):
            ref = part.strip()
            if ref and ref not in out:
                out.append(ref)
    return out


def _resolve(reg: Registry, ref: str, field_name: str) -> str:
    try:
        return reg.resolve(ref).id
    except ActorNotFoundError as exc:
        raise InputError(str(exc), field=field_name) from None


def window_of(start: date | None, end: date | None, span: tuple[date, date] | None, prefix: str = "") -> Window | None:
    """The window between two chosen days, a missing one taken from the store's span; None when neither is given."""
    if start is None and end is None:
        return None
    first, last = span if span is not None else (start or end, end or start)
    assert first is not None and last is not None
    a, b = start or min(first, end or first), end or max(last, start or last)
    if b < a:
        raise InputError(f"the window ends ({b}) before it starts ({a})", field=f"{prefix}end")
    return Window(a, b)


@dataclass(frozen=True)
class PathsView:
    window: str
    target: str | None  # the resolved id
    target_name: str
    access: list[tuple[str, str]]  # (id, name)
    paths: list[dict[str, Any]]
    choices: list[tuple[str, str]]  # (id, name) for the form's lists
    asked: bool  # a target was given


def _sentence(p: InfluencePath) -> str:
    names = list(p.names)
    if len(names) == 2:
        return f"{names[0]} can reach {names[1]} directly ({p.via[0]})."
    middle = ", then ".join(names[1:-1])
    return f"{names[0]} can reach {names[-1]} through {middle} ({len(names) - 1} steps)."


def _hops(p: InfluencePath) -> list[dict[str, str]]:
    return [
        {"from": p.names[i], "to": p.names[i + 1], "from_id": p.path[i], "to_id": p.path[i + 1], "via": p.via[i]}
        for i in range(len(p.via))
    ]


def path_choices(scope: Scope) -> list[tuple[str, str]]:
    """The actors offered in the paths form's lists."""
    return _choices(scope.registry)


def _choices(reg: Registry, limit: int = 400) -> list[tuple[str, str]]:
    ranked = sorted(reg.actors.values(), key=lambda a: (-a.events, a.name, a.id))[:limit]
    return sorted(((a.id, a.name) for a in ranked), key=lambda x: (x[1].lower(), x[0]))


def paths_view(
    app: AppContext,
    scope: Scope,
    target: str,
    access: list[str],
    window: Window | None,
    *,
    country: str | None = None,
    min_events: int = 1,
    limit: int = 5,
) -> PathsView:
    """The cheapest ways from the actors the mediator reaches to ``target`` (ids, source keys or unique names)."""
    reg = scope.registry
    choices = _choices(reg)
    if not target.strip():
        if access:
            raise InputError("choose the actor to reach", field="target")
        return PathsView("", None, "", [], [], choices, False)
    tid = _resolve(reg, target.strip(), "target")
    starts = [_resolve(reg, ref, "access") for ref in access]
    if not starts:
        raise InputError("name at least one actor the mediator already reaches", field="access")
    rel = scope.engine.relations(reg, window, country_iso3=country)
    book = actors.merged_book(app, scope)
    found = influence_paths(rel, reg, starts, tid, book, min_events=min_events, limit=limit)
    paths = [
        {"start": p.start, "names": list(p.names), "cost": p.cost, "hops": _hops(p), "sentence": _sentence(p)}
        for p in found
    ]
    return PathsView(
        str(rel.window), tid, reg.get(tid).name, [(s, reg.get(s).name) for s in starts], paths, choices, True
    )


def default_windows(span: tuple[date, date] | None) -> tuple[Window, Window] | None:
    """The last two equal periods of the store (at most half a year each), the later ending on its last day."""
    if span is None:
        return None
    first, last = span
    days = min(DEFAULT_PERIOD_DAYS, ((last - first).days + 1) // 2)
    if days < 1:
        return None
    after = Window(last - timedelta(days=days - 1), last)
    before = Window(after.start - timedelta(days=days), after.start - timedelta(days=1))
    return before, after


@dataclass(frozen=True)
class ChangesView:
    before: Window
    after: Window
    diff: WindowDiff
    names: dict[str, str]
    activity: list[dict[str, Any]] = field(default_factory=list)  # per actor in the tables: before, after


def changes_view(scope: Scope, before: Window, after: Window, *, min_events: int = 3) -> ChangesView:
    reg = scope.registry
    rb, ra = scope.engine.relations(reg, before), scope.engine.relations(reg, after)
    d = diff_windows(rb, ra, reg, min_events=min_events)
    ids = {a for a, _, _ in (*d.turned_hostile, *d.went_quiet, *d.escalated)}
    for s, t, _ in (*d.new_hostile_dyads, *d.ended_hostile_dyads):
        ids |= {s, t}
    for s, t, _, _ in d.escalated_dyads:
        ids |= {s, t}
    names = {a: (reg.actors[a].name if a in reg.actors else a) for a in ids}
    shown = sorted({a for a, _, _ in (*d.turned_hostile, *d.escalated, *d.went_quiet)}, key=lambda a: (names[a], a))
    activity = [
        {"id": a, "name": names[a], "before": rb.activity.get(a, 0), "after": ra.activity.get(a, 0)} for a in shown
    ]
    return ChangesView(before, after, d, names, activity)
