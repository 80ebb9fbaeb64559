"""Adapters that read source actors: from the event store (every source) and from the UCDP actor list file."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from detente.actors.cameo import parse_code
from detente.actors.keys import key_sql
from detente.actors.model import ActorKind, SourceActor
from detente.errors import RegistryInputError
from detente.events.countries import by_gw, by_name
from detente.events.store import EventStore

__all__ = [
    "ACLED_INTER_KINDS",
    "TYPE_WORD_KINDS",
    "UCDP_ORG_KINDS",
    "combine_same_keys",
    "parse_associated",
    "read_ucdp_actor_list",
    "source_actors_from_store",
]

#: ACLED inter codes (ACLED Codebook, January 2021, pp. 21-25) -> kind
ACLED_INTER_KINDS: dict[str, ActorKind] = {
    "1": ActorKind.STATE_FORCES,
    "2": ActorKind.REBEL_GROUP,
    "3": ActorKind.POLITICAL_MILITIA,
    "4": ActorKind.IDENTITY_MILITIA,
    "5": ActorKind.RIOTERS,
    "6": ActorKind.PROTESTERS,
    "7": ActorKind.CIVILIANS,
    "8": ActorKind.EXTERNAL_FORCE,
}

#: actor type words of sources that write a kind as a word in ``actor*_type`` (the demo generator; mapped CSV and
#: HXL ``#group+type`` columns that use the same words) -> kind
TYPE_WORD_KINDS: dict[str, ActorKind] = {
    "state": ActorKind.STATE_FORCES,
    "state forces": ActorKind.STATE_FORCES,
    "military": ActorKind.STATE_FORCES,
    "police": ActorKind.STATE_FORCES,
    "government": ActorKind.GOVERNMENT,
    "rebel": ActorKind.REBEL_GROUP,
    "rebels": ActorKind.REBEL_GROUP,
    "militia": ActorKind.POLITICAL_MILITIA,
    "identity militia": ActorKind.IDENTITY_MILITIA,
    "civilians": ActorKind.CIVILIANS,
    "civilian": ActorKind.CIVILIANS,
    "protesters": ActorKind.PROTESTERS,
    "rioters": ActorKind.RIOTERS,
    "refugees": ActorKind.REFUGEES,
    "international": ActorKind.INTERNATIONAL_ORGANISATION,
    "external": ActorKind.EXTERNAL_FORCE,
    "party": ActorKind.POLITICAL_PARTY,
    "civil society": ActorKind.CIVIL_SOCIETY,
}

#: UCDP actor list ``Org`` (UCDP Actor Dataset codebook 22.1): 1 formally organised (rebels, military factions),
#: 2 supporters of parties and candidates, 3 ethnic/clan/religious/national/tribal groups, 4 the government of a state
UCDP_ORG_KINDS: dict[str, ActorKind] = {
    "1": ActorKind.REBEL_GROUP,
    "2": ActorKind.POLITICAL_MILITIA,
    "3": ActorKind.IDENTITY_MILITIA,
    "4": ActorKind.GOVERNMENT,
}

_ASSOC = re.compile(r"\[associated with actor ([12]): ([^\]]*)\]")
_GOV_OF = re.compile(r"^Government of (.+)$")
_PAREN_COUNTRY = re.compile(r"\(([^()]+)\)\s*$")
_OF_COUNTRY = re.compile(r"\bof ([A-Z][\w' -]+?)(?: \(\d{4}-\d{0,4}\))?$")
_MAX_ALIASES = 12


def parse_associated(notes: str | None) -> list[tuple[int, str]]:
    """ACLED associated actors kept in ``notes`` as ``[associated with actor N: a; b]`` -> [(N, name), …]."""
    if not notes:
        return []
    found: list[tuple[int, str]] = []
    for m in _ASSOC.finditer(notes):
        for name in m.group(2).split(";"):
            if name.strip():
                found.append((int(m.group(1)), name.strip()))
    return found


def _country_from_name(name: str) -> str | None:
    for pattern in (_GOV_OF, _PAREN_COUNTRY, _OF_COUNTRY):
        m = pattern.search(name)
        if m:
            country = by_name(m.group(1).strip())
            if country is not None:
                return country.iso3
    return None


def _name_kind(name: str) -> ActorKind:
    low = name.lower()
    if low.startswith("government of"):
        return ActorKind.GOVERNMENT
    if low.startswith(("military forces of", "police forces of")):
        return ActorKind.STATE_FORCES
    if low.startswith("protesters"):
        return ActorKind.PROTESTERS
    if low.startswith("rioters"):
        return ActorKind.RIOTERS
    if low.startswith("civilians"):
        return ActorKind.CIVILIANS
    if low.startswith("refugees"):
        return ActorKind.REFUGEES
    if "party" in low or low.startswith("partido"):
        return ActorKind.POLITICAL_PARTY
    if any(w in low for w in ("union", "labour group", "labor group", "students", "women", "ngo")):
        return ActorKind.CIVIL_SOCIETY
    return ActorKind.UNKNOWN


@dataclass
class _Acc:
    names: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)
    events: int = 0


def _kind_for(key: str, acc: _Acc) -> ActorKind:
    """The source's own code decides (ACLED ``inter``, CAMEO role, a type word); the name only when there is none.

    ACLED writes "Government of X" for state forces too (inter 1): the name then refines state forces to government.
    """
    system, _, value = key.partition(":")
    if system == "cameo":
        return parse_code(value).kind
    top_type = acc.types.most_common(1)[0][0].strip() if acc.types else ""
    by_name = _name_kind(acc.names.most_common(1)[0][0] if acc.names else value)
    if system == "acled":
        coded = ACLED_INTER_KINDS.get(top_type.split(" ", 1)[0])
    else:
        coded = TYPE_WORD_KINDS.get(top_type.lower())
    if coded is None:
        return by_name
    if coded is ActorKind.STATE_FORCES and by_name is ActorKind.GOVERNMENT:
        return by_name
    return coded


def _finish(key: str, acc: _Acc) -> SourceActor:
    system, _, value = key.partition(":")
    names = [n for n, _ in acc.names.most_common()]
    country: str | None = None
    parents: tuple[str, ...] = ()
    if system == "cameo":
        code = parse_code(value)
        name = code.label
        country = code.country_iso3
        if code.parent_code:
            parents = (f"cameo:{code.parent_code}",)
        aliases = tuple(names[:_MAX_ALIASES])
    else:
        name = names[0] if names else value
        aliases = tuple(n for n in names[1:_MAX_ALIASES])
        country = _country_from_name(name)
        if country is None and acc.countries and system == "acled":
            country = acc.countries.most_common(1)[0][0]
    return SourceActor(
        key=key,
        name=name,
        kind=_kind_for(key, acc),
        country_iso3=country,
        aliases=aliases,
        parents=parents,
        events=acc.events,
    )


def source_actors_from_store(store: EventStore, sources: Sequence[str] | None = None) -> list[SourceActor]:
    """Every actor the store's events name (both sides, and ACLED associated actors), with event counts."""
    rel = store.relation_sql(sources)
    sql = f"""
        WITH ev AS (SELECT source, country_iso3, actor1_id, actor1_name, actor1_type, actor2_id, actor2_name,
                           actor2_type FROM {rel})
        SELECT k, name, type, country_iso3, count(*) AS n FROM (
            SELECT {key_sql(1)} AS k, actor1_name AS name, actor1_type AS type, country_iso3 FROM ev
            UNION ALL
            SELECT {key_sql(2)} AS k, actor2_name AS name, actor2_type AS type, country_iso3 FROM ev
        ) WHERE k IS NOT NULL
        GROUP BY ALL
    """
    accs: dict[str, _Acc] = defaultdict(_Acc)
    con = store.duckdb()
    try:
        for key, name, typ, country, n in con.execute(sql).fetchall():
            acc = accs[key]
            if name:
                acc.names[name] += n
            if typ:
                acc.types[typ] += n
            if country:
                acc.countries[country] += n
            acc.events += n
        assoc_sql = f"""SELECT notes, country_iso3, count(*) FROM {rel}
                        WHERE source = 'acled' AND notes LIKE '%[associated with actor %' GROUP BY ALL"""
        for notes, country, n in con.execute(assoc_sql).fetchall():
            for _, name in parse_associated(notes):
                acc = accs[f"acled:{name}"]
                acc.names[name] += n
                if country:
                    acc.countries[country] += n
                acc.events += n
    finally:
        con.close()
    return [_finish(key, acc) for key, acc in sorted(accs.items())]


def _split(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(",") if p.strip()]


def read_ucdp_actor_list(path: Path) -> list[SourceActor]:
    """The UCDP Actor Dataset (22.1 layout): one source actor per ``ActorId``, keyed ``ucdp:<ActorId>``.

    Parents are the group an actor joined (``ActorIdGroup``), the alliance it formed (``ActorIdAlliance``) and the
    actor it temporarily split from (``ActorIdSplitTemp``); the actor it splintered from permanently is kept as an
    id ``ucdp_splinter_of:<id>``, and the conflicts and dyads as ``ucdp_conflict:<id>`` / ``ucdp_dyad:<id>``.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RegistryInputError(f"cannot read the UCDP actor list ({exc})", path=path) from exc
    if not rows or "ActorId" not in rows[0] or "NameData" not in rows[0]:
        raise RegistryInputError("not a UCDP actor list (no ActorId/NameData columns)", path=path, line=1)
    out: list[SourceActor] = []
    for line, row in enumerate(rows, start=2):
        actor_id = (row.get("ActorId") or "").strip()
        name = (row.get("NameData") or "").strip()
        if not actor_id.isdigit() or not name:
            raise RegistryInputError("missing or non-numeric ActorId, or empty NameData", path=path, line=line)
        aliases: list[str] = []
        for col in ("NameOrig", "NameOrigFull", "NameOrigFullEng", "NewName", "NewNameFullEng", "NameOrigFullEng"):
            value = (row.get(col) or "").strip()
            if value and value.lower() != "n/a" and value != name and value not in aliases:
                aliases.append(value)
        org = (row.get("Org") or "").strip()
        kind = UCDP_ORG_KINDS.get(org, ActorKind.UNKNOWN)
        country = _country_from_name(name)
        if country is None:
            gws = _split(row.get("GWNOLoc") or "")
            if len(gws) == 1 and gws[0].isdigit():
                found = by_gw(int(gws[0]))
                country = found.iso3 if found is not None else None
        parents: list[str] = []
        for col in ("ActorIdGroup", "ActorIdAlliance", "ActorIdSplitTemp"):
            parents.extend(f"ucdp:{p}" for p in _split(row.get(col) or "") if p.isdigit() and p != actor_id)
        ids = [f"ucdp_conflict:{c}" for c in _split(row.get("ConflictId") or "")]
        ids += [f"ucdp_dyad:{d}" for d in _split(row.get("DyadId") or "")]
        ids += [f"ucdp_splinter_of:{p}" for p in _split(row.get("ActorIdPrev") or "")]
        out.append(
            SourceActor(
                key=f"ucdp:{actor_id}",
                name=name,
                kind=kind,
                country_iso3=country,
                aliases=tuple(aliases),
                parents=tuple(dict.fromkeys(parents)),
                ids=tuple(ids),
            )
        )
    return out


def combine_same_keys(groups: Iterable[Iterable[SourceActor]]) -> list[SourceActor]:
    """One source actor per key: a key seen in several inputs (UCDP GED sides and the UCDP list share ids) is the
    same actor by its source's own id, so its facts combine; the first input with a name, kind or country wins."""
    out: dict[str, SourceActor] = {}
    for group in groups:
        for actor in group:
            have = out.get(actor.key)
            if have is None:
                out[actor.key] = actor
                continue
            names = [have.name, *have.aliases, actor.name, *actor.aliases]
            aliases = tuple(n for n in dict.fromkeys(names) if n != have.name)
            out[actor.key] = replace(
                have,
                kind=have.kind if have.kind is not ActorKind.UNKNOWN else actor.kind,
                country_iso3=have.country_iso3 or actor.country_iso3,
                aliases=aliases,
                parents=tuple(dict.fromkeys((*have.parents, *actor.parents))),
                events=have.events + actor.events,
                ids=tuple(dict.fromkeys((*have.ids, *actor.ids))),
            )
    return [out[k] for k in sorted(out)]
