"""Offline network chart (matplotlib, Agg): the most influential actors, hostile and cooperative ties, a legend."""

from __future__ import annotations

import io
from pathlib import Path

from detente.actors.network import Analysis, build_layers
from detente.actors.relations import RelationSet
from detente.workspace import atomic_write_bytes

__all__ = ["render_network"]

_KIND_COLOURS = {
    "government": "#1f77b4",
    "state_forces": "#17becf",
    "rebel_group": "#d62728",
    "political_militia": "#ff7f0e",
    "identity_militia": "#e377c2",
    "political_party": "#9467bd",
    "civil_society": "#2ca02c",
    "international_organisation": "#bcbd22",
    "country": "#8c564b",
}
_OTHER = "#7f7f7f"


def render_network(relations: RelationSet, analysis: Analysis, path: Path, *, top: int = 30, seed: int = 7) -> None:
    """Draw the ``top`` actors by influence to ``path`` (``.svg`` or ``.png``), byte-stable for the same input."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D

    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        from detente.errors import RegistryInputError

        raise RegistryInputError(f"chart format {fmt!r}: use .svg or .png", path=path)
    keep = [s.actor_id for s in analysis.influencers[:top]]
    keep += [
        s.actor_id for s in sorted(analysis.scores, key=lambda s: (-s.pagerank, s.actor_id)) if s.actor_id not in keep
    ]
    keep = keep[:top]
    scores = {s.actor_id: s for s in analysis.scores}
    layers = build_layers(relations)
    g = layers.interactions.subgraph(keep).to_undirected()
    pos = nx.spring_layout(g, seed=seed, weight=None) if g.number_of_nodes() else {}
    matplotlib.rcParams["svg.hashsalt"] = "detente"
    fig, ax = plt.subplots(figsize=(11, 8))
    for layer, colour in ((layers.cooperative, "#2ca02c"), (layers.hostile, "#d62728")):
        edges = [(a, b) for a, b in layer.subgraph(keep).edges]
        if edges:
            widths = [
                0.5 + 2.5 * (layer[a][b]["weight"] / max(layer[x][y]["weight"] for x, y in edges)) for a, b in edges
            ]
            nx.draw_networkx_edges(layer.subgraph(keep), pos, edgelist=edges, edge_color=colour, width=widths,
                                   alpha=0.5, ax=ax, arrows=False)  # fmt: skip
    nodes = list(g.nodes)
    if nodes:
        biggest = max(scores[n].pagerank for n in nodes) or 1.0
        nx.draw_networkx_nodes(
            g,
            pos,
            nodelist=nodes,
            node_size=[150 + 1800 * scores[n].pagerank / biggest for n in nodes],
            node_color=[_KIND_COLOURS.get(scores[n].kind, _OTHER) for n in nodes],
            edgecolors=["black" if scores[n].spoiler_risk >= 0.5 else "white" for n in nodes],
            linewidths=2.0,
            ax=ax,
        )
        nx.draw_networkx_labels(g, pos, labels={n: scores[n].name[:28] for n in nodes}, font_size=7, ax=ax)
    handles = [
        Line2D([], [], color="#d62728", lw=2, label="hostile"),
        Line2D([], [], color="#2ca02c", lw=2, label="cooperative"),
    ]
    present = sorted({scores[n].kind for n in nodes})
    handles += [
        Line2D([], [], marker="o", ls="", color=_KIND_COLOURS.get(k, _OTHER), label=k.replace("_", " "))
        for k in present
    ]
    handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=2, label="likely spoiler"))
    ax.legend(handles=handles, loc="lower left", fontsize=8, title="node size = influence (PageRank)")
    ax.set_title(f"Actor network {analysis.window}: top {len(nodes)} actors by influence")
    ax.set_axis_off()
    buf = io.BytesIO()
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, metadata=metadata, dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
