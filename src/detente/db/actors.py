"""Storage of the actor registry and the stakeholder books (tables in :mod:`detente.db.state_models`).

The registry is the source actors of the last build plus the append-only decision log; a build replaces the source
actors and keeps the decisions. Profiles are one row per (process, label, actor), edited with a version compared on
update so that two editors never overwrite each other unseen. These functions store; they do not decide.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from detente.actors.model import ActorKind, SourceActor
from detente.actors.profiles import (
    AnalystRelation,
    StakeholderProfile,
    profile_from_json,
    profile_to_json,
    relation_from_json,
    relation_to_json,
)
from detente.actors.registry import Decision, DecisionKind
from detente.db.sealed import process_domain, sealing
from detente.db.state_models import (
    ActorBuildRow,
    ActorDecisionRow,
    ActorProfileRow,
    ActorRelationRow,
    ActorSourceRow,
)
from detente.errors import StaleState

__all__ = [
    "StoredProfile",
    "add_relation",
    "append_decision",
    "get_profile",
    "load_decisions",
    "load_sources",
    "next_relation_id",
    "profiles",
    "registry_version",
    "relations",
    "replace_sources",
    "save_profile",
]


def registry_version(s: Session) -> tuple[int, int]:
    """(latest build, latest decision): changes whenever the registry may have."""
    build = s.scalar(select(func.max(ActorBuildRow.id))) or 0
    decision = s.scalar(select(func.max(ActorDecisionRow.seq))) or 0
    return int(build), int(decision)


def load_sources(s: Session) -> list[SourceActor] | None:
    """The source actors of the last build, or None before the first."""
    if s.scalar(select(func.max(ActorBuildRow.id))) is None:
        return None
    rows = s.execute(
        select(
            ActorSourceRow.key,
            ActorSourceRow.name,
            ActorSourceRow.kind,
            ActorSourceRow.country_iso3,
            ActorSourceRow.aliases,
            ActorSourceRow.parents,
            ActorSourceRow.events,
            ActorSourceRow.ids,
        ).order_by(ActorSourceRow.key)
    )
    return [
        SourceActor(
            key=key,
            name=name,
            kind=ActorKind(kind),
            country_iso3=country,
            aliases=tuple(aliases or ()),
            parents=tuple(parents or ()),
            events=int(events),
            ids=tuple(ids or ()),
        )
        for key, name, kind, country, aliases, parents, events, ids in rows
    ]


def replace_sources(s: Session, actors: Sequence[SourceActor], *, built_at: datetime, inputs: Sequence[str]) -> None:
    s.execute(delete(ActorSourceRow))
    if actors:
        s.execute(
            insert(ActorSourceRow),
            [
                {
                    "key": a.key,
                    "name": a.name,
                    "kind": a.kind.value,
                    "country_iso3": a.country_iso3,
                    "aliases": list(a.aliases),
                    "parents": list(a.parents),
                    "events": a.events,
                    "ids": list(a.ids),
                }
                for a in actors
            ],
        )
    s.add(ActorBuildRow(built_at=built_at, inputs=list(inputs), actors=len(actors)))
    s.flush()


def load_decisions(s: Session) -> list[Decision]:
    rows = s.scalars(select(ActorDecisionRow).order_by(ActorDecisionRow.seq))
    return [
        Decision(
            id=r.id,
            kind=DecisionKind(r.kind),
            at=r.at,
            by=r.by,
            into=r.into,
            other=r.other,
            target=r.target,
            note=r.note,
            score=r.score,
        )
        for r in rows
    ]


def append_decision(
    s: Session, decision: Decision, *, expected_seq: int, process_id: int | None, user_id: int | None
) -> None:
    """Append ``decision`` after ``expected_seq`` entries; a concurrent decision makes it a ConflictError."""
    current = s.scalar(select(func.max(ActorDecisionRow.seq))) or 0
    if current != expected_seq:
        raise StaleState("another registry decision was recorded meanwhile; reload and retry")
    s.add(
        ActorDecisionRow(
            seq=expected_seq + 1,
            id=decision.id,
            kind=decision.kind.value,
            at=decision.at,
            by=decision.by,
            into=decision.into,
            other=decision.other,
            target=decision.target,
            note=decision.note,
            score=decision.score,
            process_id=process_id,
            actor_user_id=user_id,
        )
    )
    s.flush()


@dataclass(frozen=True)
class StoredProfile:
    label: str
    profile: StakeholderProfile
    version: int


def profiles(s: Session, process_id: int, labels: Collection[str]) -> list[StoredProfile]:
    """The process's profiles under ``labels`` (the readable ones: nothing else is read)."""
    if not labels:
        return []
    rows = s.scalars(
        select(ActorProfileRow)
        .where(ActorProfileRow.process_id == process_id, ActorProfileRow.label.in_(sorted(labels)))
        .order_by(ActorProfileRow.label, ActorProfileRow.actor_id)
    )
    return [StoredProfile(r.label, profile_from_json(r.body), r.version) for r in rows]


def get_profile(s: Session, process_id: int, label: str, actor_id: str) -> StoredProfile | None:
    row = s.get(ActorProfileRow, (process_id, label, actor_id), populate_existing=True)
    return None if row is None else StoredProfile(row.label, profile_from_json(row.body), row.version)


def save_profile(
    s: Session,
    process_id: int,
    profile: StakeholderProfile,
    *,
    expected: int | None,
    at: datetime,
    by: int | None,
) -> int:
    """Insert (``expected`` None) or update the version ``expected`` of the profile; returns the new version.

    A profile changed (or created) meanwhile by someone else makes it a :class:`ConflictError`."""
    body = profile_to_json(profile)
    if expected is None:
        if s.get(ActorProfileRow, (process_id, profile.label, profile.actor_id)) is not None:
            raise StaleState("the profile was created meanwhile; reload and retry")
        s.add(
            ActorProfileRow(
                process_id=process_id,
                label=profile.label,
                actor_id=profile.actor_id,
                body=body,
                version=1,
                updated_at=at,
                updated_by=by,
            )
        )
        s.flush()
        return 1
    result = s.execute(
        update(ActorProfileRow)
        .where(
            ActorProfileRow.process_id == process_id,
            ActorProfileRow.label == profile.label,
            ActorProfileRow.actor_id == profile.actor_id,
            ActorProfileRow.version == expected,
        )
        .values(
            body=sealing(s.connection(), process_domain(process_id), body),
            version=expected + 1,
            updated_at=at,
            updated_by=by,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleState("the profile changed meanwhile; reload and retry")
    return expected + 1


def relations(s: Session, process_id: int, labels: Collection[str]) -> list[tuple[str, AnalystRelation]]:
    if not labels:
        return []
    rows = s.scalars(
        select(ActorRelationRow)
        .where(ActorRelationRow.process_id == process_id, ActorRelationRow.label.in_(sorted(labels)))
        .order_by(ActorRelationRow.id)
    )
    return [(r.label, relation_from_json(r.body)) for r in rows]


def next_relation_id(s: Session, process_id: int) -> str:
    count = s.scalar(
        select(func.count()).select_from(ActorRelationRow).where(ActorRelationRow.process_id == process_id)
    )
    return f"r{int(count or 0) + 1:05d}"


def add_relation(s: Session, process_id: int, relation: AnalystRelation, *, at: datetime, by: int | None) -> None:
    if s.get(ActorRelationRow, (process_id, relation.id)) is not None:
        raise StaleState(f"relation id {relation.id!r} is taken; reload and retry")
    s.add(
        ActorRelationRow(
            process_id=process_id,
            id=relation.id,
            label=relation.label,
            body=relation_to_json(relation),
            created_at=at,
            created_by=by,
        )
    )
    s.flush()
