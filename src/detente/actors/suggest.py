"""Merge suggestions: pairs of canonical actors that may be the same, with a score and reasons (pure).

Candidate pairs come from blocking (same normalised name, shared rare name token, acronym of the other's name,
same country and government role, shared external ids); each pair is scored from those signals, string similarity
(difflib ratio on the normalised names) and, when relations are given, co-occurrence (the share of counterparts
both actors have in the events). Scores are symmetric: the pair is put in a fixed order before scoring. Pairs
inside one id system with stable ids (``ucdp``, ``cameo``) are never suggested: the source already says they differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from detente.actors.model import ActorKind, CanonicalActor, acronym, core_tokens, normalize_name
from detente.actors.registry import Registry

__all__ = ["STABLE_ID_SYSTEMS", "Suggestion", "score_pair", "suggest_merges"]

STABLE_ID_SYSTEMS = frozenset({"ucdp", "cameo"})
_STATE_KINDS = frozenset({ActorKind.GOVERNMENT, ActorKind.COUNTRY})
_MAX_BLOCK = 40  # a token shared by more actors than this is too common to propose pairs on its own


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


def score_pair(
    x: CanonicalActor, y: CanonicalActor, counterparts: Mapping[str, frozenset[str]] | None = None
) -> tuple[float, tuple[str, ...]]:
    """Score in [0, 1] that ``x`` and ``y`` are one actor, and the reasons; symmetric in ``x`` and ``y``."""
    a, b = (x, y) if x.id <= y.id else (y, x)
    sa, sb = _systems(a), _systems(b)
    if len(sa) == 1 and sa == sb and next(iter(sa)) in STABLE_ID_SYSTEMS:
        return 0.0, ()
    reasons: list[str] = []
    score = 0.0
    na, nb = _names(a), _names(b)
    common = sorted(na & nb)
    if common:
        score = 0.95
        reasons.append(f"same normalised name {common[0]!r}")
    ca, cb = " ".join(core_tokens(a.name)), " ".join(core_tokens(b.name))
    if ca and cb:
        ratio = SequenceMatcher(None, ca, cb, autojunk=False).ratio()
        if ratio >= 0.8 and not common:
            score = max(score, 0.5 + 0.4 * ratio)
            reasons.append(f"similar names ({ratio:.2f})")
        ta, tb = set(ca.split()), set(cb.split())
        jac = len(ta & tb) / len(ta | tb)
        if jac >= 0.6 and not common:
            score = max(score, 0.4 + 0.4 * jac)
            reasons.append(f"shared name words ({jac:.2f})")
    acr_a = {acronym(n) for n in (a.name, *a.aliases)} - {""}
    acr_b = {acronym(n) for n in (b.name, *b.aliases)} - {""}
    hit = sorted(n for n in (na & {s for s in acr_b if len(s) >= 2}) | (nb & {s for s in acr_a if len(s) >= 2}))
    if hit:
        score = max(score, 0.8)
        reasons.append(f"{hit[0]!r} is the acronym of the other's name")
    shared_ids = sorted(set(a.ids) & set(b.ids))
    if shared_ids:
        score = max(score, 0.9)
        reasons.append(f"shared id {shared_ids[0]}")
    if a.country_iso3 == b.country_iso3 and _is_government(a) and _is_government(b) and a.kind == b.kind:
        score = max(score, 0.85)
        reasons.append(f"both the {a.kind.value} of {a.country_iso3}")
    if counterparts is not None and score > 0:
        pa, pb = counterparts.get(a.id, frozenset()), counterparts.get(b.id, frozenset())
        if pa and pb:
            share = len(pa & pb) / len(pa | pb)
            if share >= 0.3:
                score = min(1.0, score + 0.05)
                reasons.append(f"{share:.0%} of their counterparts in events are the same")
    if score > 0 and a.country_iso3 and b.country_iso3 and a.country_iso3 != b.country_iso3:
        score *= 0.5
        reasons.append(f"but different countries ({a.country_iso3} / {b.country_iso3})")
    known = {a.kind, b.kind} - {ActorKind.UNKNOWN, ActorKind.OTHER}
    if score > 0 and len(known) == 2 and not known <= _STATE_KINDS | {ActorKind.STATE_FORCES}:
        score *= 0.8
        reasons.append(f"but different kinds ({a.kind.value} / {b.kind.value})")
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
    """Scored suggestions above ``min_score``, best first; rejected pairs are never suggested again."""
    out: list[Suggestion] = []
    for p, q in _blocks(registry.actors.values()):
        if registry.is_rejected(p, q):
            continue
        score, reasons = score_pair(registry.actors[p], registry.actors[q], counterparts)
        if score >= min_score:
            out.append(Suggestion(p, q, score, reasons))
    out.sort(key=lambda s: (-s.score, s.a, s.b))
    return out[:limit] if limit is not None else out
