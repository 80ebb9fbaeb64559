"""Commitments: what a party undertook, how it will be measured and verified, and when it is due.

Pure frozen values. :meth:`Commitment.to_body` gives the JSON body logged as a ``commitment`` entry (no floats:
coordinates and decimals are strings, times ISO 8601 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from detente.bounds import later
from detente.cbm.measure import VerificationMethod
from detente.errors import InputError

from .geo import GeoScope

__all__ = ["Category", "Commitment", "Indicator", "Schedule", "VerificationMethod", "iso"]


class Category(StrEnum):
    CEASEFIRE = "ceasefire"
    DETAINEE_RELEASE = "detainee_release"
    WITHDRAWAL = "withdrawal"
    HUMANITARIAN_ACCESS = "humanitarian_access"
    INFORMATION_EXCHANGE = "information_exchange"
    COMMUNICATION_CHANNEL = "communication_channel"
    GOODWILL_GESTURE = "goodwill_gesture"
    OTHER = "other"


def iso(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` for an aware datetime (naive ones are refused)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError("times must be timezone-aware (UTC)", field="time")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Indicator:
    """A measurable indicator: what is counted or observed, and the target (as text: "40 detainees", "0 shells")."""

    name: str
    target: str

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.target.strip():
            raise InputError("an indicator needs a name and a target", field="indicators")


@dataclass(frozen=True)
class Schedule:
    """Either a one-off ``deadline``, or a recurring obligation from ``start`` every ``period_days`` days."""

    deadline: datetime | None = None
    start: datetime | None = None
    period_days: int | None = None

    def __post_init__(self) -> None:
        one_off = self.deadline is not None
        recurring = self.start is not None and self.period_days is not None
        if one_off == recurring or (not recurring and (self.start is not None or self.period_days is not None)):
            raise InputError("a schedule is a deadline, or a start with a period in days", field="schedule")
        if self.period_days is not None and self.period_days < 1:
            raise InputError("the period must be at least one day", field="schedule")
        for value in (self.deadline, self.start):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise InputError("schedule times must be timezone-aware (UTC)", field="schedule")

    def period_of(self, when: datetime) -> str:
        """The period label *when* falls in: ``"deadline"`` or ``"P<n>"`` (0-based) for recurring schedules."""
        if self.start is None or self.period_days is None:
            return "deadline"
        n = int((when - self.start).total_seconds() // (self.period_days * 86_400))  # exact for any period length
        if n < 0:
            raise InputError("the time is before the schedule starts", field="period")
        return f"P{n}"

    def due(self, period: str) -> datetime | None:
        """When the period ends (the deadline for a one-off); ``None`` when that lies beyond the calendar."""
        if self.deadline is not None:
            return self.deadline
        assert self.start is not None and self.period_days is not None
        if not period.startswith("P") or not period[1:].isdigit():
            raise InputError(f"unknown period {period!r}; periods are P0, P1, …", field="period")
        return later(self.start, self.period_days * (int(period[1:]) + 1))

    def to_body(self) -> dict[str, Any]:
        if self.deadline is not None:
            return {"deadline": iso(self.deadline)}
        assert self.start is not None
        return {"start": iso(self.start), "period_days": self.period_days}


@dataclass(frozen=True)
class Commitment:
    """A commitment of one or more parties (party names as in the process), with its visibility label."""

    title: str
    text: str
    parties: tuple[str, ...]
    category: Category
    schedule: Schedule
    methods: tuple[VerificationMethod, ...]
    verifier: str
    label: str
    indicators: tuple[Indicator, ...] = ()
    measure_id: str | None = None
    geo: GeoScope | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= len(self.title.strip()) <= 200:
            raise InputError("a commitment needs a title of 1-200 characters", field="title")
        if not self.text.strip():
            raise InputError("a commitment needs its text", field="text")
        if not self.parties or any(not p.strip() for p in self.parties):
            raise InputError("a commitment binds at least one party", field="parties")
        if len(set(self.parties)) != len(self.parties):
            raise InputError("a party is named twice", field="parties")
        try:
            object.__setattr__(self, "category", Category(self.category))
            object.__setattr__(self, "methods", tuple(VerificationMethod(m) for m in self.methods))
        except ValueError as exc:
            raise InputError(str(exc), field="category/methods") from exc
        if not self.methods:
            raise InputError("name at least one verification method", field="methods")
        if not self.verifier.strip():
            raise InputError("name the verifier", field="verifier")
        if self.geo is not None and self.category is not Category.CEASEFIRE:
            raise InputError("only ceasefire commitments carry a zone", field="geo")

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": self.title.strip(),
            "text": self.text,
            "parties": list(self.parties),
            "category": self.category.value,
            "indicators": [{"name": i.name, "target": i.target} for i in self.indicators],
            "schedule": self.schedule.to_body(),
            "methods": [m.value for m in self.methods],
            "verifier": self.verifier,
            "measure_id": self.measure_id,
            "label": self.label,
        }
        if self.geo is not None:
            body["geo"] = self.geo.to_body()
        return body
