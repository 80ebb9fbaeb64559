"""The actors capability over one workspace's event store: collecting source actors, measuring relations, analysing
the network. It reads; it stores nothing. The registry (source actors plus the decision log) and the stakeholder
books live in SQL and are handed in by the application services (``detente.services.actors``).

    engine = ActorAnalysis(open_store("ws"))
    actors, inputs = engine.collect_sources(ucdp_actor_list=Path("ucdp-actor-221.csv"))
    registry = build_registry(actors, decisions)
    rel = engine.relations(registry, Window.parse("2012-01-01..2012-12-31"))
    result = engine.analyse(rel, registry, book)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from detente.actors.keys import key_sql
from detente.actors.model import CanonicalActor, SourceActor
from detente.actors.network import Analysis, InfluencePath, WindowDiff, analyse, diff_windows, influence_paths
from detente.actors.profiles import ProcessBook
from detente.actors.registry import Registry
from detente.actors.relations import RelationSet, Window, measure_relations
from detente.actors.sources import combine_same_keys, read_ucdp_actor_list, source_actors_from_store
from detente.actors.suggest import Suggestion, suggest_merges
from detente.events.store import EventStore

__all__ = ["ActorAnalysis", "BuildReport"]

_EVENT_COLUMNS = ("event_id", "source", "date_start", "country_iso3", "admin1", "category", "actor1_name",
                  "actor2_name", "fatalities_best")  # fmt: skip


@dataclass(frozen=True)
class BuildReport:
    source_actors: int
    by_system: dict[str, int]
    canonical: int
    stale: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "source_actors": self.source_actors,
            "by_system": self.by_system,
            "canonical_actors": self.canonical,
            "stale_decisions": list(self.stale),
        }


class ActorAnalysis:
    """Read-only analysis of the actors in an event store, for a registry handed in."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    # -- source actors ----------------------------------------------------------------------------------
    def collect_sources(
        self, *, ucdp_actor_list: Path | None = None, sources: Sequence[str] | None = None
    ) -> tuple[list[SourceActor], list[str]]:
        """The source actors of the store (and of the UCDP actor list), one per source key, and what was read."""
        groups = []
        inputs = ["event store"]
        if ucdp_actor_list is not None:
            groups.append(read_ucdp_actor_list(ucdp_actor_list))
            inputs.append(ucdp_actor_list.name)
        groups.append(source_actors_from_store(self.store, sources))
        return combine_same_keys(groups), inputs

    def store_sources(self) -> list[SourceActor]:
        """The store's source actors (the registry's sources before any build)."""
        return combine_same_keys([source_actors_from_store(self.store)])

    # -- relations and analysis ---------------------------------------------------------------------------
    def suggest(
        self,
        registry: Registry,
        *,
        min_score: float = 0.75,
        limit: int | None = 50,
        relations: RelationSet | None = None,
    ) -> list[Suggestion]:
        counterparts = relations.counterparts() if relations is not None else None
        return suggest_merges(registry, min_score=min_score, limit=limit, counterparts=counterparts)

    def relations(
        self,
        registry: Registry,
        window: Window | None = None,
        *,
        sources: Sequence[str] | None = None,
        country_iso3: str | None = None,
    ) -> RelationSet:
        return measure_relations(self.store, registry, window, sources=sources, country_iso3=country_iso3)

    def analyse(
        self,
        relations: RelationSet,
        registry: Registry,
        book: ProcessBook | None = None,
        *,
        min_events: int = 1,
        top: int = 10,
    ) -> Analysis:
        return analyse(relations, registry, book, min_events=min_events, top=top)

    def influence_paths(
        self,
        relations: RelationSet,
        registry: Registry,
        access: Sequence[str],
        target: str,
        book: ProcessBook | None = None,
        *,
        min_events: int = 1,
        limit: int = 5,
    ) -> list[InfluencePath]:
        starts = [registry.resolve(a).id for a in access]
        return influence_paths(
            relations, registry, starts, registry.resolve(target).id, book, min_events=min_events, limit=limit
        )

    def recent_events(
        self, actor: CanonicalActor, *, window: Window | None = None, limit: int = 20
    ) -> list[dict[str, object]]:
        """The latest events naming the actor (as either side, through any of its source keys), newest first."""
        keys = pa.table({"k": pa.array(list(actor.source_keys), pa.string())})
        where = [f"({key_sql(1)} IN (SELECT k FROM actor_keys) OR {key_sql(2)} IN (SELECT k FROM actor_keys))"]
        params: dict[str, object] = {"limit": max(0, int(limit))}
        if window is not None:
            where.append("date_start BETWEEN $start AND $end")
            params.update(start=window.start, end=window.end)
        sql = (
            f"SELECT {', '.join(_EVENT_COLUMNS)} FROM {self.store.relation_sql()} WHERE {' AND '.join(where)} "
            "ORDER BY date_start DESC, event_id LIMIT $limit"
        )
        con = self.store.duckdb()
        try:
            con.register("actor_keys", keys)
            rows = con.execute(sql, params).fetchall()
        finally:
            con.close()
        return [dict(zip(_EVENT_COLUMNS, row, strict=True)) for row in rows]

    def diff(self, registry: Registry, before: Window, after: Window, *, min_events: int = 3) -> WindowDiff:
        return diff_windows(
            self.relations(registry, before), self.relations(registry, after), registry, min_events=min_events
        )
