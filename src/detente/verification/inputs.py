"""Turn what a form, a JSON body or a JSON file says into the domain's values (shared by every shell).

Every malformed value becomes an :class:`~detente.errors.InputError` naming its field, so a bad request is a 422
in the one error shape, never a server error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from detente.bounds import check_days, check_time
from detente.errors import DetenteError, InputError
from detente.verification.assessments import Assessment
from detente.verification.commitments import Commitment, Indicator, Schedule
from detente.verification.geo import GeoScope

__all__ = [
    "assessment_from",
    "commitment_from",
    "indicators_from_lines",
    "optional_id",
    "parse_score",
    "parse_time",
    "polygon_from_lines",
]


def parse_time(text: str | None, field: str, *, default: datetime | None = None) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time with its zone, in 1900–2200; *default* when empty."""
    value = (text or "").strip()
    if not value:
        if default is None:
            raise InputError("give a date (YYYY-MM-DD) or a time with its zone", field=field)
        return default
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time", field=field) from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InputError(f"time {value!r} needs a zone (e.g. Z)", field=field)
    return check_time(parsed, field).astimezone(UTC)


def optional_id(text: str | int | None, field: str) -> int | None:
    if text is None or isinstance(text, int):
        return text
    value = text.strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) < 1:
        raise InputError("expected a positive whole number", field=field)
    return int(value)


def indicators_from_lines(text: str) -> list[dict[str, str]]:
    """``name: target`` per line."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, target = line.partition(":")
        if not sep:
            raise InputError(f"write each indicator as 'name: target' ({line.strip()!r})", field="indicators")
        out.append({"name": name.strip(), "target": target.strip()})
    return out


def polygon_from_lines(text: str) -> list[list[str]]:
    """``longitude latitude`` (or ``longitude, latitude``) per line."""
    out = []
    for line in text.splitlines():
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise InputError(f"write each corner as 'longitude latitude' ({line.strip()!r})", field="geo.polygon")
        out.append([parts[0], parts[1]])
    return out


def _schedule(data: Mapping[str, Any]) -> Schedule:
    deadline, start, period = data.get("deadline"), data.get("start"), data.get("period_days")
    if period not in (None, ""):
        try:
            period = int(period)
        except (TypeError, ValueError) as exc:
            raise InputError("the period is a whole number of days", field="schedule.period_days") from exc
        check_days(period, "schedule.period_days")
    else:
        period = None
    return Schedule(
        deadline=parse_time(deadline, "schedule.deadline") if deadline else None,
        start=parse_time(start, "schedule.start") if start else None,
        period_days=period,
    )


def _texts(value: object, field: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise InputError("expected a list", field=field)
    return tuple(str(v) for v in value)


def commitment_from(data: Mapping[str, Any]) -> Commitment:
    """A commitment from the shape of ``docs/verification.md`` (the API's body; the form builds the same)."""
    try:
        schedule = data.get("schedule")
        if not isinstance(schedule, Mapping):
            raise InputError("give a deadline, or a start with a period in days", field="schedule")
        geo = data.get("geo")
        indicators = data.get("indicators") or []
        return Commitment(
            title=str(data.get("title", "")),
            text=str(data.get("text", "")),
            parties=_texts(data.get("parties", ()), "parties"),
            category=str(data.get("category", "")),  # type: ignore[arg-type]
            schedule=_schedule(schedule),
            methods=_texts(data.get("methods", ()), "methods"),  # type: ignore[arg-type]
            verifier=str(data.get("verifier", "")),
            label=str(data.get("label", "")),
            indicators=tuple(Indicator(str(i["name"]), str(i["target"])) for i in indicators),
            measure_id=(str(data["measure_id"]) or None) if data.get("measure_id") else None,
            geo=GeoScope.from_body(dict(geo)) if isinstance(geo, Mapping) else None,
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"malformed commitment: {exc}", field="commitment") from exc
    except DetenteError:
        raise
    except ValueError as exc:
        raise InputError(str(exc), field="commitment") from exc


def assessment_from(
    commitment_id: int,
    *,
    period: str,
    status: str,
    rationale: str,
    assessor: str,
    time: datetime,
    label: str,
    report_ids: Sequence[int],
    score: int | None,
) -> Assessment:
    return Assessment(
        commitment_id=commitment_id,
        period=period.strip(),
        status=status,  # type: ignore[arg-type]
        rationale=rationale,
        assessor=assessor,
        time=time,
        label=label,
        report_ids=tuple(report_ids),
        score=score,
    )


def parse_score(text: str | int | None) -> int | None:
    """An optional PAM score 0-3."""
    if text is None or isinstance(text, int):
        return text
    value = text.strip()
    if not value:
        return None
    if value not in ("0", "1", "2", "3"):
        raise InputError("a score is 0, 1, 2 or 3", field="score")
    return int(value)
