"""Registry: the UCDP actor list, every sample's actors, suggestions, merge/reject/undo (never silent)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.actors import ActorKind, DecisionKind, SourceActor, build_registry
from detente.actors.model import actor_id_for, normalize_name
from detente.actors.registry import new_decision
from detente.actors.sources import parse_associated, read_ucdp_actor_list
from detente.actors.suggest import score_pair
from detente.errors import ActorNotFoundError, DecisionConflictError

from .conftest import UCDP_LIST, ActorBench

AT = datetime(2024, 6, 1, tzinfo=UTC)


def test_ucdp_actor_list_reads_every_actor(shared_data: Path) -> None:
    actors = read_ucdp_actor_list(shared_data / UCDP_LIST)
    assert len(actors) == 1725
    assert len({a.key for a in actors}) == 1725
    with (shared_data / UCDP_LIST).open(encoding="utf-8-sig") as fh:
        orgs = Counter(row["Org"] for row in csv.DictReader(fh))
    kinds = Counter(a.kind for a in actors)
    assert kinds[ActorKind.GOVERNMENT] == orgs["4"]
    assert kinds[ActorKind.REBEL_GROUP] == orgs["1"]
    by_key = {a.key: a for a in actors}
    assert by_key["ucdp:3"].name == "Government of United States of America"
    assert by_key["ucdp:3"].country_iso3 == "USA"
    # PFLP (205) joined the groups 204 and 1067 (ActorIdGroup): they are its parents
    assert set(by_key["ucdp:205"].parents) == {"ucdp:204", "ucdp:1067"}
    assert "ucdp_dyad:448" in by_key["ucdp:2"].ids


def test_samples_registry_spans_every_source(samples: ActorBench) -> None:
    reg = samples.registry()
    systems = Counter(k.split(":", 1)[0] for k in reg.key_index)
    assert systems["ucdp"] >= 1725 and systems["acled"] > 0 and systems["cameo"] > 0
    syria = reg.resolve("ucdp:118")  # UCDP GED side id and UCDP list id are one id system
    assert syria.name == "Government of Syria" and syria.events > 0 and syria.kind is ActorKind.GOVERNMENT
    # ACLED associated actors (kept in notes by the adapter) are registry actors too
    assert reg.resolve("acled:Health Workers (Argentina)").events > 0
    assert reg.resolve("cameo:USAGOV").country_iso3 == "USA"


def test_associated_actor_notes_are_parsed() -> None:
    notes = "Teachers marched. [associated with actor 1: ATE: Association of State Workers; Labour Group (Argentina)]"
    assert parse_associated(notes) == [(1, "ATE: Association of State Workers"), (1, "Labour Group (Argentina)")]


def test_suggestions_cross_sources_and_merge_reject_undo(samples: ActorBench) -> None:
    suggestions: list[Any] = samples.suggest(limit=None)
    reg = samples.registry()
    pairs = {frozenset((reg.actors[s.a].source_keys[0], reg.actors[s.b].source_keys[0])): s for s in suggestions}
    usa = pairs[frozenset(("cameo:USAGOV", "ucdp:3"))]
    assert "both the government of USA" in usa.reasons
    assert frozenset(("acled:Government of Argentina (2019-)", "ucdp:26")) in pairs
    before = dict(reg.actors)
    # nothing merged yet: suggestions are only suggestions
    assert len(reg.actors) == len(reg.key_index)
    d1 = samples.merge("ucdp:3", "cameo:USAGOV", note="same government")
    merged = samples.registry()
    assert merged.resolve("cameo:USAGOV").id == actor_id_for("ucdp:3")
    assert "United States: Government" in merged.resolve("ucdp:3").aliases
    d2 = samples.reject("ucdp:1", "acled:Civilians (Argentina)")
    assert not any({s.a, s.b} == {d2.into, d2.other} for s in samples.suggest(limit=None))  # type: ignore[attr-defined]
    with pytest.raises(DecisionConflictError):
        samples.merge("ucdp:1", "acled:Civilians (Argentina)")
    samples.undo()  # undoes the rejection
    samples.undo(d1.id)
    restored = samples.registry()
    assert dict(restored.actors) == before
    kinds = [d.kind for d in samples.decisions()]
    assert kinds == [DecisionKind.MERGE, DecisionKind.REJECT, DecisionKind.UNDO, DecisionKind.UNDO]
    with pytest.raises(DecisionConflictError):
        samples.undo(d1.id)
    with pytest.raises(ActorNotFoundError):
        samples.merge("ucdp:3", "no such actor")


_names = st.text(alphabet="abcdefghij GovermntofA", min_size=1, max_size=20).filter(lambda s: normalize_name(s) != "")
_kinds = st.sampled_from([ActorKind.GOVERNMENT, ActorKind.REBEL_GROUP, ActorKind.UNKNOWN])
_countries = st.sampled_from([None, "GEO", "RUS"])


@st.composite
def _actors(draw: st.DrawFn) -> list[SourceActor]:
    n = draw(st.integers(2, 6))
    systems = ["acled", "ucdp", "cameo"]
    return [
        SourceActor(
            f"{systems[i % 3]}:{i}", draw(_names), draw(_kinds), draw(_countries), events=draw(st.integers(0, 9))
        )
        for i in range(n)
    ]


@settings(max_examples=60, deadline=None)
@given(_actors(), st.data())
def test_merge_then_undo_restores_the_registry(actors: list[SourceActor], data: st.DataObject) -> None:
    base = build_registry(actors)
    ids = sorted(base.actors)
    into, other = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
    if into == other:
        return
    merge = new_decision(base, DecisionKind.MERGE, at=AT, by="t", into=into, other=other)
    merged = build_registry(actors, [merge])
    assert other not in merged.actors
    assert merged.key_index[base.actors[other].source_keys[0]] == into
    assert sum(a.events for a in merged.actors.values()) == sum(a.events for a in base.actors.values())
    undo = new_decision(merged, DecisionKind.UNDO, at=AT, by="t")
    restored = build_registry(actors, [merge, undo])
    assert dict(restored.actors) == dict(base.actors) and dict(restored.key_index) == dict(base.key_index)


@settings(max_examples=200, deadline=None)
@given(_actors())
def test_suggestion_scores_are_symmetric(actors: list[SourceActor]) -> None:
    reg = build_registry(actors)
    items = list(reg.actors.values())
    for x in items:
        for y in items:
            assert score_pair(x, y) == score_pair(y, x)
            assert 0.0 <= score_pair(x, y)[0] <= 1.0
