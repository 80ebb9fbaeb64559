"""What the actor pages and their API show, shaped from what :mod:`detente.services.actors` hands out.

Everything here reads: the registry (workspace-wide), relations measured from the events, the process's books
under the labels the caller may read (the service decides which), and the analysis of those.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from detente.actors import (
    Analysis,
    CanonicalActor,
    LabelledBook,
    ProcessBook,
    Registry,
    RelationSet,
    StakeholderProfile,
    merge_books,
)
from detente.actors.profiles import Attitude
from detente.services import actors
from detente.services.context import AppContext
from detente.web.actors.scope import NetFilter, Scope

__all__ = [
    "Measured",
    "actor_detail",
    "actor_dict",
    "decisions_view",
    "explorer_link",
    "grid_view",
    "matrix_view",
    "measure",
    "profile_dict",
    "store_facts",
    "suggestions_view",
]

MATRIX_PAGE = 50


def store_facts(scope: Scope) -> dict[str, Any]:
    """The store's date range and countries (for the filter form)."""
    summary = scope.engine.store.summary()
    span = summary.get("date_range") or [None, None]
    return {
        "first": span[0],
        "last": span[1],
        "countries": sorted(summary.get("by_country", {})),
        "span": (date.fromisoformat(span[0]), date.fromisoformat(span[1])) if span[0] and span[1] else None,
    }


def explorer_link(actor: CanonicalActor) -> str:
    """The event explorer filtered by this actor (CAMEO code for GDELT actors, else the name)."""
    cameo = [k.removeprefix("cameo:") for k in actor.source_keys if k.startswith("cameo:")]
    return "/events?" + urlencode({"actor": cameo[0] if cameo else actor.name})


def actor_dict(reg: Registry, actor: CanonicalActor) -> dict[str, Any]:
    children = sorted((a for a in reg.actors.values() if actor.id in a.parents), key=lambda a: (a.name, a.id))
    return {
        "id": actor.id,
        "name": actor.name,
        "kind": actor.kind.value,
        "country_iso3": actor.country_iso3,
        "aliases": list(actor.aliases),
        "source_keys": list(actor.source_keys),
        "ids": list(actor.ids),
        "events": actor.events,
        "parents": [{"id": pid, "name": reg.actors[pid].name} for pid in actor.parents if pid in reg.actors],
        "children": [{"id": c.id, "name": c.name} for c in children],
        "explorer_url": explorer_link(actor),
    }


def profile_dict(profile: StakeholderProfile, label: str, reg: Registry) -> dict[str, Any]:
    doc = asdict(profile)
    doc["label"] = label
    for lev in doc["leverage"]:
        lev["over_names"] = [reg.actors[a].name if a in reg.actors else a for a in lev["over"]]
    out: dict[str, Any] = _plain(doc)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Measured:
    """Relations in the filter's window and the analysis over them with the readable profiles."""

    registry: Registry
    relations: RelationSet
    books: list[LabelledBook]
    book: ProcessBook
    analysis: Analysis


def measure(
    app: AppContext, scope: Scope, filt: NetFilter, *, labels: frozenset[str] | None = None, top: int = 10
) -> Measured:
    reg = scope.registry
    window = filt.window(store_facts(scope)["span"]) if filt.start or filt.end else None
    rel = scope.engine.relations(reg, window, country_iso3=filt.country)
    books = actors.books(app, scope, labels)
    book = merge_books(scope.process_id, books)
    result = scope.engine.analyse(rel, reg, book, min_events=1, top=top)
    return Measured(reg, rel, books, book, result)


def _name(reg: Registry, aid: str) -> str:
    actor = reg.actors.get(aid)
    return actor.name if actor is not None else aid


def actor_detail(app: AppContext, scope: Scope, actor_id: str, filt: NetFilter) -> dict[str, Any]:
    m = measure(app, scope, filt)
    actor = m.registry.get(actor_id)
    window = m.relations.window
    relations = sorted(
        (r for r in m.relations.relations if actor_id in (r.source, r.target)),
        key=lambda r: (-r.events, r.source, r.target),
    )
    events = scope.engine.recent_events(actor, window=window if filt.start or filt.end else None, limit=15)
    score = next((s for s in m.analysis.scores if s.actor_id == actor_id), None)
    return {
        "actor": actor_dict(m.registry, actor),
        "window": str(window),
        "relations": [
            {
                **asdict(r),
                "source_name": _name(m.registry, r.source),
                "target_name": _name(m.registry, r.target),
                "trend": r.trend,
            }
            for r in relations[:40]
        ],
        "relations_total": len(relations),
        "events": [_plain(e) for e in events],
        "profiles": [
            profile_dict(lb.book.profiles[actor_id], lb.label, m.registry)
            for lb in m.books
            if actor_id in lb.book.profiles
        ],
        "analyst_relations": [
            {
                **_plain(asdict(r)),
                "label": lb.label,
                "source_name": _name(m.registry, r.source),
                "target_name": _name(m.registry, r.target),
            }
            for lb in m.books
            for r in lb.book.relations
            if actor_id in (r.source, r.target)
        ],
        "scores": _plain(asdict(score)) if score is not None else None,
    }


def matrix_view(
    app: AppContext,
    scope: Scope,
    *,
    q: str | None,
    attitude: str | None,
    kind: str | None,
    profiled: bool,
    page: int,
) -> dict[str, Any]:
    """One row per readable profile (an actor with none has one empty row), profiled actors first."""
    reg = scope.registry
    books = actors.books(app, scope)
    by_actor: dict[str, list[tuple[str, StakeholderProfile]]] = {}
    for lb in books:
        for aid, prof in lb.book.profiles.items():
            by_actor.setdefault(aid, []).append((lb.label, prof))
    needle = q.strip().lower() if q else ""
    rows: list[dict[str, Any]] = []
    ordered = sorted(reg.actors.values(), key=lambda a: (a.id not in by_actor, -a.events, a.name, a.id))
    for a in ordered:
        if needle and not any(needle in n.lower() for n in (a.name, *a.aliases)):
            continue
        if kind and a.kind.value != kind:
            continue
        found = by_actor.get(a.id, [])
        if attitude:
            found = [(lab, p) for lab, p in found if p.attitude.value == attitude]
        if (profiled or attitude) and not found:
            continue
        base = {"id": a.id, "name": a.name, "kind": a.kind.value, "country_iso3": a.country_iso3, "events": a.events}
        if not found:
            rows.append({**base, "profile": None})
        for label, prof in found:
            rows.append({**base, "profile": profile_dict(prof, label, reg)})
    total = len(rows)
    start = (page - 1) * MATRIX_PAGE
    return {
        "rows": rows[start : start + MATRIX_PAGE],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // MATRIX_PAGE)),
        "kinds": sorted({a.kind.value for a in reg.actors.values()}),
        "attitudes": [x.value for x in Attitude],
        "profiled_actors": len(by_actor),
        "actors": len(reg.actors),
    }


def grid_view(app: AppContext, scope: Scope, filt: NetFilter) -> dict[str, Any]:
    m = measure(app, scope, filt, top=100_000)
    reasons = {p.actor_id: p for p in m.analysis.priorities}
    placements = sorted(m.analysis.grid, key=lambda g: (-g.power - g.interest, g.actor_id))[: max(filt.top, 1)]
    return {
        "window": m.analysis.window,
        "placements": [
            {
                **asdict(g),
                "rank": reasons[g.actor_id].rank if g.actor_id in reasons else None,
                "priority": reasons[g.actor_id].score if g.actor_id in reasons else None,
                "reason": reasons[g.actor_id].reason if g.actor_id in reasons else "",
            }
            for g in placements
        ],
        "total": len(m.analysis.grid),
        "notes": list(m.analysis.notes),
    }


def suggestions_view(scope: Scope, *, limit: int = 50) -> list[dict[str, Any]]:
    reg = scope.registry
    out = []
    for s in scope.engine.suggest(reg, limit=limit):
        a, b = reg.get(s.a), reg.get(s.b)
        out.append(
            {
                "a": actor_dict(reg, a),
                "b": actor_dict(reg, b),
                "score": s.score,
                "reasons": list(s.reasons),
            }
        )
    return out


def decisions_view(app: AppContext, scope: Scope) -> list[dict[str, Any]]:
    """The decision log, newest first, with names and whether each merge or rejection still applies."""
    reg = scope.registry
    active = {d.id for d in reg.active_decisions()}
    # a merged-away id is the default id of one source actor: name it as its source does
    _, first_names = actors.decisions(app)

    def name(aid: str | None) -> str | None:
        if aid is None:
            return None
        return first_names.get(aid) or (reg.actors[aid].name if aid in reg.actors else aid)

    return [
        {
            "id": d.id,
            "kind": d.kind.value,
            "at": d.at.isoformat(),
            "by": d.by,
            "into": d.into,
            "into_name": name(d.into),
            "other": d.other,
            "other_name": name(d.other),
            "target": d.target,
            "note": d.note,
            "score": d.score,
            "active": d.id in active,
            "stale": d.id in reg.stale,
        }
        for d in reversed(reg.decisions)
    ]
