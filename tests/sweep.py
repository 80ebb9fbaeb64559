"""Every page and JSON route a reader can ask for: the GET routes of the application with each record id filled in
(and a missing id where a route takes one), for the canary and the extremes sweeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.routing import APIRoute

__all__ = ["get_routes", "urls_of"]

#: path parameter -> the kind of record whose ids fill it
FILL: dict[str, str] = {
    "note_id": "note",
    "commitment_id": "commitment",
    "report_id": "report",
    "violation_id": "violation",
    "measure_id": "measure",
    "actor_id": "actor",
    "revision": "revision",
    "sha256": "sha256",
}
#: kinds whose routes are also asked for an id that does not exist
MISSING = ("note", "commitment", "report", "violation")
#: the event store's pages: they read no labelled record and are swept with the explorer's own tests
EVENT_PAGES = ("/events", "/api/v1/events", "/watchlist", "/api/v1/watchlist")


def get_routes(app: Any, *, leave_out: Sequence[str] = EVENT_PAGES) -> list[str]:
    """The paths of every GET route of ``app`` (a FastAPI application), sign-in and the home page left out."""
    out: list[APIRoute] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                out.append(route)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(list(app.routes))
    return sorted({r.path for r in out if "GET" in r.methods and not r.path.startswith(tuple(leave_out))
                   and r.path not in ("/", "/login")})  # fmt: skip


def urls_of(path: str, process_id: int, ids: Mapping[str, Sequence[Any]]) -> list[str]:
    """``path`` with the process and every combination of the record ids of ``ids`` filled in."""
    urls = [path.replace("{process_id}", str(process_id))]
    for name, key in FILL.items():
        if "{" + name + "}" in path:
            values = [*ids.get(key, ()), *([999999] if key in MISSING else [])]
            urls = [u.replace("{" + name + "}", str(v)) for u in urls for v in values]
    if "{kind}" in path:
        kinds = ("commitment", "report", "assessment")
        urls = [u.replace("{kind}", k).replace("{record_id}", str(i)) for u in urls for k in kinds
                for i in ids.get(k, ())]  # fmt: skip
    return urls
