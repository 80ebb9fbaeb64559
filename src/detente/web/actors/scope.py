"""The filters of an actor page's request (window, layer, minimum weight, country, how many actors) and the
caller's view of the process (from :mod:`detente.services.actors`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fastapi import Request

from detente.actors import Window
from detente.services import actors
from detente.services.actors import ActorScope
from detente.web.security import Principal, WebContext

__all__ = ["Layer", "NetFilter", "Scope", "open_scope"]

Layer = Literal["all", "hostile", "cooperative"]


@dataclass(frozen=True)
class NetFilter:
    """What part of the relations to measure and show."""

    start: date | None = None
    end: date | None = None
    layer: Layer = "all"
    min_weight: int = 1
    country: str | None = None
    top: int = 30

    def window(self, span: tuple[date, date] | None) -> Window | None:
        """The chosen dates, a missing one taken from ``span`` (the store's first and last day); None: all."""
        if self.start is None and self.end is None:
            return None
        first, last = span if span is not None else (self.start or self.end, self.end or self.start)
        assert first is not None and last is not None
        return Window(self.start or min(first, self.end or first), self.end or max(last, self.start or last))

    def query(self, **changes: Any) -> dict[str, str]:
        """The filter as query parameters (for links), with ``changes`` applied."""
        values: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "layer": self.layer,
            "min_weight": self.min_weight,
            "country": self.country,
            "top": self.top,
            **changes,
        }
        defaults = NetFilter()
        return {
            k: (v.isoformat() if isinstance(v, date) else str(v))
            for k, v in values.items()
            if v is not None and v != getattr(defaults, k, None)
        }


#: one caller's view of the actors of a process (decided and loaded by the service)
Scope = ActorScope


def open_scope(ctx: WebContext, request: Request, p: Principal, process_id: int) -> Scope:
    """Decide ``read`` on the process (a non-member and a missing process get the same "not found")."""
    return actors.open_scope(ctx, p, process_id)
