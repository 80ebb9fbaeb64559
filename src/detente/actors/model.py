"""Actor registry values: source actors, canonical actors, kinds, and name normalisation (pure)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ARMED_KINDS",
    "VICTIM_KINDS",
    "ActorKind",
    "CanonicalActor",
    "SourceActor",
    "acronym",
    "actor_id_for",
    "core_tokens",
    "normalize_name",
]


class ActorKind(StrEnum):
    """What kind of actor this is (one vocabulary across ACLED, UCDP and CAMEO)."""

    GOVERNMENT = "government"
    STATE_FORCES = "state_forces"
    REBEL_GROUP = "rebel_group"
    POLITICAL_MILITIA = "political_militia"
    IDENTITY_MILITIA = "identity_militia"
    POLITICAL_PARTY = "political_party"
    CIVIL_SOCIETY = "civil_society"
    PROTESTERS = "protesters"
    RIOTERS = "rioters"
    CIVILIANS = "civilians"
    REFUGEES = "refugees"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    THIRD_STATE = "third_state"
    EXTERNAL_FORCE = "external_force"
    BUSINESS = "business"
    MEDIA = "media"
    RELIGIOUS = "religious"
    CRIMINAL = "criminal"
    COUNTRY = "country"
    OTHER = "other"
    UNKNOWN = "unknown"


#: kinds that bear arms (used by the spoiler heuristics and the chart colours)
ARMED_KINDS = frozenset(
    {
        ActorKind.STATE_FORCES,
        ActorKind.REBEL_GROUP,
        ActorKind.POLITICAL_MILITIA,
        ActorKind.IDENTITY_MILITIA,
        ActorKind.EXTERNAL_FORCE,
        ActorKind.CRIMINAL,
    }
)

#: kinds that name the people violence and repression fall on, not organised actors: they are never power holders
#: and never spoilers (ACLED inter 6 and 7, UCDP GED's "Civilians" side of one-sided violence, CAMEO CVL and REF)
VICTIM_KINDS = frozenset({ActorKind.CIVILIANS, ActorKind.PROTESTERS, ActorKind.REFUGEES})


@dataclass(frozen=True)
class SourceActor:
    """One actor as one source names it.

    ``key`` is the identity inside its id system: ``ucdp:<ActorId>`` (UCDP GED ``side_*_new_id`` and the UCDP actor
    list share these ids), ``cameo:<code>`` (GDELT actor codes), ``acled:<name>`` (ACLED has no actor ids), or
    ``<source>:<id or name>`` for other sources.
    """

    key: str
    name: str
    kind: ActorKind = ActorKind.UNKNOWN
    country_iso3: str | None = None
    aliases: tuple[str, ...] = ()
    #: keys of source actors this one belongs to (faction of, member of a coalition, splinter of)
    parents: tuple[str, ...] = ()
    #: number of events naming this actor (0 for list-only actors)
    events: int = 0
    #: extra identifiers in other systems, e.g. ``("ucdp_dyad:448",)``
    ids: tuple[str, ...] = ()

    @property
    def system(self) -> str:
        return self.key.split(":", 1)[0]


@dataclass(frozen=True)
class CanonicalActor:
    """A canonical actor: one or more source actors an analyst has decided are the same."""

    id: str
    name: str
    kind: ActorKind
    country_iso3: str | None
    aliases: tuple[str, ...]
    source_keys: tuple[str, ...]
    parents: tuple[str, ...] = ()  # canonical ids
    events: int = 0
    ids: tuple[str, ...] = field(default=())


def actor_id_for(key: str) -> str:
    """Stable canonical id of the actor first built from source key ``key``."""
    return "act_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


_PAREN = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_STOP = frozenset({"of", "the", "and", "de", "del", "la", "le", "les", "el", "for", "in"})


def normalize_name(name: str) -> str:
    """Lower case, accents removed, punctuation to spaces, whitespace collapsed (parenthesised parts kept)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def core_tokens(name: str) -> tuple[str, ...]:
    """Tokens of the name without parenthesised parts and stop words (for blocking and comparison)."""
    return tuple(t for t in normalize_name(_PAREN.sub(" ", name)).split() if t not in _STOP)


def acronym(name: str) -> str:
    """Initials of the core tokens ("Kachin Independence Army" -> "kia")."""
    return "".join(t[0] for t in core_tokens(name) if t)
