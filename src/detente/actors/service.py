"""The Python API of the actors capability: one object per workspace that the CLI and the pages call.

svc = ActorService.open("ws")
svc.build(ucdp_actor_list=Path("ucdp-actor-221.csv"))
for s in svc.suggest(limit=20): ...
svc.merge(s.a, s.b, by="analyst@example.org")
rel = svc.relations(Window.parse("2012-01-01..2012-12-31"))
result = svc.analyse(rel)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from detente.actors.keys import key_sql
from detente.actors.model import CanonicalActor
from detente.actors.network import Analysis, InfluencePath, WindowDiff, analyse, diff_windows, influence_paths
from detente.actors.profiles import AnalystRelation, ProcessBook, StakeholderProfile
from detente.actors.registry import Decision, DecisionKind, Registry, build_registry, new_decision
from detente.actors.relations import RelationSet, Window, measure_relations
from detente.actors.sources import combine_same_keys, read_ucdp_actor_list, source_actors_from_store
from detente.actors.storage import ActorFiles
from detente.actors.suggest import Suggestion, suggest_merges
from detente.events.store import EventStore, open_store
from detente.workspace import Workspace

__all__ = ["ActorService", "BuildReport"]

_EVENT_COLUMNS = ("event_id", "source", "date_start", "country_iso3", "admin1", "category", "actor1_name",
                  "actor2_name", "fatalities_best")  # fmt: skip

Clock = Callable[[], datetime]


class BuildReport:
    def __init__(self, source_actors: int, by_system: dict[str, int], canonical: int, stale: Sequence[str]) -> None:
        self.source_actors = source_actors
        self.by_system = by_system
        self.canonical = canonical
        self.stale = tuple(stale)

    def as_dict(self) -> dict[str, object]:
        return {
            "source_actors": self.source_actors,
            "by_system": self.by_system,
            "canonical_actors": self.canonical,
            "stale_decisions": list(self.stale),
        }


class ActorService:
    def __init__(self, workspace: Workspace, store: EventStore, clock: Clock) -> None:
        self.workspace = workspace
        self.store = store
        self.files = ActorFiles(workspace)
        self.clock = clock

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False, clock: Clock | None = None) -> ActorService:
        store = open_store(path, create=create)
        return cls(store.workspace, store, clock or (lambda: datetime.now(UTC)))

    # -- registry ---------------------------------------------------------------------------------------
    def build(self, *, ucdp_actor_list: Path | None = None, sources: Sequence[str] | None = None) -> BuildReport:
        """Collect source actors from the store (and the UCDP actor list), save them, and return the counts.

        Recorded decisions are kept and replayed on the new sources; any that no longer apply are reported.
        """
        groups = []
        inputs = ["event store"]
        if ucdp_actor_list is not None:
            groups.append(read_ucdp_actor_list(ucdp_actor_list))
            inputs.append(ucdp_actor_list.name)
        groups.append(source_actors_from_store(self.store, sources))
        actors = combine_same_keys(groups)
        with self.files.lock():
            self.files.save_sources(actors, built_at=self.clock(), inputs=inputs)
            registry = build_registry(actors, self.files.load_decisions())
        by_system: dict[str, int] = {}
        for a in actors:
            by_system[a.system] = by_system.get(a.system, 0) + 1
        return BuildReport(len(actors), dict(sorted(by_system.items())), len(registry.actors), registry.stale)

    def registry(self) -> Registry:
        sources = self.files.load_sources()
        if sources is None:
            sources = combine_same_keys([source_actors_from_store(self.store)])
        return build_registry(sources, self.files.load_decisions())

    def actor(self, ref: str) -> CanonicalActor:
        return self.registry().resolve(ref)

    def suggest(
        self, *, min_score: float = 0.75, limit: int | None = 50, relations: RelationSet | None = None
    ) -> list[Suggestion]:
        reg = self.registry()
        counterparts = relations.counterparts() if relations is not None else None
        return suggest_merges(reg, min_score=min_score, limit=limit, counterparts=counterparts)

    def _decide(self, kind: DecisionKind, **kwargs: object) -> Decision:
        with self.files.lock():
            sources = self.files.load_sources()
            if sources is None:
                sources = combine_same_keys([source_actors_from_store(self.store)])
                self.files.save_sources(sources, built_at=self.clock(), inputs=["event store"])
            decisions = self.files.load_decisions()
            reg = build_registry(sources, decisions)
            if kind is not DecisionKind.UNDO:
                kwargs["into"] = reg.resolve(str(kwargs["into"])).id
                kwargs["other"] = reg.resolve(str(kwargs["other"])).id
            decision = new_decision(reg, kind, at=self.clock(), **kwargs)  # type: ignore[arg-type]
            self.files.save_decisions([*decisions, decision])
            return decision

    def merge(self, into: str, other: str, *, by: str, note: str = "", score: float | None = None) -> Decision:
        """Record that ``other`` is the same actor as ``into`` (ids, source keys or unique names)."""
        return self._decide(DecisionKind.MERGE, into=into, other=other, by=by, note=note, score=score)

    def reject(self, a: str, b: str, *, by: str, note: str = "", score: float | None = None) -> Decision:
        """Record that ``a`` and ``b`` are different actors; the pair is never suggested again."""
        return self._decide(DecisionKind.REJECT, into=a, other=b, by=by, note=note, score=score)

    def undo(self, target: str | None = None, *, by: str, note: str = "") -> Decision:
        """Undo a merge or rejection (the latest active one by default)."""
        return self._decide(DecisionKind.UNDO, target=target, by=by, note=note)

    def decisions(self) -> list[Decision]:
        return self.files.load_decisions()

    # -- relations and analysis ---------------------------------------------------------------------------
    def relations(
        self,
        window: Window | None = None,
        *,
        sources: Sequence[str] | None = None,
        country_iso3: str | None = None,
        registry: Registry | None = None,
    ) -> RelationSet:
        return measure_relations(
            self.store, registry or self.registry(), window, sources=sources, country_iso3=country_iso3
        )

    def analyse(
        self,
        relations: RelationSet,
        *,
        process_id: str | None = None,
        readable_labels: Collection[str] = ("public",),
        min_events: int = 1,
        top: int = 10,
    ) -> Analysis:
        book = self.book(process_id, readable_labels) if process_id else None
        return analyse(relations, self.registry(), book, min_events=min_events, top=top)

    def influence_paths(
        self,
        relations: RelationSet,
        access: Collection[str],
        target: str,
        *,
        process_id: str | None = None,
        readable_labels: Collection[str] = ("public",),
        limit: int = 5,
    ) -> list[InfluencePath]:
        reg = self.registry()
        book = self.book(process_id, readable_labels) if process_id else None
        starts = [reg.resolve(a).id for a in access]
        return influence_paths(relations, reg, starts, reg.resolve(target).id, book, limit=limit)

    def recent_events(self, actor_id: str, *, window: Window | None = None, limit: int = 20) -> list[dict[str, object]]:
        """The latest events naming the actor (as either side, through any of its source keys), newest first."""
        actor = self.registry().get(actor_id)
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

    def diff(self, before: Window, after: Window, *, min_events: int = 3) -> WindowDiff:
        reg = self.registry()
        return diff_windows(
            self.relations(before, registry=reg), self.relations(after, registry=reg), reg, min_events=min_events
        )

    # -- stakeholder profiles -------------------------------------------------------------------------------
    def book(self, process_id: str, readable_labels: Collection[str]) -> ProcessBook:
        """The process's profiles and analyst relations that carry a readable label (``access`` decides which)."""
        return self.files.load_process(process_id).readable(readable_labels)

    def save_profile(self, process_id: str, profile: StakeholderProfile) -> None:
        """Store a profile (the caller has asked ``access.decide`` for create/update with its label)."""
        self.registry().get(profile.actor_id)
        with self.files.lock():
            self.files.save_process(self.files.load_process(process_id).with_profile(profile))

    def add_relation(self, process_id: str, relation: AnalystRelation) -> None:
        reg = self.registry()
        reg.get(relation.source)
        reg.get(relation.target)
        with self.files.lock():
            self.files.save_process(self.files.load_process(process_id).with_relation(relation))
