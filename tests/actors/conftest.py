"""Workspaces built once per module from the real files (ingest_files into a temporary folder), with their
application database: the registry and the books live in SQL and are reached through the services."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detente.access import Role
from detente.actors import (
    ActorAnalysis,
    Analysis,
    AnalystRelation,
    Decision,
    ProcessBook,
    Registry,
    RelationSet,
    StakeholderProfile,
    Window,
)
from detente.config import Settings
from detente.db import actors as actors_db
from detente.events import ingest_files
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.services import actors, processes
from detente.services.actors import DecisionOut
from detente.services.caller import operator
from detente.services.context import AppContext, open_context

GEORGIA = "gdelt/gdelt1_georgia_2011-06_2013-05.parquet"
SYRIA = "ucdp_ged/ged191_syria_2016-2019.parquet"
UCDP_LIST = "ucdp_actors/ucdp-actor-221.csv"
SAMPLES = (
    "acled/acled_argentina_2022-06_326.csv",
    "ucdp_ged/ged231_global_random_sample_1000.csv",
    "gdelt/gdelt1_events_sample100.tsv",
    "gdelt/gdelt2_events_sample100.export.tsv",
)


def fixed_clock() -> datetime:
    return datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class ActorBench:
    """One workspace's actors as the tests drive them: a process with a curator (an analyst), the registry and
    the books through the services and the repositories."""

    def __init__(self, app: AppContext) -> None:
        self.app = app
        op = operator("test")
        self.process_id = processes.create_process(app, op, "Actors under test", "", ["A", "B"]).id
        from detente.services import accounts

        accounts.create_user(app, op, "curator", "catalogue keeper 2026", None, False)
        processes.set_member(app, op, self.process_id, "curator", Role.ANALYST.value, None)
        self.curator = accounts.caller_by_name(app, "curator", via="test")

    @property
    def root(self) -> Path:
        return self.app.workspace

    @property
    def engine(self) -> ActorAnalysis:
        return actors.engine(self.app)

    def build(self, *, ucdp_actor_list: Path | None = None) -> None:
        actors.build(self.app, operator("test"), ucdp_actor_list=ucdp_actor_list)

    def registry(self) -> Registry:
        return actors.registry(self.app)

    def relations(self, window: Window | None = None) -> RelationSet:
        return self.engine.relations(self.registry(), window)

    def analyse(self, rs: RelationSet, book: ProcessBook | None = None) -> Analysis:
        return self.engine.analyse(rs, self.registry(), book)

    def suggest(self, *, limit: int | None = 50) -> list[object]:
        return list(self.engine.suggest(self.registry(), limit=limit))

    def merge(self, into: str, other: str, *, note: str = "") -> DecisionOut:
        return actors.record_decision(self.app, self.curator, self.process_id, "merge", a=into, b=other, note=note)

    def reject(self, a: str, b: str) -> DecisionOut:
        return actors.record_decision(self.app, self.curator, self.process_id, "reject", a=a, b=b)

    def undo(self, target: str | None = None) -> DecisionOut:
        return actors.record_decision(self.app, self.curator, self.process_id, "undo", target=target)

    def decisions(self) -> list[Decision]:
        return actors.decisions(self.app)[0]

    def save_profile(self, profile: StakeholderProfile) -> None:
        with self.app.db.transaction() as s:
            actors_db.save_profile(s, self.process_id, profile, expected=None, at=fixed_clock(), by=None)

    def add_relation(self, relation: AnalystRelation) -> None:
        with self.app.db.transaction() as s:
            actors_db.add_relation(s, self.process_id, relation, at=fixed_clock(), by=None)

    def book(self, labels: Collection[str]) -> ProcessBook:
        """The books of ``labels`` folded into one (what a reader of exactly those labels sees)."""
        with self.app.db.transaction() as s:
            stored = actors_db.profiles(s, self.process_id, labels)
            relations = actors_db.relations(s, self.process_id, labels)
        profiles = {p.profile.actor_id: p.profile for p in stored}
        return ProcessBook(f"p{self.process_id}", profiles, tuple(r for _, r in relations))


def _bench(root: Path, files: list[Path]) -> Iterator[ActorBench]:
    ingest_files(root, files)
    app = open_context(Settings(workspace=root), clock=fixed_clock)
    try:
        yield ActorBench(app)
    finally:
        app.close()


@pytest.fixture(scope="module")
def georgia(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActorBench]:
    for bench in _bench(tmp_path_factory.mktemp("georgia") / "ws", [shared_data / GEORGIA]):
        bench.build()
        yield bench


@pytest.fixture(scope="module")
def samples(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActorBench]:
    for bench in _bench(tmp_path_factory.mktemp("samples") / "ws", [shared_data / p for p in SAMPLES]):
        bench.build(ucdp_actor_list=shared_data / UCDP_LIST)
        yield bench


@pytest.fixture(scope="module")
def syria(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActorBench]:
    for bench in _bench(tmp_path_factory.mktemp("syria") / "ws", [shared_data / SYRIA]):
        bench.build(ucdp_actor_list=shared_data / UCDP_LIST)
        yield bench


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActorBench]:
    """The FICTIONAL demo as the generator makes it by default (2020 onwards, escalation in 2023)."""
    folder = tmp_path_factory.mktemp("demo")
    events, rejects = finalize(generate_demo_events(), import_batch="actors-demo")
    assert not rejects
    path = folder / "demo-events.parquet"
    write_events([events], "parquet", path)
    for bench in _bench(folder / "ws", [path]):
        bench.build()
        yield bench
