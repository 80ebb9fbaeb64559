"""The range every date, time and period a person enters must fall in.

A peace process is planned and recorded in years, not millennia: dates from 1900 to 2200 and periods up to a
century cover every real commitment, report and profile, and keep every sum the pages compute (a deadline plus a
period, a start plus n periods) far from the limits of Python's ``datetime`` — a commitment starting in year 9999
once broke the board for every role. The services check what comes in; the pages render whatever is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from detente.errors import InputError

__all__ = ["EARLIEST", "LATEST", "MAX_DAYS", "check_date", "check_days", "check_time", "later"]

#: the first and last day a date or time may name
EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
#: the longest period, deadline or procedure step in days (a century)
MAX_DAYS = 36_525


def check_date(value: date, field: str) -> date:
    """``value`` when it lies in 1900–2200; otherwise the user's mistake, naming ``field``."""
    if not EARLIEST <= value <= LATEST:
        raise InputError(f"{value.isoformat()} is outside {EARLIEST.year}–{LATEST.year}", field=field)
    return value


def check_time(value: datetime, field: str) -> datetime:
    """A timezone-aware time whose UTC date lies in 1900–2200."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError("give the time with its zone (e.g. Z)", field=field)
    check_date(value.astimezone(UTC).date(), field)
    return value


def check_days(value: int, field: str, *, least: int = 1) -> int:
    """A whole number of days from ``least`` to a century."""
    if not least <= value <= MAX_DAYS:
        raise InputError(f"give {least} to {MAX_DAYS} days (a century), not {value}", field=field)
    return value


def later(when: datetime, days: float) -> datetime | None:
    """``when`` plus ``days`` days, or ``None`` when that lies beyond what a ``datetime`` holds (a stored value no
    form accepts: pages show it as "no date" rather than failing)."""
    try:
        return when + timedelta(days=days)
    except OverflowError:
        return None
