"""Actors: one registry across sources, relations measured from events, stakeholder profiles and network analysis.

Pure core: ``model``, ``cameo``, ``registry`` (decisions replayed over source actors), ``suggest``, ``profiles``,
``inference``, ``network``, ``books``. Adapters: ``sources`` and ``relations`` (DuckDB over the event store),
``export`` and ``chart``. :class:`ActorAnalysis` composes them over one event store; the registry and the
stakeholder books are kept in SQL (``detente.db.actors``) and handed in by the application services.
"""

from __future__ import annotations

from detente.actors.books import LabelledBook, merge_books
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
from detente.actors.service import ActorAnalysis, BuildReport
from detente.actors.suggest import Suggestion, suggest_merges

__all__ = [
    "ActorAnalysis",
    "ActorKind",
    "Analysis",
    "AnalystRelation",
    "Attitude",
    "BuildReport",
    "CanonicalActor",
    "Decision",
    "DecisionKind",
    "Evidenced",
    "LabelledBook",
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
    "merge_books",
    "suggest_merges",
]
