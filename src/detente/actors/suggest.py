"""Merge suggestions: pairs of canonical actors that may be the same, with a score and reasons (pure).

Candidate pairs come from blocking (same normalised name, shared rare name token, acronym of the other's name,
same country and government role, shared external ids). A pair is scored in two steps:

1. **Name evidence** (the strongest that applies): the same primary name 0.95, both the government of one country
   0.9, a shared external id 0.9, a name of one that is an alias of the other 0.85, an acronym 0.75, similar
   names (difflib ratio ≥ 0.85 on the full normalised names, parenthesised parts included) 0.5 + 0.4 × ratio,
   shared name words (Jaccard ≥ 0.6) 0.4 + 0.4 × Jaccard.
2. **Corroboration** in [0, 1], the capped sum of: the same country 0.5; the same kind 0.5 (0.25 for kinds of one
   family: state, non-state armed, victims); ≥ 30 % of their counterparts' names shared 0.3; a shared id 0.5.

score = evidence × (0.6 + 0.4 × corroboration), halved for different countries and × 0.6 for kinds of different
families. So a shared name or alias alone (0.57, 0.51) stays under the default threshold 0.75: the same name needs
its country or its kind to agree, a shared alias both. Scores are symmetric (the pair is put in a fixed order
first). Pairs inside one id system with stable ids (``ucdp``, ``cameo``) are never suggested: the source already
says they differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from detente.actors.model import VICTIM_KINDS, ActorKind, CanonicalActor, acronym, core_tokens, normalize_name
from detente.actors.registry import Registry

__all__ = ["KIND_FAMILIES", "STABLE_ID_SYSTEMS", "Suggestion", "name_evidence", "score_pair", "suggest_merges"]

STABLE_ID_SYSTEMS = frozenset({"ucdp", "cameo"})
_STATE_KINDS = frozenset({ActorKind.GOVERNMENT, ActorKind.COUNTRY})
_MAX_BLOCK = 40  # a token shared by more actors than this is too common to propose pairs on its own
_STOP = frozenset({"of", "the", "and", "de", "del", "la", "le", "les", "el", "for", "in"})
#: kinds close enough that sources may file one actor under either
KIND_FAMILIES: tuple[frozenset[ActorKind], ...] = (
    frozenset({ActorKind.GOVERNMENT, ActorKind.STATE_FORCES, ActorKind.COUNTRY, ActorKind.THIRD_STATE}),
    frozenset(
        {ActorKind.REBEL_GROUP, ActorKind.POLITICAL_MILITIA, ActorKind.IDENTITY_MILITIA, ActorKind.EXTERNAL_FORCE}
    ),
    VICTIM_KINDS,
)
_VAGUE_KINDS = frozenset({ActorKind.UNKNOWN, ActorKind.OTHER})


@dataclass(frozen=True)
class Suggestion:
    a: str  # the smaller id of the pair
    b: str
    score: float
    reasons: tuple[str, ...]


def _systems(actor: CanonicalActor) -> frozenset[str]:
    return frozenset(k.split(":", 1)[0] for k in actor.source_keys)


def _is_government(actor: CanonicalActor) -> bool:
    """The government (or the state as a whole) of a country: UCDP ``Government of X``, CAMEO ``XXXGOV``/``XXX``."""
    if actor.kind not in _STATE_KINDS or not actor.country_iso3:
        return False
    cameo = [k for k in actor.source_keys if k.startswith("cameo:")]
    return not cameo or any(k.removeprefix("cameo:")[3:] in ("", "GOV") for k in cameo)


def _names(actor: CanonicalActor) -> set[str]:
    return {normalize_name(n) for n in (actor.name, *actor.aliases) if n}


def _words(name: str) -> str:
    """The normalised name without stop words, parenthesised parts kept (they often carry who it is)."""
    return " ".join(t for t in normalize_name(name).split() if t not in _STOP)


def _family(kind: ActorKind) -> int | None:
    for i, family in enumerate(KIND_FAMILIES):
        if kind in family:
            return i
    return None


def name_evidence(a: CanonicalActor, b: CanonicalActor) -> tuple[float, str]:
    """The strongest name evidence that ``a`` and ``b`` are one actor, in [0, 1], and why (step 1 of the score)."""
    found: list[tuple[float, str]] = []
    pa, pb = normalize_name(a.name), normalize_name(b.name)
    if pa and pa == pb:
        found.append((0.95, f"same name {pa!r}"))
    na, nb = _names(a), _names(b)
    common = sorted((na & nb) - {pa} if pa == pb else na & nb)
    if common:
        found.append((0.85, f"shared name or alias {common[0]!r}"))
    shared_ids = sorted(set(a.ids) & set(b.ids))
    if shared_ids:
        found.append((0.9, f"shared id {shared_ids[0]}"))
    if a.country_iso3 == b.country_iso3 and _is_government(a) and _is_government(b) and a.kind == b.kind:
        found.append((0.9, f"both the {a.kind.value} of {a.country_iso3}"))
    acr_a = {acronym(n) for n in (a.name, *a.aliases)} - {""}
    acr_b = {acronym(n) for n in (b.name, *b.aliases)} - {""}
    hit = sorted(n for n in (na & {s for s in acr_b if len(s) >= 2}) | (nb & {s for s in acr_a if len(s) >= 2}))
    if hit:
        found.append((0.75, f"{hit[0]!r} is the acronym of the other's name"))
    wa, wb = _words(a.name), _words(b.name)
    if wa and wb and wa != wb:
        ratio = SequenceMatcher(None, wa, wb, autojunk=False).ratio()
        if ratio >= 0.85:
            found.append((0.5 + 0.4 * ratio, f"similar names ({ratio:.2f})"))
        ta, tb = set(wa.split()), set(wb.split())
        jac = len(ta & tb) / len(ta | tb)
        if jac >= 0.6:
            found.append((0.4 + 0.4 * jac, f"shared name words ({jac:.2f})"))
    if not found:
        return 0.0, ""
    return max(found, key=lambda f: (f[0], f[1]))


def score_pair(
    x: CanonicalActor, y: CanonicalActor, counterparts: Mapping[str, frozenset[str]] | None = None
) -> tuple[float, tuple[str, ...]]:
    """Score in [0, 1] that ``x`` and ``y`` are one actor, and the reasons; symmetric in ``x`` and ``y``.

    ``counterparts`` maps an actor id to the (normalised) names of the actors it meets in events.
    """
    a, b = (x, y) if x.id <= y.id else (y, x)
    sa, sb = _systems(a), _systems(b)
    if len(sa) == 1 and sa == sb and next(iter(sa)) in STABLE_ID_SYSTEMS:
        return 0.0, ()
    evidence, why = name_evidence(a, b)
    if evidence == 0.0:
        return 0.0, ()
    reasons = [why]
    corroboration = 0.0
    penalty = 1.0
    if a.country_iso3 and b.country_iso3:
        if a.country_iso3 == b.country_iso3:
            corroboration += 0.5
            reasons.append(f"both in {a.country_iso3}")
        else:
            penalty *= 0.5
            reasons.append(f"but different countries ({a.country_iso3} / {b.country_iso3})")
    if a.kind not in _VAGUE_KINDS and b.kind not in _VAGUE_KINDS:
        fa, fb = _family(a.kind), _family(b.kind)
        if a.kind == b.kind:
            corroboration += 0.5
            reasons.append(f"both {a.kind.value.replace('_', ' ')}")
        elif fa is not None and fa == fb:
            corroboration += 0.25
            reasons.append(f"kinds of one family ({a.kind.value} / {b.kind.value})")
        else:
            penalty *= 0.6
            reasons.append(f"but different kinds ({a.kind.value} / {b.kind.value})")
    if counterparts is not None:
        pa, pb = counterparts.get(a.id, frozenset()), counterparts.get(b.id, frozenset())
        if pa and pb:
            share = len(pa & pb) / len(pa | pb)
            if share >= 0.3:
                corroboration += 0.3
                reasons.append(f"{share:.0%} of their counterparts in events are the same")
    if set(a.ids) & set(b.ids) and not why.startswith("shared id"):
        corroboration += 0.5
        reasons.append("a shared id")
    score = evidence * (0.6 + 0.4 * min(1.0, corroboration)) * penalty
    return round(score, 4), tuple(reasons)


def _blocks(actors: Iterable[CanonicalActor]) -> set[tuple[str, str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for actor in actors:
        for name in (actor.name, *actor.aliases):
            norm = normalize_name(name)
            if norm:
                index["n:" + norm].add(actor.id)
            acr = acronym(name)
            if len(acr) >= 2:
                index["n:" + acr].add(actor.id)  # an acronym meets the same normalised short name
            for token in core_tokens(name):
                if len(token) >= 3:
                    index["t:" + token].add(actor.id)
        for ident in actor.ids:
            index["i:" + ident].add(actor.id)
        if _is_government(actor):
            index[f"s:{actor.kind.value}:{actor.country_iso3}"].add(actor.id)
    pairs: set[tuple[str, str]] = set()
    for key, members in index.items():
        if len(members) < 2 or (key.startswith("t:") and len(members) > _MAX_BLOCK):
            continue
        for p, q in combinations(sorted(members), 2):
            pairs.add((p, q))
    return pairs


def suggest_merges(
    registry: Registry,
    *,
    min_score: float = 0.75,
    limit: int | None = None,
    counterparts: Mapping[str, frozenset[str]] | None = None,
) -> list[Suggestion]:
    """Scored suggestions above ``min_score``, best first; rejected pairs are never suggested again.

    ``counterparts`` maps an actor id to the ids of the actors it meets in events (``RelationSet.counterparts``);
    they are compared by name, so counterparts from different sources still meet."""
    named: dict[str, frozenset[str]] | None = None
    if counterparts is not None:
        named = {
            aid: frozenset(normalize_name(registry.actors[c].name) for c in ids if c in registry.actors)
            for aid, ids in counterparts.items()
        }
    out: list[Suggestion] = []
    for p, q in _blocks(registry.actors.values()):
        if registry.is_rejected(p, q):
            continue
        score, reasons = score_pair(registry.actors[p], registry.actors[q], named)
        if score >= min_score:
            out.append(Suggestion(p, q, score, reasons))
    out.sort(key=lambda s: (-s.score, s.a, s.b))
    return out[:limit] if limit is not None else out
