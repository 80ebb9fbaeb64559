"""Actors: one registry across sources, relations measured from events, stakeholder profiles and network analysis.

Pure core: ``model``, ``cameo``, ``registry`` (decisions replayed over source actors), ``suggest``, ``profiles``,
``network``. Adapters: ``sources`` and ``relations`` (DuckDB over the event store), ``storage`` (JSON files in
``<workspace>/actors/``), ``export`` and ``chart``. :class:`ActorService` composes them for the CLI and the pages.
"""

from __future__ import annotations

from detente.actors.model import ActorKind, CanonicalActor, SourceActor
from detente.actors.network import Analysis, WindowDiff, analyse, diff_windows, influence_paths
from detente.actors.profiles import (
    AnalystRelation,
    Attitude,
    Evidenced,
    Leverage,
    Position,
    ProcessBook,
    RelationKind,
    StakeholderProfile,
)
from detente.actors.registry import Decision, DecisionKind, Registry, build_registry
from detente.actors.relations import Relation, RelationSet, Window, measure_relations
from detente.actors.service import ActorService
from detente.actors.suggest import Suggestion, suggest_merges

__all__ = [
    "ActorKind",
    "ActorService",
    "Analysis",
    "AnalystRelation",
    "Attitude",
    "CanonicalActor",
    "Decision",
    "DecisionKind",
    "Evidenced",
    "Leverage",
    "Position",
    "ProcessBook",
    "Registry",
    "Relation",
    "RelationKind",
    "RelationSet",
    "SourceActor",
    "StakeholderProfile",
    "Suggestion",
    "Window",
    "WindowDiff",
    "analyse",
    "build_registry",
    "diff_windows",
    "influence_paths",
    "measure_relations",
    "suggest_merges",
]
