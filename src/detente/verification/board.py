"""The commitments board: status, score, due date and whether an assessment is overdue (pure).

A commitment's *status* is its latest assessment's; its *score* the latest scored one (Peace Accords Matrix 0-3,
from :func:`detente.verification.assessments.latest_scores`). It is *overdue* when a period has ended (the
deadline, or the last finished period of a recurring schedule) and no assessment for that period is recorded: the
verifier owes a judgement. Non-compliance shows in the status, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from detente.bounds import later
from detente.errors import InputError
from detente.verification.assessments import latest_scores
from detente.verification.commitments import Schedule

__all__ = ["BoardRow", "Due", "board_rows", "due_of", "schedule_of", "stored_due"]

NOT_ASSESSED = "not_assessed"


def schedule_of(body: Mapping[str, Any]) -> Schedule:
    """The schedule of a stored commitment body."""
    sched = body["schedule"]
    if "deadline" in sched:
        return Schedule(deadline=datetime.fromisoformat(sched["deadline"].replace("Z", "+00:00")))
    return Schedule(
        start=datetime.fromisoformat(sched["start"].replace("Z", "+00:00")), period_days=sched["period_days"]
    )


@dataclass(frozen=True)
class Due:
    next_due: datetime | None
    owed_period: str | None  # the ended period with no assessment
    owed_due: datetime | None = None  # when that period ended (its assessment was due)


def due_of(schedule: Schedule, assessed_periods: set[str], now: datetime) -> Due:
    """The next due date (``None`` past the calendar's end) and the ended period still owed an assessment."""
    if schedule.deadline is not None:
        owed = "deadline" if now > schedule.deadline and "deadline" not in assessed_periods else None
        return Due(schedule.deadline, owed, schedule.deadline if owed else None)
    assert schedule.start is not None and schedule.period_days is not None
    if now < schedule.start:
        return Due(later(schedule.start, schedule.period_days), None)
    current = int(schedule.period_of(now)[1:])
    owed = None
    if current > 0 and f"P{current - 1}" not in assessed_periods:
        owed = f"P{current - 1}"
    return Due(schedule.due(f"P{current}"), owed, schedule.due(owed) if owed else None)


def stored_due(body: Mapping[str, Any], assessed_periods: set[str], now: datetime) -> Due:
    """:func:`due_of` for a stored commitment body; a schedule no form accepts (written before the bounds, or by
    hand in the database) has no due date rather than breaking the page."""
    try:
        return due_of(schedule_of(body), assessed_periods, now)
    except (InputError, KeyError, TypeError, ValueError):
        return Due(None, None)


@dataclass(frozen=True)
class BoardRow:
    id: int
    title: str
    category: str
    parties: tuple[str, ...]
    label: str
    status: str
    score: int | None
    next_due: datetime | None
    owed_period: str | None
    owed_due: datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.owed_period is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "parties": list(self.parties),
            "label": self.label,
            "status": self.status,
            "score": self.score,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "overdue": self.overdue,
            "owed_period": self.owed_period,
            "owed_due": self.owed_due.isoformat() if self.owed_due else None,
        }


def board_rows(
    commitments: Iterable[tuple[int, str, str, str, Mapping[str, Any]]],
    assessments: Iterable[tuple[int, str, str, int | None, datetime]],
    now: datetime,
) -> list[BoardRow]:
    """Rows from ``(id, title, category, label, body)`` and ``(commitment_id, period, status, score, time)``."""
    listed = list(assessments)
    scores = latest_scores((cid, at, score) for cid, _, _, score, at in listed)
    latest: dict[int, tuple[datetime, str]] = {}
    periods: dict[int, set[str]] = {}
    for cid, period, status, _, at in listed:
        if status != "pending":
            periods.setdefault(cid, set()).add(period)
        if cid not in latest or at >= latest[cid][0]:
            latest[cid] = (at, status)
    rows = []
    for cid, title, category, label, body in commitments:
        due = stored_due(body, periods.get(cid, set()), now)
        rows.append(
            BoardRow(
                id=cid,
                title=title,
                category=category,
                parties=tuple(body["parties"]),
                label=label,
                status=latest[cid][1] if cid in latest else NOT_ASSESSED,
                score=scores.get(cid),
                next_due=due.next_due,
                owed_period=due.owed_period,
                owed_due=due.owed_due,
            )
        )
    return rows
