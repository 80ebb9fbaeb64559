"""The canonical registry: source actors folded with the analyst's recorded decisions (pure).

Nothing merges silently. The registry is always *computed*: each source actor starts as its own canonical actor,
then the active decisions (merges and rejections not undone) are replayed in order. Undoing a decision appends an
``undo`` decision; replaying without the undone one restores exactly the registry as it was before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from detente.actors.model import ActorKind, CanonicalActor, SourceActor, actor_id_for, normalize_name
from detente.errors import ActorNotFoundError, DecisionConflictError

__all__ = ["Decision", "DecisionKind", "Registry", "build_registry", "new_decision"]


class DecisionKind(StrEnum):
    MERGE = "merge"
    REJECT = "reject"
    UNDO = "undo"


@dataclass(frozen=True)
class Decision:
    """One analyst decision. ``merge``: ``other`` joins ``into``; ``reject``: the pair is not the same actor;
    ``undo``: ``target`` (a decision id) no longer applies."""

    id: str
    kind: DecisionKind
    at: datetime
    by: str
    into: str | None = None
    other: str | None = None
    target: str | None = None
    note: str = ""
    score: float | None = None  # the suggestion score, when the decision answered a suggestion


@dataclass(frozen=True)
class Registry:
    actors: Mapping[str, CanonicalActor]
    key_index: Mapping[str, str]  # source key -> canonical id
    rejected: frozenset[frozenset[str]]
    decisions: tuple[Decision, ...] = ()
    #: decisions that no longer apply to the current sources (an actor they name has gone)
    stale: tuple[str, ...] = field(default=())

    def get(self, actor_id: str) -> CanonicalActor:
        try:
            return self.actors[actor_id]
        except KeyError:
            raise ActorNotFoundError(f"no actor {actor_id!r} in the registry") from None

    def resolve(self, ref: str) -> CanonicalActor:
        """An actor by canonical id, source key (``cameo:GEOGOV``) or exact (normalised) name or alias."""
        if ref in self.actors:
            return self.actors[ref]
        if ref in self.key_index:
            return self.actors[self.key_index[ref]]
        wanted = normalize_name(ref)
        hits = [a for a in self.actors.values() if wanted in {normalize_name(n) for n in (a.name, *a.aliases)}]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(f"{a.id} ({a.name})" for a in sorted(hits, key=lambda a: a.id)[:5])
            raise ActorNotFoundError(f"{ref!r} names {len(hits)} actors: {names}; give an id or a source key")
        raise ActorNotFoundError(f"no actor {ref!r} in the registry")

    def active_decisions(self) -> list[Decision]:
        undone = {d.target for d in self.decisions if d.kind is DecisionKind.UNDO}
        return [d for d in self.decisions if d.kind is not DecisionKind.UNDO and d.id not in undone]

    def is_rejected(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.rejected


def new_decision(
    registry: Registry,
    kind: DecisionKind,
    *,
    at: datetime,
    by: str,
    into: str | None = None,
    other: str | None = None,
    target: str | None = None,
    note: str = "",
    score: float | None = None,
) -> Decision:
    """Validate a new decision against the current registry (raises instead of recording a contradiction)."""
    if at.tzinfo is None:
        raise DecisionConflictError("decision time must be timezone-aware (UTC)")
    did = f"d{len(registry.decisions) + 1:05d}"
    if kind in (DecisionKind.MERGE, DecisionKind.REJECT):
        if into is None or other is None:
            raise DecisionConflictError(f"a {kind.value} names two actors")
        registry.get(into)
        registry.get(other)
        if into == other:
            raise DecisionConflictError(f"{into} cannot be merged with or rejected against itself")
        if kind is DecisionKind.MERGE and registry.is_rejected(into, other):
            raise DecisionConflictError(f"{into} and {other} were rejected as the same actor; undo that first")
        if kind is DecisionKind.REJECT and registry.is_rejected(into, other):
            raise DecisionConflictError(f"{into} and {other} are already rejected")
    else:
        active = {d.id for d in registry.active_decisions()}
        if target is None:
            if not active:
                raise DecisionConflictError("nothing to undo")
            target = registry.active_decisions()[-1].id
        if target not in active:
            raise DecisionConflictError(f"decision {target!r} is not an active merge or rejection")
    return Decision(did, kind, at, by, into=into, other=other, target=target, note=note, score=score)


def _merge(into: CanonicalActor, other: CanonicalActor) -> CanonicalActor:
    names = [into.name, *into.aliases, other.name, *other.aliases]
    return CanonicalActor(
        id=into.id,
        name=into.name,
        kind=into.kind if into.kind is not ActorKind.UNKNOWN else other.kind,
        country_iso3=into.country_iso3 or other.country_iso3,
        aliases=tuple(n for n in dict.fromkeys(names) if n != into.name),
        source_keys=tuple(sorted({*into.source_keys, *other.source_keys})),
        parents=tuple(p for p in dict.fromkeys((*into.parents, *other.parents)) if p not in (into.id, other.id)),
        events=into.events + other.events,
        ids=tuple(dict.fromkeys((*into.ids, *other.ids))),
    )


def build_registry(sources: Iterable[SourceActor], decisions: Sequence[Decision] = ()) -> Registry:
    """Fold ``decisions`` over the source actors. Decisions naming actors that no longer exist are kept as stale."""
    base: dict[str, SourceActor] = {}
    for s in sources:
        if s.key in base:
            raise DecisionConflictError(f"source key {s.key!r} given twice; combine same keys first")
        base[s.key] = s
    actors: dict[str, CanonicalActor] = {}
    key_index: dict[str, str] = {}
    for s in base.values():
        aid = actor_id_for(s.key)
        key_index[s.key] = aid
        actors[aid] = CanonicalActor(aid, s.name, s.kind, s.country_iso3, s.aliases, (s.key,), (), s.events, s.ids)
    # parents are source keys; resolve them to canonical ids of the unmerged registry first
    for s in base.values():
        aid = key_index[s.key]
        parents = tuple(key_index[p] for p in s.parents if p in key_index and key_index[p] != aid)
        if parents:
            a = actors[aid]
            actors[aid] = CanonicalActor(
                a.id, a.name, a.kind, a.country_iso3, a.aliases, a.source_keys, parents, a.events, a.ids
            )
    undone = {d.target for d in decisions if d.kind is DecisionKind.UNDO}
    redirect: dict[str, str] = {}
    rejected: set[frozenset[str]] = set()
    stale: list[str] = []

    def find(aid: str) -> str:
        while aid in redirect:
            aid = redirect[aid]
        return aid

    for d in decisions:
        if d.kind is DecisionKind.UNDO or d.id in undone or d.into is None or d.other is None:
            continue
        into, other = find(d.into), find(d.other)
        if into not in actors or other not in actors or into == other:
            stale.append(d.id)
            continue
        if d.kind is DecisionKind.REJECT:
            rejected.add(frozenset((into, other)))
            continue
        if frozenset((into, other)) in rejected:
            stale.append(d.id)
            continue
        actors[into] = _merge(actors[into], actors.pop(other))
        redirect[other] = into
        rejected = {frozenset(find(x) for x in pair) for pair in rejected}
    for key, aid in key_index.items():
        key_index[key] = find(aid)
    final: dict[str, CanonicalActor] = {}
    for aid, a in actors.items():
        parents = tuple(p for p in dict.fromkeys(find(p) for p in a.parents) if p != aid)
        final[aid] = (
            a
            if parents == a.parents
            else CanonicalActor(
                a.id, a.name, a.kind, a.country_iso3, a.aliases, a.source_keys, parents, a.events, a.ids
            )
        )
    return Registry(final, key_index, frozenset(rejected), tuple(decisions), tuple(stale))
