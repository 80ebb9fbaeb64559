"""Stakeholder profiles and analyst relations of one process, with visibility labels (pure).

Every profile and every analyst relation carries a visibility label (``detente.access.Label`` text). Reads are
filtered with the label texts ``detente.access.readable_label_texts`` gives for the subject: a record whose label
is not readable is left out, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from detente.access import Label
from detente.errors import RegistryInputError

__all__ = [
    "AnalystRelation",
    "Attitude",
    "Evidenced",
    "Leverage",
    "Position",
    "ProcessBook",
    "RelationKind",
    "StakeholderProfile",
    "profile_from_json",
    "profile_to_json",
    "relation_from_json",
    "relation_to_json",
]


class Attitude(StrEnum):
    """Attitude to the process, from most to least favourable."""

    CHAMPION = "champion"
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    SCEPTIC = "sceptic"
    SPOILER = "spoiler"


class RelationKind(StrEnum):
    ALLY = "ally"
    RIVAL = "rival"
    PATRON_OF = "patron_of"  # source is the patron of target
    CLIENT_OF = "client_of"  # source is a client of target
    INFLUENCE_OVER = "influence_over"


#: relations through which one actor can reach (carry a message to, press) another
REACHING = frozenset({RelationKind.ALLY, RelationKind.PATRON_OF, RelationKind.INFLUENCE_OVER})


def _check_text(value: str, what: str) -> None:
    if not value.strip():
        raise RegistryInputError(f"{what} must not be empty")


def _check_unit(value: float | None, what: str) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise RegistryInputError(f"{what} must be between 0 and 1, not {value}")


@dataclass(frozen=True)
class Evidenced:
    """A statement (an interest, the potential contribution) with its evidence and date."""

    text: str
    evidence: str
    date: date

    def __post_init__(self) -> None:
        _check_text(self.text, "text")
        _check_text(self.evidence, "evidence")


@dataclass(frozen=True)
class Position:
    issue: str
    stance: str
    evidence: str
    date: date

    def __post_init__(self) -> None:
        _check_text(self.issue, "issue")
        _check_text(self.stance, "stance")
        _check_text(self.evidence, "evidence")


@dataclass(frozen=True)
class Leverage:
    what: str
    over: tuple[str, ...]  # canonical actor ids
    evidence: str
    date: date

    def __post_init__(self) -> None:
        _check_text(self.what, "leverage")
        _check_text(self.evidence, "evidence")


@dataclass(frozen=True)
class StakeholderProfile:
    actor_id: str
    label: str
    attitude: Attitude
    attitude_evidence: str
    attitude_date: date
    interests: tuple[Evidenced, ...] = ()
    positions: tuple[Position, ...] = ()
    leverage: tuple[Leverage, ...] = ()
    contribution: Evidenced | None = None
    #: the analyst's judgement of power and of interest in the process, 0..1 (None: use the event network)
    power: float | None = None
    interest: float | None = None
    updated_by: str = ""

    def __post_init__(self) -> None:
        Label.parse(self.label)
        _check_text(self.attitude_evidence, "attitude evidence")
        _check_unit(self.power, "power")
        _check_unit(self.interest, "interest")


@dataclass(frozen=True)
class AnalystRelation:
    id: str
    source: str
    target: str
    kind: RelationKind
    strength: float
    confidence: float
    label: str
    evidence: str
    date: date
    created_by: str = ""

    def __post_init__(self) -> None:
        Label.parse(self.label)
        _check_unit(self.strength, "strength")
        _check_unit(self.confidence, "confidence")
        _check_text(self.evidence, "evidence")
        if self.source == self.target:
            raise RegistryInputError("a relation links two different actors")


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _ev(d: dict[str, Any]) -> Evidenced:
    return Evidenced(d["text"], d["evidence"], _date(d["date"]))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class ProcessBook:
    """The stakeholder profiles (one per actor) and analyst relations of one process."""

    process_id: str
    profiles: dict[str, StakeholderProfile] = field(default_factory=dict)
    relations: tuple[AnalystRelation, ...] = ()

    # -- writes (return a new book) ---------------------------------------------------------------------
    def with_profile(self, profile: StakeholderProfile) -> ProcessBook:
        return replace(self, profiles={**self.profiles, profile.actor_id: profile})

    def with_relation(self, relation: AnalystRelation) -> ProcessBook:
        if any(r.id == relation.id for r in self.relations):
            raise RegistryInputError(f"relation id {relation.id!r} already used")
        return replace(self, relations=(*self.relations, relation))

    def next_relation_id(self) -> str:
        return f"r{len(self.relations) + 1:05d}"

    # -- reads filtered by visibility -------------------------------------------------------------------
    def readable(self, labels: Collection[str]) -> ProcessBook:
        """Only the records whose label is among ``labels`` (from ``access.readable_label_texts``)."""
        allowed = set(labels)
        return ProcessBook(
            self.process_id,
            {k: p for k, p in self.profiles.items() if p.label in allowed},
            tuple(r for r in self.relations if r.label in allowed),
        )

    # -- serialisation ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "profiles": [profile_to_json(p) for _, p in sorted(self.profiles.items())],
            "relations": [relation_to_json(r) for r in self.relations],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ProcessBook:
        profiles = {prof.actor_id: prof for prof in (profile_from_json(p) for p in doc.get("profiles", []))}
        relations = tuple(relation_from_json(r) for r in doc.get("relations", []))
        return cls(str(doc["process_id"]), profiles, relations)


def profile_to_json(profile: StakeholderProfile) -> dict[str, Any]:
    out: dict[str, Any] = _jsonable(asdict(profile))
    return out


def profile_from_json(p: dict[str, Any]) -> StakeholderProfile:
    """A profile from its JSON form (``RegistryInputError`` naming what is wrong)."""
    try:
        return StakeholderProfile(
            actor_id=p["actor_id"],
            label=p["label"],
            attitude=Attitude(p["attitude"]),
            attitude_evidence=p["attitude_evidence"],
            attitude_date=_date(p["attitude_date"]),
            interests=tuple(_ev(i) for i in p.get("interests", [])),
            positions=tuple(
                Position(x["issue"], x["stance"], x["evidence"], _date(x["date"])) for x in p.get("positions", [])
            ),
            leverage=tuple(
                Leverage(x["what"], tuple(x["over"]), x["evidence"], _date(x["date"])) for x in p.get("leverage", [])
            ),
            contribution=_ev(p["contribution"]) if p.get("contribution") else None,
            power=p.get("power"),
            interest=p.get("interest"),
            updated_by=p.get("updated_by", ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryInputError(f"bad stakeholder profile ({exc})") from exc


def relation_to_json(relation: AnalystRelation) -> dict[str, Any]:
    out: dict[str, Any] = _jsonable(asdict(relation))
    return out


def relation_from_json(r: dict[str, Any]) -> AnalystRelation:
    try:
        return AnalystRelation(
            id=r["id"],
            source=r["source"],
            target=r["target"],
            kind=RelationKind(r["kind"]),
            strength=float(r["strength"]),
            confidence=float(r["confidence"]),
            label=r["label"],
            evidence=r["evidence"],
            date=_date(r["date"]),
            created_by=r.get("created_by", ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryInputError(f"bad analyst relation ({exc})") from exc
