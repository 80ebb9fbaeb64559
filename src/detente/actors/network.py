"""Network analysis of the actor relations (pure: relations, registry and profiles in, findings out; networkx).

- **Layers**: the hostile and cooperative directed graphs (edge weight = event count), and all interactions.
- **Influence**: PageRank on the all-interactions graph (edges point from the actor who acts to the one acted on,
  so an actor is influential when influential actors attend to it).
- **Brokers**: betweenness on the undirected cooperative layer (sampled with a fixed seed above 1,000 actors).
- **Coalitions**: Louvain communities of the undirected cooperative layer (fixed seed).
- **Power**: documented signals with fixed weights (``inference.POWER_WEIGHTS``; ``docs/actors.md``): standing from
  the source's own kind code, coercion (violent acts committed), reach (counterparts acted on), leverage
  (material support given, or the analysts' recorded leverage) and attention (cooperation received). A readable
  profile's judgement replaces it.
- **Spoiler risk** (Stedman 1997, "Spoiler Problems in Peace Processes", *International Security* 22(2): spoilers
  are parties that use violence or other means to undermine a process): the analyst's attitude when a profile gives
  one; otherwise it needs evidence of acting *against* a commitment or a process — more violence against a party in
  the 90 days after committing to it than in the 90 days before (a rise beyond chance, ``inference.rose``),
  ceasefire violations, rejections of talks, mediation or a settlement. Violence alone, however one-sided, is not
  that evidence (UCDP records only violence).
- **Victims** (civilians, protesters, refugees: :data:`~detente.actors.model.VICTIM_KINDS`) are never power holders,
  influencers or spoilers, whatever the events or a profile say.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection
from dataclasses import dataclass, field

import networkx as nx

from detente.actors.inference import percentiles, power_scores, rose, spoiler_risk
from detente.actors.model import ARMED_KINDS, VICTIM_KINDS, ActorKind
from detente.actors.profiles import REACHING, Attitude, ProcessBook, RelationKind
from detente.actors.registry import Registry
from detente.actors.relations import Conduct, RelationSet, Window

__all__ = [
    "ActorScores",
    "Analysis",
    "EngagementPriority",
    "GridPlacement",
    "InfluencePath",
    "Layers",
    "WindowDiff",
    "analyse",
    "build_layers",
    "diff_windows",
    "influence_paths",
]

_SAMPLE_ABOVE = 500
_SAMPLES = 200
_SEED = 20240601
_ATTITUDE_RISK = {
    Attitude.CHAMPION: 0.0,
    Attitude.SUPPORTER: 0.1,
    Attitude.NEUTRAL: 0.3,
    Attitude.SCEPTIC: 0.6,
    Attitude.SPOILER: 1.0,
}


@dataclass(frozen=True)
class Layers:
    hostile: nx.DiGraph[str]
    cooperative: nx.DiGraph[str]
    interactions: nx.DiGraph[str]


def build_layers(relations: RelationSet, min_events: int = 1) -> Layers:
    hostile: nx.DiGraph[str] = nx.DiGraph()
    coop: nx.DiGraph[str] = nx.DiGraph()
    every: nx.DiGraph[str] = nx.DiGraph()
    for r in relations.relations:
        if r.events >= min_events:
            every.add_edge(r.source, r.target, weight=r.events)
        if r.hostile >= min_events:
            hostile.add_edge(r.source, r.target, weight=r.hostile, fatalities=r.fatalities, trend=r.trend)
        if r.cooperative >= min_events:
            coop.add_edge(r.source, r.target, weight=r.cooperative)
    return Layers(hostile, coop, every)


@dataclass(frozen=True)
class ActorScores:
    actor_id: str
    name: str
    kind: str
    events: int
    hostile_out: int
    hostile_in: int
    cooperative_out: int
    cooperative_in: int
    pagerank: float
    betweenness: float
    community: int | None
    hostile_share: float  # hostile share of the actor's own dyadic actions
    hostile_first: int
    hostile_second: int
    spoiler_risk: float
    attitude: str | None
    #: the rise in its violence against counterparts after committing to them (acts in the 90 days after a commitment
    #: minus those in the 90 days before), plus its ceasefire violations
    against_commitment: int = 0
    rejections: int = 0
    first_commitment: str | None = None
    victim: bool = False
    #: power and its signals (each in [0, 1]; ``POWER_WEIGHTS``)
    power: float = 0.0
    power_signals: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class GridPlacement:
    actor_id: str
    name: str
    power: float
    interest: float
    quadrant: str  # manage closely | keep satisfied | keep informed | monitor
    from_profile: bool


@dataclass(frozen=True)
class EngagementPriority:
    rank: int
    actor_id: str
    name: str
    score: float
    reason: str


@dataclass(frozen=True)
class InfluencePath:
    start: str
    path: tuple[str, ...]
    names: tuple[str, ...]
    cost: float
    via: tuple[str, ...]  # how each step is made: "cooperation (n events)" or the analyst relation


@dataclass(frozen=True)
class Analysis:
    window: str
    scores: tuple[ActorScores, ...]
    communities: tuple[tuple[str, ...], ...]
    brokers: tuple[ActorScores, ...]
    influencers: tuple[ActorScores, ...]
    spoilers: tuple[ActorScores, ...]
    grid: tuple[GridPlacement, ...]
    priorities: tuple[EngagementPriority, ...]
    top_hostile: tuple[tuple[str, str, int], ...]
    top_cooperative: tuple[tuple[str, str, int], ...]
    notes: tuple[str, ...] = field(default=())


def _quadrant(power: float, interest: float) -> str:
    if power >= 0.5:
        return "manage closely" if interest >= 0.5 else "keep satisfied"
    return "keep informed" if interest >= 0.5 else "monitor"


def _name(registry: Registry, aid: str) -> str:
    actor = registry.actors.get(aid)
    return actor.name if actor is not None else aid


def analyse(
    relations: RelationSet,
    registry: Registry,
    book: ProcessBook | None = None,
    *,
    min_events: int = 1,
    top: int = 10,
) -> Analysis:
    """Centrality, coalitions, brokers, influencers, spoilers, the power–interest grid and engagement priorities."""
    layers = build_layers(relations, min_events)
    every = layers.interactions
    notes: list[str] = []
    pagerank: dict[str, float] = nx.pagerank(every, weight="weight") if every.number_of_nodes() else {}
    coop_u = layers.cooperative.to_undirected()
    if coop_u.number_of_nodes() > _SAMPLE_ABOVE:
        k = _SAMPLES
        notes.append(f"betweenness estimated from {k} sampled sources (seed {_SEED})")
        betweenness: dict[str, float] = nx.betweenness_centrality(coop_u, k=k, seed=_SEED)
    else:
        betweenness = nx.betweenness_centrality(coop_u) if coop_u.number_of_nodes() else {}
    communities: list[set[str]] = []
    if coop_u.number_of_edges():
        communities = nx.community.louvain_communities(coop_u, weight="weight", seed=_SEED)
    communities.sort(key=lambda c: (-len(c), min(c)))
    community_of = {aid: i for i, c in enumerate(communities) for aid in c}

    out_h: dict[str, int] = {}
    in_h: dict[str, int] = {}
    out_c: dict[str, int] = {}
    in_c: dict[str, int] = {}
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    for r in relations.relations:
        out_h[r.source] = out_h.get(r.source, 0) + r.hostile
        in_h[r.target] = in_h.get(r.target, 0) + r.hostile
        out_c[r.source] = out_c.get(r.source, 0) + r.cooperative
        in_c[r.target] = in_c.get(r.target, 0) + r.cooperative
        first[r.source] = first.get(r.source, 0) + r.hostile_first
        second[r.source] = second.get(r.source, 0) + r.hostile_second
    profiles = book.profiles if book is not None else {}
    actors = sorted(set(every.nodes) | set(profiles))

    def kind_of(aid: str) -> ActorKind:
        actor = registry.actors.get(aid)
        return actor.kind if actor is not None else ActorKind.UNKNOWN

    victims = {aid for aid in actors if kind_of(aid) in VICTIM_KINDS}
    conduct = relations.conduct
    none = Conduct()
    power_of = power_scores(relations, actors, victims, kind_of, book)
    scores: list[ActorScores] = []
    for aid in actors:
        oh, oc = out_h.get(aid, 0), out_c.get(aid, 0)
        share = oh / (oh + oc) if oh + oc else 0.0
        h1, h2 = first.get(aid, 0), second.get(aid, 0)
        profile = profiles.get(aid)
        did = conduct.get(aid, none)
        after_c, before_c = did.violent_after_commitment, did.violent_before_commitment
        against = (after_c - before_c if rose(before_c, after_c, 1, 1) else 0) + did.ceasefire_violations
        if aid in victims:
            risk = 0.0
        elif profile is not None:
            risk = _ATTITUDE_RISK[profile.attitude]
        else:
            risk = spoiler_risk(against, did.rejections, share, escalating=h2 >= 2 * h1 + 2)
        kind = kind_of(aid)
        power, signals = power_of.get(aid, (0.0, ()))
        scores.append(
            ActorScores(
                actor_id=aid,
                name=_name(registry, aid),
                kind=kind.value,
                events=relations.activity.get(aid, 0),
                hostile_out=oh,
                hostile_in=in_h.get(aid, 0),
                cooperative_out=oc,
                cooperative_in=in_c.get(aid, 0),
                pagerank=round(pagerank.get(aid, 0.0), 6),
                betweenness=round(betweenness.get(aid, 0.0), 6),
                community=community_of.get(aid),
                hostile_share=round(share, 4),
                hostile_first=h1,
                hostile_second=h2,
                spoiler_risk=round(risk, 4),
                attitude=profile.attitude.value if profile is not None else None,
                against_commitment=against,
                rejections=did.rejections,
                first_commitment=did.first_commitment.isoformat() if did.first_commitment else None,
                victim=aid in victims,
                power=power,
                power_signals=signals,
            )
        )
    by_id = {s.actor_id: s for s in scores}
    brokers = tuple(sorted((s for s in scores if s.betweenness > 0), key=lambda s: (-s.betweenness, s.actor_id))[:top])
    influencers = tuple(sorted((s for s in scores if not s.victim), key=lambda s: (-s.pagerank, s.actor_id))[:top])
    spoilers = tuple(
        sorted(
            (s for s in scores if s.spoiler_risk >= 0.5 and not s.victim),
            key=lambda s: (-s.spoiler_risk, -s.against_commitment, -s.hostile_out, s.actor_id),
        )[:top]
    )
    act_pct = percentiles({s.actor_id: float(s.events) for s in scores})
    bt_pct = percentiles({s.actor_id: s.betweenness for s in scores})
    grid: list[GridPlacement] = []
    for s in scores:
        p = profiles.get(s.actor_id)
        from_profile = p is not None and p.power is not None and not s.victim
        power = p.power if from_profile and p is not None and p.power is not None else s.power
        interest = p.interest if p is not None and p.interest is not None else act_pct.get(s.actor_id, 0.0)
        grid.append(
            GridPlacement(
                s.actor_id, s.name, round(power, 4), round(interest, 4), _quadrant(power, interest), p is not None
            )
        )
    grid_of = {g.actor_id: g for g in grid}
    ranked: list[tuple[float, str, str]] = []
    for s in scores:
        g = grid_of[s.actor_id]
        broker = bt_pct.get(s.actor_id, 0.0) if s.betweenness > 0 else 0.0
        score = 0.4 * g.power + 0.25 * broker + 0.35 * s.spoiler_risk
        ranked.append((round(score, 4), s.actor_id, _reason(s, g, broker)))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    priorities = tuple(
        EngagementPriority(i + 1, aid, by_id[aid].name, score, reason)
        for i, (score, aid, reason) in enumerate(ranked[:top])
    )

    def dyads(layer: str) -> tuple[tuple[str, str, int], ...]:
        return tuple((r.source, r.target, int(getattr(r, layer))) for r in relations.top(layer, top))

    return Analysis(
        window=str(relations.window),
        scores=tuple(scores),
        communities=tuple(tuple(sorted(c)) for c in communities),
        brokers=brokers,
        influencers=influencers,
        spoilers=spoilers,
        grid=tuple(grid),
        priorities=priorities,
        top_hostile=dyads("hostile"),
        top_cooperative=dyads("cooperative"),
        notes=tuple(notes),
    )


def _reason(s: ActorScores, g: GridPlacement, broker: float) -> str:
    parts: list[str] = []
    if s.victim:
        parts.append("victims of violence or repression: never a power holder or a spoiler; protect and inform")
    elif g.power >= 0.5:
        if g.from_profile and g.power != s.power:
            source = "analyst's judgement"
        else:
            top2 = sorted(s.power_signals, key=lambda kv: -kv[1])[:2]
            source = ", ".join(f"{k} {v:.2f}" for k, v in top2)
        parts.append(f"high power ({source})")
    if broker >= 0.75 and s.betweenness >= 0.01:
        parts.append(f"a broker: lies on many cooperation paths (betweenness {s.betweenness:.3f})")
    if s.victim:
        pass
    elif s.attitude is not None:
        parts.append(f"the analysts judge it a {s.attitude}")
    elif s.spoiler_risk >= 0.5:
        evidence: list[str] = []
        if s.against_commitment:
            since = f" (first commitment {s.first_commitment})" if s.first_commitment else ""
            evidence.append(f"{s.against_commitment} more violent acts against parties after committing to them{since}")
        if s.rejections:
            plural = "" if s.rejections == 1 else "s"
            evidence.append(f"{s.rejections} rejection{plural} of talks, mediation or a settlement")
        text = "likely spoiler: " + " and ".join(evidence)
        if s.hostile_second >= 2 * s.hostile_first + 2:
            text += f"; hostile acts rising from {s.hostile_first} to {s.hostile_second} between the halves"
        parts.append(text)
    if not parts:
        parts.append(
            f"{g.quadrant}: {s.events} events, {s.hostile_out} hostile and {s.cooperative_out} cooperative acts"
        )
    kind = f" ({s.kind.replace('_', ' ')})" if s.kind not in ("unknown", "other") else ""
    armed = " armed actor;" if s.kind in {k.value for k in ARMED_KINDS} else ""
    return f"{s.name}{kind}:{armed} " + "; ".join(parts) + f" — grid: {g.quadrant}."


def _reach_graph(relations: RelationSet, book: ProcessBook | None, min_events: int) -> nx.DiGraph[str]:
    g: nx.DiGraph[str] = nx.DiGraph()
    for r in relations.relations:
        if r.cooperative >= min_events:
            cost = 1.0 / math.log2(1 + r.cooperative)
            for a, b in ((r.source, r.target), (r.target, r.source)):
                if not g.has_edge(a, b) or g[a][b]["cost"] > cost:
                    g.add_edge(a, b, cost=cost, via=f"cooperation ({r.cooperative} events)")
    if book is not None:
        for rel in book.relations:
            weight = max(rel.strength * rel.confidence, 0.05)
            cost = 1.0 / (1.0 + 4.0 * weight)
            if rel.kind in REACHING:
                pairs = [(rel.source, rel.target)]
            elif rel.kind is RelationKind.CLIENT_OF:
                pairs = [(rel.target, rel.source)]
            else:
                continue
            for a, b in pairs:
                if not g.has_edge(a, b) or g[a][b]["cost"] > cost:
                    g.add_edge(a, b, cost=cost, via=f"{rel.kind.value} (analyst, strength {rel.strength})")
    return g


def influence_paths(
    relations: RelationSet,
    registry: Registry,
    access: Collection[str],
    target: str,
    book: ProcessBook | None = None,
    *,
    min_events: int = 1,
    limit: int = 5,
) -> list[InfluencePath]:
    """Who can reach ``target`` from the actors the mediator already has access to, cheapest first.

    Steps are cooperative relations (either direction) and analyst relations (ally, patron of, influence over;
    client of reversed). Hostile relations never carry a path.
    """
    g = _reach_graph(relations, book, min_events)
    out: list[InfluencePath] = []
    if target not in g:
        return out
    for start in sorted(set(access)):
        if start == target or start not in g:
            continue
        try:
            path: list[str] = nx.dijkstra_path(g, start, target, weight="cost")
        except nx.NetworkXNoPath:
            continue
        steps = list(itertools.pairwise(path))
        via = tuple(str(g[a][b]["via"]) for a, b in steps)
        cost = sum(float(g[a][b]["cost"]) for a, b in steps)
        out.append(InfluencePath(start, tuple(path), tuple(_name(registry, a) for a in path), round(cost, 4), via))
    out.sort(key=lambda p: (p.cost, len(p.path), p.start))
    return out[:limit]


@dataclass(frozen=True)
class WindowDiff:
    before: str
    after: str
    turned_hostile: tuple[tuple[str, str, str], ...]  # (id, name, reason)
    went_quiet: tuple[tuple[str, str, str], ...]
    new_hostile_dyads: tuple[tuple[str, str, int], ...]
    ended_hostile_dyads: tuple[tuple[str, str, int], ...]
    #: actors whose hostile acts rose beyond chance: (id, name, reason with the counts)
    escalated: tuple[tuple[str, str, str], ...] = ()
    #: hostile dyads present before that rose beyond chance: (source, target, hostile before, hostile after)
    escalated_dyads: tuple[tuple[str, str, int, int], ...] = ()


def _days(window: Window) -> int:
    return (window.end - window.start).days + 1


def diff_windows(before: RelationSet, after: RelationSet, registry: Registry, *, min_events: int = 3) -> WindowDiff:
    """Who turned hostile, who escalated, who went quiet between two windows, and which hostile dyads began, rose or
    ended. Counts in windows of different lengths are compared per day (see :func:`rose`)."""

    def per_actor(rs: RelationSet) -> dict[str, tuple[int, int]]:
        acc: dict[str, tuple[int, int]] = {}
        for r in rs.relations:
            h, c = acc.get(r.source, (0, 0))
            acc[r.source] = (h + r.hostile, c + r.cooperative)
        return acc

    d1, d2 = _days(before.window), _days(after.window)
    a, b = per_actor(before), per_actor(after)
    turned: list[tuple[str, str, str]] = []
    escalated: list[tuple[str, str, str]] = []
    for aid, (h2, c2) in b.items():
        h1, c1 = a.get(aid, (0, 0))
        s1 = h1 / (h1 + c1) if h1 + c1 else 0.0
        s2 = h2 / (h2 + c2) if h2 + c2 else 0.0
        if h2 >= min_events and s2 - s1 >= 0.2:
            reason = f"hostile share of its actions {s1:.0%} -> {s2:.0%} ({h1} -> {h2} hostile acts)"
            turned.append((aid, _name(registry, aid), reason))
        if h1 and rose(h1, h2, d1, d2, min_events=min_events):
            per_day = f"{h1 / d1:.2f} -> {h2 / d2:.2f} a day"
            escalated.append((aid, _name(registry, aid), f"hostile acts {h1} -> {h2} ({per_day})"))
    quiet: list[tuple[str, str, str]] = []
    for aid, n1 in before.activity.items():
        n2 = after.activity.get(aid, 0)
        if n1 >= min_events and n2 * 10 <= n1:
            quiet.append((aid, _name(registry, aid), f"{n1} events before, {n2} after"))
    hb = {(r.source, r.target): r.hostile for r in before.relations if r.hostile}
    ha = {(r.source, r.target): r.hostile for r in after.relations if r.hostile}
    new = sorted(((s, t, n) for (s, t), n in ha.items() if n >= min_events and (s, t) not in hb), key=lambda x: -x[2])
    ended = sorted(((s, t, n) for (s, t), n in hb.items() if n >= min_events and (s, t) not in ha), key=lambda x: -x[2])
    risen = sorted(
        (
            (s, t, hb[s, t], n)
            for (s, t), n in ha.items()
            if (s, t) in hb and rose(hb[s, t], n, d1, d2, min_events=min_events)
        ),
        key=lambda x: (-(x[3] - x[2]), x[0], x[1]),
    )
    turned.sort(key=lambda t: t[0])
    quiet.sort(key=lambda t: t[0])
    escalated.sort(key=lambda t: t[0])
    return WindowDiff(
        str(before.window),
        str(after.window),
        tuple(turned),
        tuple(quiet),
        tuple(new),
        tuple(ended),
        tuple(escalated),
        tuple(risen),
    )
