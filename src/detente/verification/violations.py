"""Violation procedures: the state machine a process agrees, with deadlines and escalation of overdue steps.

States: ``alleged`` → ``under_review`` → ``confirmed`` or ``dismissed``; after ``confirmed`` the agreed response
steps in order (``step:notification``, ``step:joint_commission_meeting``, …) → ``resolved``. ``dismissed`` and
``resolved`` are final. Each state has a deadline (days from entering it, from the :class:`Procedure`); an overdue
state may be *escalated* (recorded, state unchanged). Every transition names who and why. Pure: the clock is the
caller's ``at``; :func:`apply` replays a history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from detente.bounds import later
from detente.errors import IllegalTransition, InputError

from .commitments import iso

__all__ = [
    "DEFAULT_PROCEDURE",
    "IllegalTransition",
    "Procedure",
    "Step",
    "Transition",
    "ViolationState",
    "apply",
    "overdue",
    "replay",
    "start",
]

ALLEGED, UNDER_REVIEW, CONFIRMED, DISMISSED, RESOLVED = "alleged", "under_review", "confirmed", "dismissed", "resolved"
ESCALATE = "escalate"
_STEP_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


@dataclass(frozen=True)
class Step:
    name: str
    days: int

    def __post_init__(self) -> None:
        if not _STEP_NAME.fullmatch(self.name):
            raise InputError(f"step name {self.name!r}: lowercase letters, digits, '_'", field="steps")
        if self.days < 1:
            raise InputError("a step needs at least one day", field="steps")


@dataclass(frozen=True)
class Procedure:
    """What the parties agreed: days to open the review, days to decide, response steps with their days."""

    review_start_days: int = 3
    review_days: int = 14
    respond_days: int = 7
    steps: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        if min(self.review_start_days, self.review_days, self.respond_days) < 1:
            raise InputError("deadlines are at least one day", field="procedure")
        if len({s.name for s in self.steps}) != len(self.steps):
            raise InputError("a response step is named twice", field="steps")

    def states(self) -> list[str]:
        return [ALLEGED, UNDER_REVIEW, CONFIRMED, DISMISSED, *(f"step:{s.name}" for s in self.steps), RESOLVED]

    def allowed(self, state: str) -> list[str]:
        """The states reachable from *state* (plus ``escalate`` while a deadline runs)."""
        names = [f"step:{s.name}" for s in self.steps]
        if state == ALLEGED:
            return [UNDER_REVIEW]
        if state == UNDER_REVIEW:
            return [CONFIRMED, DISMISSED]
        if state == CONFIRMED:
            return [names[0] if names else RESOLVED]
        if state in names:
            i = names.index(state)
            return [names[i + 1] if i + 1 < len(names) else RESOLVED]
        return []

    def days(self, state: str) -> int | None:
        if state == ALLEGED:
            return self.review_start_days
        if state == UNDER_REVIEW:
            return self.review_days
        if state == CONFIRMED:
            return self.respond_days
        for step in self.steps:
            if state == f"step:{step.name}":
                return step.days
        return None

    def to_body(self) -> dict[str, Any]:
        return {
            "review_start_days": self.review_start_days,
            "review_days": self.review_days,
            "respond_days": self.respond_days,
            "steps": [{"name": s.name, "days": s.days} for s in self.steps],
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Procedure:
        try:
            return cls(
                review_start_days=int(body.get("review_start_days", 3)),
                review_days=int(body.get("review_days", 14)),
                respond_days=int(body.get("respond_days", 7)),
                steps=tuple(Step(str(s["name"]), int(s["days"])) for s in body.get("steps", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"bad procedure: {exc}", field="procedure") from exc


DEFAULT_PROCEDURE = Procedure(
    steps=(
        Step("notification", 3),
        Step("joint_commission_meeting", 14),
        Step("public_statement", 7),
        Step("sanction", 30),
    )
)


@dataclass(frozen=True)
class Transition:
    """One recorded move: from → to (``escalate`` keeps the state), who, why, when."""

    from_state: str | None
    to_state: str
    actor: str
    reason: str
    at: datetime

    def to_body(self) -> dict[str, Any]:
        return {
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor,
            "reason": self.reason,
            "at": iso(self.at),
        }


@dataclass(frozen=True)
class ViolationState:
    state: str
    entered_at: datetime
    due_at: datetime | None
    escalations: int = 0
    history: tuple[Transition, ...] = field(default_factory=tuple)

    @property
    def final(self) -> bool:
        return self.state in (DISMISSED, RESOLVED)


def _due(procedure: Procedure, state: str, at: datetime) -> datetime | None:
    days = procedure.days(state)
    return None if days is None else later(at, days)


def start(procedure: Procedure, actor: str, reason: str, at: datetime) -> tuple[ViolationState, Transition]:
    """An allegation: the first transition (from nothing to ``alleged``)."""
    if not reason.strip():
        raise InputError("an allegation needs a reason", field="reason")
    t = Transition(None, ALLEGED, actor, reason, at)
    return ViolationState(ALLEGED, at, _due(procedure, ALLEGED, at), 0, (t,)), t


def apply(
    procedure: Procedure, current: ViolationState, to_state: str, actor: str, reason: str, at: datetime
) -> tuple[ViolationState, Transition]:
    """Move to *to_state* (or ``escalate``); :class:`IllegalTransition` when the procedure does not allow it."""
    if not reason.strip():
        raise InputError("every transition needs a reason", field="reason")
    if not actor.strip():
        raise InputError("every transition names who made it", field="actor")
    if at < current.entered_at:
        raise InputError("a transition cannot precede the state it leaves", field="at")
    t = Transition(current.state, to_state, actor, reason, at)
    if to_state == ESCALATE:
        if current.due_at is None or at <= current.due_at:
            raise IllegalTransition(f"cannot escalate {current.state!r}: it is not overdue", field="to")
        return ViolationState(
            current.state, current.entered_at, current.due_at, current.escalations + 1, (*current.history, t)
        ), t
    allowed = procedure.allowed(current.state)
    if to_state not in allowed:
        options = ", ".join(allowed) if allowed else f"none: {current.state!r} is final"
        raise IllegalTransition(f"cannot go from {current.state!r} to {to_state!r}; allowed: {options}", field="to")
    return ViolationState(to_state, at, _due(procedure, to_state, at), 0, (*current.history, t)), t


def replay(procedure: Procedure, transitions: Iterable[Transition]) -> ViolationState:
    """Rebuild the state from a recorded history (the first transition is the allegation)."""
    items = list(transitions)
    if not items or items[0].to_state != ALLEGED:
        raise InputError("a violation's history starts with its allegation", field="history")
    state, _ = start(procedure, items[0].actor, items[0].reason, items[0].at)
    for t in items[1:]:
        state, _ = apply(procedure, state, t.to_state, t.actor, t.reason, t.at)
    return state


def overdue(state: ViolationState, now: datetime) -> timedelta | None:
    """How long the current state is past its deadline (None when it is not)."""
    if state.due_at is None or now <= state.due_at:
        return None
    return now - state.due_at
