"""What the trust model learns from: verified compliance records and analysts' input.

Both are small frozen dataclasses. A compliance record normally comes from the verification module (one
commitment, one party, one assessed outcome); here it is only the input shape, so this package does not import that
module. Times are timezone-aware (UTC is expected); nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from detente.errors import TrustInputError

from .measure import VerificationMethod

__all__ = [
    "AnalystAction",
    "AnalystInput",
    "ComplianceRecord",
    "Evidence",
    "Outcome",
    "TrustInputError",
    "VerificationStrength",
]

#: Verification strength of a record uses the measure vocabulary (self-report is weakest, third-party strongest).
VerificationStrength = VerificationMethod

#: Largest analyst nudge, in log-odds (±4 moves 0.5 to about 0.02 or 0.98).
MAX_NUDGE = 4.0


class Outcome(StrEnum):
    """The assessed outcome of a commitment (the verification module's vocabulary)."""

    COMPLIANT = "compliant"
    PARTIALLY_COMPLIANT = "partially_compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_VERIFIABLE = "not_verifiable"
    PENDING = "pending"

    @property
    def informative(self) -> bool:
        """Whether the outcome moves beliefs (not_verifiable and pending are recorded only)."""
        return self in (Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT)


def _require_aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TrustInputError("time must be timezone-aware (UTC)", field=field)


@dataclass(frozen=True)
class ComplianceRecord:
    """One assessed commitment of ``party``. Give ``measure_id`` (signal read from the catalogue) or a signal."""

    commitment_id: str
    party: str
    outcome: Outcome
    verification: VerificationMethod
    time: datetime
    measure_id: str | None = None
    #: overrides the catalogue's signal strength when given (0–1)
    signal_strength: float | None = None
    #: what the party did, in plain words, as a verb phrase: "released 40 detainees"
    summary: str | None = None
    kind: Literal["compliance"] = "compliance"

    def __post_init__(self) -> None:
        if not self.commitment_id.strip():
            raise TrustInputError("must not be empty", field="commitment_id")
        if not self.party.strip():
            raise TrustInputError("must not be empty", field="party")
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "verification", VerificationMethod(self.verification))
        _require_aware(self.time, "time")
        if self.measure_id is None and self.signal_strength is None:
            raise TrustInputError("give measure_id or signal_strength", field="signal_strength")
        if self.signal_strength is not None and not 0.0 <= self.signal_strength <= 1.0:
            raise TrustInputError(f"{self.signal_strength} is not in [0, 1]", field="signal_strength")


class AnalystAction(StrEnum):
    """``set`` puts the belief at ``value``; ``nudge`` shifts it by ``value`` in log-odds."""

    SET = "set"
    NUDGE = "nudge"


@dataclass(frozen=True)
class AnalystInput:
    """An analyst's judgement on one ordered pair, with the rationale and the author kept in the history."""

    truster: str
    trustee: str
    action: AnalystAction
    value: float
    rationale: str
    author: str
    time: datetime
    kind: Literal["analyst"] = "analyst"

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", AnalystAction(self.action))
        _require_aware(self.time, "time")
        if not self.rationale.strip():
            raise TrustInputError("an analyst's update needs a rationale", field="rationale")
        if not self.author.strip():
            raise TrustInputError("an analyst's update needs an author", field="author")
        if self.truster == self.trustee:
            raise TrustInputError("a party's trust in itself is not modelled", field="trustee")
        if not math.isfinite(self.value):
            raise TrustInputError("must be a finite number", field="value")
        if self.action is AnalystAction.SET and not 0.0 < self.value < 1.0:
            raise TrustInputError(f"a belief is set strictly inside (0, 1), not {self.value}", field="value")
        if self.action is AnalystAction.NUDGE and abs(self.value) > MAX_NUDGE:
            raise TrustInputError(f"a nudge is at most ±{MAX_NUDGE} log-odds, not {self.value}", field="value")


Evidence = ComplianceRecord | AnalystInput
