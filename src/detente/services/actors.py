"""The actor use cases: building the registry from the event store, curating it (merge, reject, undo), stakeholder
profiles and analyst relations per process and label, and exporting the network.

The registry (source actors of the last build plus the decision log) is one for the workspace and lives in SQL; it is
reshaped only by a process's curators (``access``'s ``curate``), each decision audited. Profiles and relations carry
visibility labels: reads load only the labels the caller may read, writes are decided per label.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Label, Resource
from detente.actors import (
    ActorAnalysis,
    AnalystRelation,
    Attitude,
    BuildReport,
    CanonicalActor,
    Decision,
    DecisionKind,
    Evidenced,
    LabelledBook,
    Leverage,
    Position,
    ProcessBook,
    Registry,
    RelationKind,
    StakeholderProfile,
    Window,
    build_registry,
    merge_books,
)
from detente.actors.books import label_rank
from detente.actors.export import network_graph, write_csv, write_graphml
from detente.actors.registry import new_decision
from detente.bounds import check_date
from detente.db import actors as actors_db
from detente.db import processes as proc_db
from detente.db.models import Process
from detente.errors import AccessDenied, InputError
from detente.events.store import open_store
from detente.services.audit import audit
from detente.services.authz import allowed, hidden, process_label, require
from detente.services.caller import Caller
from detente.services.concurrency import retrying
from detente.services.context import AppContext

__all__ = [
    "ENTRY_KINDS",
    "ActorScope",
    "DecisionOut",
    "EntryInput",
    "Permissions",
    "ProfileInput",
    "RelationInput",
    "add_entry",
    "add_relation",
    "books",
    "build",
    "decisions",
    "engine",
    "export_network",
    "merged_book",
    "open_scope",
    "record_decision",
    "registry",
    "set_profile",
]

ENTRY_KINDS = ("interest", "position", "leverage", "contribution")


def engine(app: AppContext) -> ActorAnalysis:
    """The workspace's actor analysis (one per application: it holds the event store open)."""
    found = app.extras.get("actors.engine")
    if isinstance(found, ActorAnalysis):
        return found
    made = ActorAnalysis(open_store(app.workspace))
    app.extras["actors.engine"] = made
    return made


def _registry(s: Session, app: AppContext) -> Registry:
    version = actors_db.registry_version(s)
    cached = app.extras.get("actors.registry")
    if isinstance(cached, tuple) and cached[0] == version:
        reg = cached[1]
        assert isinstance(reg, Registry)
        return reg
    sources = actors_db.load_sources(s)
    if sources is None:
        sources = engine(app).store_sources()
    reg = build_registry(sources, actors_db.load_decisions(s))
    app.extras["actors.registry"] = (version, reg)
    return reg


def registry(app: AppContext) -> Registry:
    """The workspace's registry: the last build's source actors with every decision replayed (shared analysis:
    unlabelled, read by every member of a process; who may change it is decided per process)."""
    with app.db.transaction() as s:
        return _registry(s, app)


def build(
    app: AppContext, caller: Caller, *, ucdp_actor_list: Path | None = None, sources: Sequence[str] | None = None
) -> BuildReport:
    """Collect the source actors of the store (and the UCDP actor list) into the registry; recorded decisions are
    kept and replayed on the new sources (those that no longer apply are reported). The operator's or an instance
    administrator's work."""
    require(caller, Action.ADMINISTER, Resource.instance())
    actors, inputs = engine(app).collect_sources(ucdp_actor_list=ucdp_actor_list, sources=sources)
    with app.db.transaction(write=True) as s:
        actors_db.replace_sources(s, actors, built_at=app.clock(), inputs=inputs)
        reg = build_registry(actors, actors_db.load_decisions(s))
        audit(s, app, caller, "actors.built", target="actors", detail={"source_actors": len(actors), "inputs": inputs})
    by_system: dict[str, int] = {}
    for a in actors:
        by_system[a.system] = by_system.get(a.system, 0) + 1
    return BuildReport(len(actors), dict(sorted(by_system.items())), len(reg.actors), tuple(reg.stale))


# --- a process's view ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Permissions:
    """What the caller may do on the actor pages of one process (labels as stored text)."""

    readable: frozenset[str]
    creatable: frozenset[str]
    exportable: frozenset[str]
    may_export: bool
    may_curate: bool


@dataclass(frozen=True)
class ActorScope:
    """One caller's view of the actors of a process: its parties, what the caller may do, the registry."""

    process_id: int
    name: str
    fictional: bool
    parties: dict[int, str]
    perms: Permissions
    registry: Registry
    engine: ActorAnalysis
    caller: Caller

    @property
    def process(self) -> dict[str, object]:
        return {"id": self.process_id, "name": self.name, "fictional": self.fictional}

    @property
    def labels(self) -> list[str]:
        """Every label a record of this process may carry."""
        return ["public", "all_parties", *(f"party:{pid}" for pid in sorted(self.parties)), "mediators_only"]

    def label_text(self, label: str) -> str:
        if label.startswith("party:"):
            name = self.parties.get(int(label[6:]), "a party")
            return f"only {name} and the mediators"
        return {"public": "public", "all_parties": "all parties", "mediators_only": "mediators only"}.get(label, label)


def _permissions(caller: Caller, process_id: int, parties: Iterable[int]) -> Permissions:
    ids = list(parties)
    subject = caller.subject
    readable = access.readable_label_texts(subject, process_id, ids)
    creatable = frozenset(str(x) for x in access.creatable_labels(subject, process_id, ids))
    may_export = allowed(caller, Action.EXPORT, Resource.process(process_id))
    exportable = frozenset(
        str(label)
        for label in access.all_labels(ids)
        if may_export and allowed(caller, Action.EXPORT, Resource.record(process_id, label))
    )
    may_curate = allowed(caller, Action.CURATE, Resource.process(process_id))
    return Permissions(readable, creatable, exportable, may_export, may_curate)


def _scope(s: Session, app: AppContext, caller: Caller, process_id: int) -> ActorScope:
    require(caller, Action.READ, Resource.process(process_id))
    process = s.get(Process, process_id)
    if process is None:
        raise hidden()
    parties = {p.id: p.name for p in proc_db.list_parties(s, process_id)}
    perms = _permissions(caller, process_id, parties)
    return ActorScope(
        process_id, process.name, process.fictional, parties, perms, _registry(s, app), engine(app), caller
    )


def open_scope(app: AppContext, caller: Caller, process_id: int) -> ActorScope:
    """Decide ``read`` on the process (a non-member and a missing process get the same "not found")."""
    with app.db.transaction() as s:
        return _scope(s, app, caller, process_id)


def books(app: AppContext, scope: ActorScope, labels: Iterable[str] | None = None) -> list[LabelledBook]:
    """The process's books under ``labels`` (default: every label the caller reads; never more), least restricted
    first."""
    wanted = set(scope.perms.readable if labels is None else labels) & scope.perms.readable
    with app.db.transaction() as s:
        stored = actors_db.profiles(s, scope.process_id, wanted)
        relations = actors_db.relations(s, scope.process_id, wanted)
    out = []
    for label in sorted(wanted, key=label_rank):
        profiles = {p.profile.actor_id: p.profile for p in stored if p.label == label}
        rels = tuple(r for lab, r in relations if lab == label)
        out.append(LabelledBook(label, ProcessBook(f"p{scope.process_id}", profiles, rels)))
    return out


def merged_book(app: AppContext, scope: ActorScope, labels: Iterable[str] | None = None) -> ProcessBook:
    """One book for the analysis from the readable books (the most restricted profile of an actor wins)."""
    return merge_books(scope.process_id, books(app, scope, labels))


# --- registry decisions --------------------------------------------------------------------------------------


class DecisionOut(BaseModel):
    id: str
    kind: str
    into: str | None
    other: str | None
    target: str | None
    by: str


def record_decision(
    app: AppContext,
    caller: Caller,
    process_id: int,
    kind: str,
    *,
    a: str | None = None,
    b: str | None = None,
    target: str | None = None,
    note: str = "",
    score: float | None = None,
) -> DecisionOut:
    """Merge, reject or undo in the registry (the process's curators), audited in the same transaction."""
    if kind not in ("merge", "reject", "undo"):
        raise InputError(f"unknown decision {kind!r}: use merge, reject or undo", field="kind")
    if kind in ("merge", "reject") and (not a or not b):
        raise InputError(f"a {kind} names two actors", field="b" if a else "a")

    def attempt() -> DecisionOut:
        with app.db.transaction(write=True) as s:
            require(caller, Action.READ, Resource.process(process_id))
            if s.get(Process, process_id) is None:
                raise hidden()
            require(caller, Action.CURATE, Resource.process(process_id))
            reg = _registry(s, app)
            _, seq = actors_db.registry_version(s)
            at = app.clock()
            if kind == "undo":
                decision = new_decision(reg, DecisionKind.UNDO, at=at, by=caller.username, target=target or None,
                                        note=note)  # fmt: skip
            else:
                assert a is not None and b is not None
                decision = new_decision(
                    reg, DecisionKind(kind), at=at, by=caller.username, into=reg.resolve(a).id,
                    other=reg.resolve(b).id, note=note, score=score,
                )  # fmt: skip
            actors_db.append_decision(s, decision, expected_seq=seq, process_id=process_id, user_id=caller.user_id)
            audit(s, app, caller, f"actors.{kind}", target=f"actors:{decision.id}", process_id=process_id,
                  detail={"into": decision.into, "other": decision.other, "target": decision.target})  # fmt: skip
            return DecisionOut(id=decision.id, kind=decision.kind.value, into=decision.into, other=decision.other,
                               target=decision.target, by=decision.by)  # fmt: skip

    return retrying(attempt)


def decisions(app: AppContext) -> tuple[list[Decision], dict[str, str]]:
    """The decision log, and the first name each source actor was known by (to name merged-away ids)."""
    from detente.actors.model import actor_id_for

    with app.db.transaction() as s:
        log = actors_db.load_decisions(s)
        sources = actors_db.load_sources(s) or []
    return log, {actor_id_for(src.key): src.name for src in sources}


# --- profiles and relations ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProfileInput:
    label: str
    attitude: str
    attitude_evidence: str
    attitude_date: date
    power: float | None = None
    interest: float | None = None


@dataclasses.dataclass(frozen=True)
class EntryInput:
    label: str
    kind: str
    text: str
    evidence: str
    date: date
    issue: str = ""
    over: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class RelationInput:
    label: str
    source: str
    target: str
    kind: str
    strength: float
    confidence: float
    evidence: str
    date: date


class ProfileChange(BaseModel):
    actor_id: str
    label: str
    attitude: str | None = None
    kind: str | None = None
    version: int


def _label(scope: ActorScope, text: str) -> str:
    return str(process_label(text, scope.parties))


def _owner(s: Session, username: str) -> int | None:
    from detente.db.users import get_user_by_username

    if not username:
        return None
    user = get_user_by_username(s, username)
    return user.id if user is not None else None


def _profile_under(
    s: Session, app: AppContext, caller: Caller, process_id: int, actor_id: str, label_text: str
) -> tuple[ActorScope, str, CanonicalActor, actors_db.StoredProfile | None]:
    """The scope, the label, the actor and its profile under that label (``None`` when there is none yet).

    Decides before looking: a label the caller may not read answers "not found" whether a profile exists or not.
    """
    scope = _scope(s, app, caller, process_id)
    label = _label(scope, label_text)
    require(caller, Action.READ, Resource.record(process_id, Label.parse(label)))
    actor = scope.registry.resolve(actor_id)
    return scope, label, actor, actors_db.get_profile(s, process_id, label, actor.id)


def set_profile(app: AppContext, caller: Caller, process_id: int, actor_id: str, data: ProfileInput) -> ProfileChange:
    """Create the profile of ``actor_id`` under ``data.label``, or update it (its author, or an editor)."""
    try:
        attitude = Attitude(data.attitude)
    except ValueError:
        raise InputError(f"unknown attitude {data.attitude!r}", field="attitude") from None
    check_date(data.attitude_date, "attitude_date")

    def attempt() -> ProfileChange:
        with app.db.transaction(write=True) as s:
            _, label, actor, old = _profile_under(s, app, caller, process_id, actor_id, data.label)
            if old is None:
                require(caller, Action.CREATE, Resource.record(process_id, Label.parse(label), owner_id=caller.user_id))
            else:
                owner = _owner(s, old.profile.updated_by)
                require(caller, Action.UPDATE, Resource.record(process_id, Label.parse(label), owner_id=owner))
            fields = {
                "attitude": attitude,
                "attitude_evidence": data.attitude_evidence.strip(),
                "attitude_date": data.attitude_date,
                "power": data.power,
                "interest": data.interest,
                "updated_by": caller.username,
            }
            if old is None:
                profile = StakeholderProfile(actor_id=actor.id, label=label, **fields)  # type: ignore[arg-type]
            else:
                profile = dataclasses.replace(old.profile, **fields)  # type: ignore[arg-type]
            version = actors_db.save_profile(
                s, process_id, profile, expected=old.version if old else None, at=app.clock(), by=caller.user_id
            )
            audit(s, app, caller, "actors.profile_set", target=f"actor:{actor.id}", process_id=process_id, label=label,
                  detail={"attitude": attitude.value, "version": version})  # fmt: skip
            return ProfileChange(actor_id=actor.id, label=label, attitude=attitude.value, version=version)

    return retrying(attempt)


def add_entry(app: AppContext, caller: Caller, process_id: int, actor_id: str, data: EntryInput) -> ProfileChange:
    """Add an interest, a position, a leverage or the potential contribution (with evidence and date)."""
    if data.kind not in ENTRY_KINDS:
        raise InputError(f"unknown entry kind {data.kind!r}: use {', '.join(ENTRY_KINDS)}", field="kind")
    check_date(data.date, "date")

    def attempt() -> ProfileChange:
        with app.db.transaction(write=True) as s:
            scope, label, actor, old = _profile_under(s, app, caller, process_id, actor_id, data.label)
            if old is None:
                raise InputError("give the actor's attitude under this label first", field="label")
            owner = _owner(s, old.profile.updated_by)
            require(caller, Action.UPDATE, Resource.record(process_id, Label.parse(label), owner_id=owner))
            text, evidence, prof = data.text.strip(), data.evidence.strip(), old.profile
            if data.kind == "interest":
                prof = dataclasses.replace(prof, interests=(*prof.interests, Evidenced(text, evidence, data.date)))
            elif data.kind == "position":
                position = Position(data.issue.strip(), text, evidence, data.date)
                prof = dataclasses.replace(prof, positions=(*prof.positions, position))
            elif data.kind == "leverage":
                over = tuple(scope.registry.resolve(ref.strip()).id for ref in data.over if ref.strip())
                prof = dataclasses.replace(prof, leverage=(*prof.leverage, Leverage(text, over, evidence, data.date)))
            else:
                prof = dataclasses.replace(prof, contribution=Evidenced(text, evidence, data.date))
            prof = dataclasses.replace(prof, updated_by=caller.username)
            version = actors_db.save_profile(s, process_id, prof, expected=old.version, at=app.clock(),
                                             by=caller.user_id)  # fmt: skip
            audit(s, app, caller, "actors.profile_entry", target=f"actor:{actor.id}", process_id=process_id,
                  label=label, detail={"kind": data.kind, "version": version})  # fmt: skip
            return ProfileChange(actor_id=actor.id, label=label, kind=data.kind, version=version)

    return retrying(attempt)


def add_relation(app: AppContext, caller: Caller, process_id: int, data: RelationInput) -> str:
    """Record an analyst's relation between two actors under a label; returns its id."""
    check_date(data.date, "date")

    def attempt() -> str:
        with app.db.transaction(write=True) as s:
            scope = _scope(s, app, caller, process_id)
            label = _label(scope, data.label)
            require(caller, Action.CREATE, Resource.record(process_id, Label.parse(label), owner_id=caller.user_id))
            try:
                kind = RelationKind(data.kind)
            except ValueError:
                raise InputError(f"unknown relation {data.kind!r}", field="kind") from None
            relation = AnalystRelation(
                id=actors_db.next_relation_id(s, process_id),
                source=scope.registry.resolve(data.source).id,
                target=scope.registry.resolve(data.target).id,
                kind=kind,
                strength=data.strength,
                confidence=data.confidence,
                label=label,
                evidence=data.evidence,
                date=data.date,
                created_by=caller.username,
            )
            actors_db.add_relation(s, process_id, relation, at=app.clock(), by=caller.user_id)
            audit(s, app, caller, "actors.relation_added", target=f"relation:{relation.id}", process_id=process_id,
                  label=label, detail={"kind": kind.value})  # fmt: skip
            return relation.id

    return retrying(attempt)


# --- exports -------------------------------------------------------------------------------------------------


def export_network(
    app: AppContext,
    caller: Caller,
    process_id: int,
    fmt: str,
    *,
    window: Window | None = None,
    country: str | None = None,
) -> bytes:
    """The network (registry facts, scores from the exportable profiles, edge counts) as GraphML or CSV; audited."""
    if fmt not in ("graphml", "actors.csv", "relations.csv"):
        raise InputError("format: graphml, actors.csv or relations.csv", field="format")
    scope = open_scope(app, caller, process_id)
    require(caller, Action.EXPORT, Resource.process(process_id))
    if not scope.perms.exportable:
        raise AccessDenied("nothing of this process may be exported by this member")
    rel = scope.engine.relations(scope.registry, window, country_iso3=country)
    book = merged_book(app, scope, scope.perms.exportable)
    result = scope.engine.analyse(rel, scope.registry, book)
    graph = network_graph(rel, scope.registry, result)
    with tempfile.TemporaryDirectory(prefix="detente-actors-") as tmp:
        root = Path(tmp)
        if fmt == "graphml":
            write_graphml(graph, root / "network.graphml")
            body = (root / "network.graphml").read_bytes()
        else:
            write_csv(graph, root / "actors.csv", root / "relations.csv")
            body = (root / fmt).read_bytes()
    with app.db.transaction(write=True) as s:
        audit(s, app, caller, "actors.exported", target=f"process:{process_id}", process_id=process_id,
              label=access.narrowest(Label.parse(x) for x in scope.perms.exportable),
              detail={"format": fmt, "window": result.window, "nodes": graph.number_of_nodes(),
                      "edges": graph.number_of_edges()})  # fmt: skip
    return body
