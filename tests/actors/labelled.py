"""A labelled set for merge suggestions, built from the real UCDP files at test time (nothing copied).

Three name systems, each actor keyed by the name its source writes: ``acd:<name>`` (UCDP/PRIO Armed Conflict
Dataset 22.1 sides), ``ged:<name>`` (UCDP GED sides: the Syria file and the global sample) and ``ucdp:<ActorId>``
(the UCDP Actor Dataset 22.1, with its name variants as aliases). The sources' actor ids are kept *aside* as the
truth and never handed to the suggester: a pair of actors is a true pair when the ids behind their names meet
(UCDP gives the same ``ActorId`` to a name in ACD, in GED and in the actor list), any other suggested pair is false.

Kinds and countries come from the sources' structure (ACD codebook: side A is a government; side B is a government
in interstate conflicts, ``type_of_conflict`` 2, else a non-state group; GED codebook: side B of one-sided violence,
``type_of_violence`` 3, is civilians), as an adapter for these files would set them. Counterparts are the names met
on the other side of a conflict or event.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from detente.actors import ActorKind, Registry, SourceActor, Suggestion, build_registry, suggest_merges
from detente.actors.model import actor_id_for
from detente.actors.sources import read_ucdp_actor_list
from detente.events.countries import by_gw, by_name

ACD = "ucdp_acd/ucdp-prio-acd-221.csv"
GED = ("ucdp_ged/ged191_syria_2016-2019.parquet", "ucdp_ged/ged231_global_random_sample_1000.parquet")
LIST = "ucdp_actors/ucdp-actor-221.csv"


@dataclass
class _Seen:
    ids: set[int] = field(default_factory=set)
    kinds: Counter[ActorKind] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)
    counterparts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class LabelledSet:
    registry: Registry
    #: canonical id -> the source ids behind it (the truth; never given to the suggester)
    truth: dict[str, frozenset[int]]
    #: canonical id -> canonical ids of its counterparts
    counterparts: dict[str, frozenset[str]]

    def is_true(self, s: Suggestion) -> bool:
        return bool(self.truth.get(s.a, frozenset()) & self.truth.get(s.b, frozenset()))

    def suggestions(self) -> list[Suggestion]:
        return suggest_merges(self.registry, counterparts=self.counterparts)

    def positives(self) -> int:
        """True pairs across the systems (an upper bound for what suggestions can find)."""
        by_id: dict[int, set[str]] = defaultdict(set)
        for aid, ids in self.truth.items():
            for i in ids:
                by_id[i].add(aid)
        pairs = {frozenset((a, b)) for group in by_id.values() for a in group for b in group if a < b}
        return len(pairs)


def precision_at(suggestions: Sequence[Suggestion], labelled: LabelledSet, k: int) -> float:
    top = suggestions[:k]
    return sum(labelled.is_true(s) for s in top) / len(top) if top else 0.0


def _ids(cell: str) -> list[int]:
    return [int(p) for p in cell.replace(" ", "").split(",") if p.isdigit()]


def _pairs(names_cell: str, ids_cell: str, listed: dict[int, set[str]]) -> tuple[list[str], list[int]]:
    """Names and ids of one ACD side. A side of several actors lists its names and its ids in different orders
    ("KDP-QM, PUK" with "261, 262": KDP-QM is 262): each name takes the one id of the row whose actor-list names
    include it; a name no id claims is left out."""
    ids = _ids(ids_cell)
    names = [p.strip() for p in names_cell.split(", ")]
    if len(ids) == 1:
        return [names_cell.strip()], ids
    out_names, out_ids = [], []
    for name in names:
        claims = [i for i in ids if name in listed.get(i, set())]
        if len(claims) == 1:
            out_names.append(name)
            out_ids.append(claims[0])
    return out_names, out_ids


def _country(name: str, gw: int | None) -> str | None:
    if name.startswith("Government of "):
        found = by_name(name.removeprefix("Government of ").split(" (")[0])
        if found is not None:
            return found.iso3
    country = by_gw(gw) if gw is not None else None
    return country.iso3 if country is not None else None


def _side(seen: dict[str, _Seen], names: list[str], ids: list[int], kind: ActorKind, gw: int | None) -> list[str]:
    keys = []
    for name, i in zip(names, ids, strict=True):
        s = seen[name]
        s.ids.add(i)
        s.kinds[kind] += 1
        country = _country(name, gw)
        if country:
            s.countries[country] += 1
        keys.append(name)
    return keys


def _first_gw(cell: str) -> int | None:
    values = _ids(cell)
    return values[0] if len(values) == 1 else None


def _acd(path: Path, listed: dict[int, set[str]]) -> dict[str, _Seen]:
    seen: dict[str, _Seen] = defaultdict(_Seen)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            a_names, a_ids = _pairs(row["side_a"], row["side_a_id"], listed)
            b_names, b_ids = _pairs(row["side_b"], row["side_b_id"], listed)
            if not a_names or not b_names:
                continue
            loc = _first_gw(row["gwno_loc"])
            interstate = row["type_of_conflict"] == "2"
            a = _side(seen, a_names, a_ids, ActorKind.GOVERNMENT, _first_gw(row["gwno_a"]) or loc)
            b_kind = ActorKind.GOVERNMENT if interstate else ActorKind.REBEL_GROUP
            b = _side(seen, b_names, b_ids, b_kind, _first_gw(row["gwno_b"]) if interstate else loc)
            for x in a:
                seen[x].counterparts.update(b)
            for y in b:
                seen[y].counterparts.update(a)
    return seen


def _ged(paths: Iterable[Path]) -> dict[str, _Seen]:
    seen: dict[str, _Seen] = defaultdict(_Seen)
    for path in paths:
        cols = ["type_of_violence", "side_a", "side_a_new_id", "side_b", "side_b_new_id", "country_id"]
        for row in pq.read_table(path, columns=cols).to_pylist():
            tov = int(row["type_of_violence"])
            gw = int(row["country_id"]) if row["country_id"] is not None else None
            a_name, b_name = str(row["side_a"]), str(row["side_b"])

            def kind(name: str) -> ActorKind:
                return ActorKind.GOVERNMENT if name.startswith("Government of") else ActorKind.REBEL_GROUP

            b_kind = ActorKind.CIVILIANS if tov == 3 else kind(b_name)
            a = _side(seen, [a_name], [int(row["side_a_new_id"])], kind(a_name), gw)
            b = _side(seen, [b_name], [int(row["side_b_new_id"])], b_kind, None if tov == 3 else gw)
            seen[a[0]].counterparts.update(b)
            seen[b[0]].counterparts.update(a)
    return seen


def _actors(system: str, seen: dict[str, _Seen]) -> list[SourceActor]:
    out = []
    for name, s in seen.items():
        countries = s.countries.most_common(2)
        country = countries[0][0] if len(countries) == 1 else None  # one country, or none said
        out.append(SourceActor(f"{system}:{name}", name, s.kinds.most_common(1)[0][0], country))
    return out


def build_labelled_set(shared_data: Path) -> LabelledSet:
    listed = read_ucdp_actor_list(shared_data / LIST)
    names = {int(a.key.removeprefix("ucdp:")): {a.name, *a.aliases} for a in listed}
    acd, ged = _acd(shared_data / ACD, names), _ged(shared_data / p for p in GED)
    # the list's ids are the truth; its ids to conflicts and dyads would give the answer away: drop them
    listed = [SourceActor(a.key, a.name, a.kind, a.country_iso3, a.aliases) for a in listed]
    actors = [*_actors("acd", acd), *_actors("ged", ged), *listed]
    registry = build_registry(actors)
    truth: dict[str, frozenset[int]] = {}
    counterparts: dict[str, frozenset[str]] = {}
    for system, seen in (("acd", acd), ("ged", ged)):
        for name, s in seen.items():
            aid = actor_id_for(f"{system}:{name}")
            truth[aid] = frozenset(s.ids)
            counterparts[aid] = frozenset(actor_id_for(f"{system}:{c}") for c in s.counterparts)
    for a in listed:
        truth[actor_id_for(a.key)] = frozenset({int(a.key.removeprefix("ucdp:"))})
    return LabelledSet(registry, truth, counterparts)
