"""The network view's data: which actors and ties to draw for a filter, and where (a seeded spring layout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from detente.services.context import AppContext
from detente.web.actors.scope import NetFilter, Scope
from detente.web.actors.views import Measured, measure

__all__ = ["KIND_SHAPES", "Edge", "NetworkView", "Node", "network_view", "shape_of"]

#: the shape of a node tells its kind (colour only repeats it)
KIND_SHAPES: dict[str, tuple[str, ...]] = {
    "circle": ("government", "state_forces", "country", "third_state", "external_force"),
    "square": ("rebel_group", "political_militia", "identity_militia", "criminal"),
    "diamond": ("international_organisation",),
    "triangle": ("civil_society", "political_party", "protesters", "rioters", "civilians", "media", "religious",
                 "business"),
}  # fmt: skip
SHAPE_NAMES = {
    "circle": "state: government, forces, third state",
    "square": "armed non-state group",
    "diamond": "international organisation",
    "triangle": "civilians, society, parties, media",
    "hexagon": "other or unknown kind",
}
_SEED = 7


def _spread(values: dict[str, float]) -> dict[str, float]:
    """Coordinates to 0..1: half the min–max scaled position, half its rank, so a few outlying actors do not
    squeeze the busy centre of the drawing (order along each axis is kept)."""
    if len(values) < 2:
        return {k: 0.5 for k in values}
    lo, hi = min(values.values()), max(values.values())
    order = sorted(values, key=lambda k: (values[k], k))
    rank = {k: i / (len(order) - 1) for i, k in enumerate(order)}
    return {k: round(0.5 * (v - lo) / ((hi - lo) or 1.0) + 0.5 * rank[k], 4) for k, v in values.items()}


def shape_of(kind: str) -> str:
    for shape, kinds in KIND_SHAPES.items():
        if kind in kinds:
            return shape
    return "hexagon"


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    kind: str
    shape: str
    x: float  # 0..1
    y: float  # 0..1
    size: float  # 0..1 (PageRank relative to the largest shown)
    pagerank: float
    betweenness: float
    spoiler_risk: float
    likely_spoiler: bool
    community: int | None
    events: int


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    layer: str  # hostile | cooperative
    weight: int
    fatalities: int
    trend: str


@dataclass(frozen=True)
class NetworkView:
    window: str
    nodes: list[Node]
    edges: list[Edge]
    max_weight: int
    actors_in_window: int
    shapes: list[tuple[str, str]]
    measured: Measured

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "actors_in_window": self.actors_in_window,
            "nodes": [n.__dict__ for n in self.nodes],
            "edges": [e.__dict__ for e in self.edges],
        }


def network_view(app: AppContext, scope: Scope, filt: NetFilter) -> NetworkView:
    m = measure(app, scope, filt)
    layers = ("hostile", "cooperative") if filt.layer == "all" else (filt.layer,)
    edges = [
        Edge(r.source, r.target, layer, int(getattr(r, layer)), r.fatalities, r.trend)
        for r in m.relations.relations
        for layer in layers
        if getattr(r, layer) >= filt.min_weight and getattr(r, layer) > 0
    ]
    scores = {s.actor_id: s for s in m.analysis.scores}
    touched = {e.source for e in edges} | {e.target for e in edges}
    ranked = sorted(touched, key=lambda a: (-scores[a].pagerank if a in scores else 0.0, a))
    keep = set(ranked[: max(1, filt.top)])
    edges = [e for e in edges if e.source in keep and e.target in keep]
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(sorted(keep))
    for e in edges:
        w = graph.get_edge_data(e.source, e.target, {"weight": 0})["weight"]
        graph.add_edge(e.source, e.target, weight=w + e.weight)
    pos: dict[str, Any] = {}
    if graph.number_of_nodes() == 1:
        pos = {next(iter(graph.nodes)): (0.0, 0.0)}
    elif graph.number_of_nodes() > 1:
        # Kamada–Kawai on hop distances: deterministic (circular start, no randomness) and evenly spread, so every
        # label has room; a spring layout with the fixed seed finishes it for large graphs
        pos = nx.kamada_kawai_layout(graph, weight=None)
        if graph.number_of_nodes() > 60:
            pos = nx.spring_layout(graph, pos=pos, seed=_SEED, iterations=30, weight=None)
    spread = _spread({a: float(p[0]) for a, p in pos.items()}), _spread({a: float(p[1]) for a, p in pos.items()})
    biggest = max((scores[a].pagerank for a in keep if a in scores), default=0.0) or 1.0
    nodes = []
    for aid in sorted(keep, key=lambda a: ranked.index(a)):
        s = scores.get(aid)
        actor = m.registry.actors.get(aid)
        kind = actor.kind.value if actor is not None else "unknown"
        nodes.append(
            Node(
                id=aid,
                name=actor.name if actor is not None else aid,
                kind=kind,
                shape=shape_of(kind),
                x=spread[0].get(aid, 0.5),
                y=spread[1].get(aid, 0.5),
                size=round((s.pagerank if s else 0.0) / biggest, 4),
                pagerank=s.pagerank if s else 0.0,
                betweenness=s.betweenness if s else 0.0,
                spoiler_risk=s.spoiler_risk if s else 0.0,
                likely_spoiler=bool(s and s.spoiler_risk >= 0.5),
                community=s.community if s else None,
                events=s.events if s else 0,
            )
        )
    shapes = sorted({n.shape for n in nodes})
    return NetworkView(
        window=m.analysis.window,
        nodes=nodes,
        edges=sorted(edges, key=lambda e: (-e.weight, e.source, e.target, e.layer)),
        max_weight=max((e.weight for e in edges), default=1),
        actors_in_window=len(touched),
        shapes=[(s, SHAPE_NAMES[s]) for s in shapes],
        measured=m,
    )
