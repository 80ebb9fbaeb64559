"""One request's view of the actor pages of a process: the service, the process, the principal's permissions and
the filters of the request (window, layer, minimum weight, country, how many actors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fastapi import Request

from detente.actors import ActorService, Window
from detente.events.store import open_store
from detente.web import ops
from detente.web.actors.policy import Permissions, permissions
from detente.web.security import Principal, WebContext

__all__ = ["Layer", "NetFilter", "Scope", "open_scope", "service"]

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


def service(ctx: WebContext, request: Request) -> ActorService:
    """The workspace's actor service (one per application, like the explorer's queries)."""
    found = ctx.extras.get("actors.service")
    if isinstance(found, ActorService):
        return found
    store = open_store(ctx.workspace, settings=getattr(request.app.state, "settings", None))
    svc = ActorService(store.workspace, store, ctx.clock)
    ctx.extras["actors.service"] = svc
    return svc


@dataclass(frozen=True)
class Scope:
    process_id: int
    process: dict[str, Any]
    parties: dict[int, str]
    perms: Permissions
    svc: ActorService
    principal: Principal

    @property
    def labels(self) -> list[str]:
        """Every label a record of this process may carry."""
        return ["public", "all_parties", *(f"party:{pid}" for pid in sorted(self.parties)), "mediators_only"]

    def label_text(self, label: str) -> str:
        if label.startswith("party:"):
            name = self.parties.get(int(label[6:]), "a party")
            return f"only {name} and the mediators"
        return {"public": "public", "all_parties": "all parties", "mediators_only": "mediators only"}.get(label, label)


def open_scope(ctx: WebContext, request: Request, p: Principal, process_id: int) -> Scope:
    """Decide ``read`` on the process (a non-member and a missing process get the same "not found")."""
    view = ops.process_view(ctx, p, process_id)
    parties = {int(x["id"]): str(x["name"]) for x in view.parties}
    perms = permissions(p, process_id, parties)
    return Scope(process_id, view.process, parties, perms, service(ctx, request), p)
