"""Request parameters of the actor pages and API: the filter (typed for OpenAPI, parsed once) and path ids."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Path, Query

from detente.errors import InputError
from detente.web.actors.scope import NetFilter

__all__ = ["ActorPath", "Filter", "ProcessPath", "net_filter", "parse_date", "parse_unit"]

ProcessPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
ActorPath = Annotated[str, Path(pattern=r"^act_[0-9a-f]{12}$", description="canonical actor id (act_ + 12 hex)")]


def parse_date(text: str | None, field: str) -> date | None:
    """``YYYY-MM-DD`` or empty (HTML forms send empty fields)."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError("expected a date YYYY-MM-DD", field=field) from None


def parse_unit(text: str | None, field: str) -> float | None:
    """A judgement between 0 and 1, or empty."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError("expected a number between 0 and 1", field=field) from None
    if not 0.0 <= value <= 1.0:
        raise InputError("expected a number between 0 and 1", field=field)
    return value


def net_filter(
    start: Annotated[str | None, Query(max_length=10, description="first day of the window (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, Query(max_length=10, description="last day of the window (YYYY-MM-DD)")] = None,
    layer: Annotated[Literal["all", "hostile", "cooperative"], Query(description="ties to draw")] = "all",
    min_weight: Annotated[int, Query(ge=1, le=1_000_000, description="fewest events on a tie")] = 1,
    country: Annotated[str | None, Query(max_length=3, description="events in this country (ISO alpha-3)")] = None,
    top: Annotated[int, Query(ge=1, le=200, description="most actors to show, by influence")] = 30,
) -> NetFilter:
    iso = (country or "").strip().upper() or None
    if iso is not None and (len(iso) != 3 or not iso.isascii() or not iso.isalpha()):
        raise InputError("expected an ISO 3166 alpha-3 code", field="country")
    return NetFilter(parse_date(start, "start"), parse_date(end, "end"), layer, min_weight, iso, top)


Filter = Annotated[NetFilter, Depends(net_filter)]
