"""One confidence-building measure (CBM): its domain, scales, verification and historical examples.

Every 0–1 scale is a judgement, documented in ``docs/cbm.md``; the model only checks the ranges. A measure is
immutable; the catalogue (:mod:`detente.cbm.catalogue`) checks what involves several measures (unique ids,
prerequisites that exist and form no cycle).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ID_PATTERN",
    "Domain",
    "HistoricalExample",
    "Measure",
    "Scale",
    "VerificationMethod",
]

#: A measure id is a lower-case slug: letters, digits and underscores, starting with a letter.
ID_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"

#: A judgement on a closed 0–1 scale.
Scale = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class Domain(StrEnum):
    """The eight families of measures (see ``docs/cbm.md``)."""

    COMMUNICATION = "communication"
    TRANSPARENCY = "transparency"
    MILITARY = "military"
    VERIFICATION = "verification"
    HUMANITARIAN = "humanitarian"
    ECONOMIC = "economic"
    POLITICAL = "political"
    CIVIL_SOCIETY = "civil_society"


class VerificationMethod(StrEnum):
    """How compliance with a measure is usually established, from weakest to strongest evidence.

    The same vocabulary grades compliance records in the trust model (:mod:`detente.cbm.evidence`).
    """

    #: the acting party says it did it
    SELF_REPORT = "self_report"
    #: coded event data (news-based datasets such as ACLED, GDELT) shows no contrary behaviour
    EVENT_DATA_CHECK = "event_data_check"
    #: the other party sees the result directly (the line answers, the crossing opens, the detainee comes home)
    COUNTERPART_OBSERVATION = "counterpart_observation"
    #: formal inspection by the other party under agreed rules
    RECIPROCAL_INSPECTION = "reciprocal_inspection"
    #: satellite or aerial imagery
    REMOTE_SENSING = "remote_sensing"
    #: an impartial observer (UN, OSCE, ICRC, a monitoring mission) reports
    THIRD_PARTY_OBSERVER = "third_party_observer"


class HistoricalExample(BaseModel):
    """A real use of the measure, with a citation a reader can check."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    summary: str = Field(min_length=10, description="What was done, by whom.")
    year: int = Field(ge=1800, le=2100, description="Year the measure was agreed or taken.")
    citation: str = Field(min_length=5, description="Agreement or document name and date, or author, year, title.")


class Measure(BaseModel):
    """A confidence-building measure. Scales are 0–1 judgements (``docs/cbm.md`` gives their meaning)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=ID_PATTERN, description="Stable slug; never reused for a different measure.")
    name: str = Field(min_length=3)
    domain: Domain
    description: str = Field(min_length=10)
    #: material and political cost of carrying the measure out (0 negligible, 1 very high)
    cost_to_initiator: Scale
    #: what the initiator stands to lose if the other side exploits the measure (0 nothing, 1 grave exposure)
    risk_to_initiator: Scale
    #: how costly it would be for an untrustworthy party to imitate (0 cheap talk, 1 only a trustworthy party would)
    signal_strength: Scale
    #: how easily the initiator can undo it (0 irreversible, 1 undone at once and at no cost)
    reversibility: Scale
    #: how well an outsider can confirm it was done (0 not at all, 1 beyond doubt)
    verifiability: Scale
    verification_methods: tuple[VerificationMethod, ...] = Field(min_length=1)
    time_to_implement_days: int = Field(ge=0, le=3650)
    prerequisites: tuple[str, ...] = ()
    #: how much it touches sovereignty, territory or status (0 not at all, 1 core sovereign prerogative)
    sovereignty_sensitivity: Scale
    reciprocity_expected: bool
    examples: tuple[HistoricalExample, ...] = ()

    @field_validator("prerequisites")
    @classmethod
    def _prerequisites_are_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not re.fullmatch(ID_PATTERN, item):
                raise ValueError(f"{item!r} is not a measure id (lower-case slug)")
        if len(set(value)) != len(value):
            raise ValueError("a prerequisite is listed twice")
        return value

    @field_validator("verification_methods")
    @classmethod
    def _methods_unique(cls, value: tuple[VerificationMethod, ...]) -> tuple[VerificationMethod, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a verification method is listed twice")
        return value
