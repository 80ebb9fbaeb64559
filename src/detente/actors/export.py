"""Export the actor network: GraphML (nodes with registry facts and scores, edges with counts) and CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import networkx as nx

from detente.actors.network import Analysis
from detente.actors.registry import Registry
from detente.actors.relations import RelationSet
from detente.spreadsheet import neutral_row
from detente.workspace import atomic_write_bytes

__all__ = ["network_graph", "write_csv", "write_graphml"]

_EDGE_FIELDS = ("events", "hostile", "cooperative", "fatalities", "goldstein_sum", "hostile_first", "hostile_second",
                "cooperative_first", "cooperative_second")  # fmt: skip


def network_graph(relations: RelationSet, registry: Registry, analysis: Analysis | None = None) -> nx.DiGraph[str]:
    """One directed graph: a node per actor in the relations, an edge per directed pair (all counts as attributes)."""
    g: nx.DiGraph[str] = nx.DiGraph(window=str(relations.window))
    scores = {s.actor_id: s for s in analysis.scores} if analysis is not None else {}
    for r in relations.relations:
        g.add_edge(r.source, r.target, **{f: getattr(r, f) for f in _EDGE_FIELDS}, trend=r.trend)
    for aid in list(g.nodes):
        actor = registry.actors.get(aid)
        attrs: dict[str, str | int | float] = {
            "name": actor.name if actor else aid,
            "kind": actor.kind.value if actor else "unknown",
            "country": (actor.country_iso3 or "") if actor else "",
            "source_keys": ";".join(actor.source_keys) if actor else "",
            "events": relations.activity.get(aid, 0),
        }
        s = scores.get(aid)
        if s is not None:
            attrs.update(
                pagerank=s.pagerank,
                betweenness=s.betweenness,
                community=-1 if s.community is None else s.community,
                spoiler_risk=s.spoiler_risk,
            )
        g.nodes[aid].update(attrs)
    return g


def write_graphml(graph: nx.DiGraph[str], path: Path) -> None:
    buf = io.BytesIO()
    nx.write_graphml(graph, buf, encoding="utf-8", prettyprint=True)
    atomic_write_bytes(path, buf.getvalue())


def write_csv(graph: nx.DiGraph[str], nodes_path: Path, edges_path: Path) -> None:
    """Two CSV files: ``id`` + node attributes, and ``source,target`` + edge attributes (sorted, stable)."""
    node_data: dict[str, dict[str, object]] = {str(n): dict(graph.nodes[n]) for n in graph.nodes}
    node_cols = sorted({k for d in node_data.values() for k in d})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180: a carriage return inside a cell is quoted too
    w.writerow(neutral_row(["id", *node_cols]))
    for n, d in sorted(node_data.items()):
        w.writerow(neutral_row([n, *(d.get(c, "") for c in node_cols)]))
    atomic_write_bytes(nodes_path, buf.getvalue().encode("utf-8"))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180: a carriage return inside a cell is quoted too
    w.writerow(neutral_row(["source", "target", "source_name", "target_name", *_EDGE_FIELDS, "trend"]))
    for a, b in sorted(graph.edges):
        d = graph.edges[a, b]
        names = (node_data[a].get("name", a), node_data[b].get("name", b))
        w.writerow(neutral_row([a, b, *names, *(d[f] for f in _EDGE_FIELDS), d["trend"]]))
    atomic_write_bytes(edges_path, buf.getvalue().encode("utf-8"))
