"""The event data use cases: importing files into the workspace's event store, exploring it, exporting from it.

The event store belongs to the instance and holds no labelled record; who may read, export and import is decided by
``access.decide_events``. Exports and imports are audited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from detente.access import Action
from detente.config import Settings
from detente.events.explore import EventQueries
from detente.events.explore_query import ExplorerQuery
from detente.events.ingest import IngestReport, ingest_files
from detente.events.store import open_store
from detente.services.audit import audit
from detente.services.authz import may_events, require_events
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = ["EventExport", "explorer", "export_events", "ingest", "may_export_events"]


def explorer(app: AppContext, caller: Caller, settings: Settings | None = None) -> EventQueries:
    """The explorer's queries over the workspace's store (one per application), for a caller who may read it."""
    require_events(caller, Action.SEARCH)
    found = app.extras.get("explorer.queries")
    if isinstance(found, EventQueries):
        return found
    queries = EventQueries(open_store(app.workspace, settings=settings))
    app.extras["explorer.queries"] = queries
    return queries


def may_export_events(caller: Caller) -> bool:
    return may_events(caller, Action.EXPORT)


@dataclasses.dataclass(frozen=True)
class EventExport:
    """What an export will hold (its count is audited before the first byte leaves) and its batches."""

    count: int
    batches: Any  # a callable giving an iterator of Arrow record batches

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return iter(self.batches())


def export_events(app: AppContext, caller: Caller, q: ExplorerQuery, fmt: str) -> EventExport:
    """The filtered events for an export (CSV or GeoJSON); the export is audited with its filter and count."""
    require_events(caller, Action.EXPORT)
    queries = explorer(app, caller)
    count = queries.page(dataclasses.replace(q, page=1, page_size=1)).total
    with app.db.transaction(write=True) as s:
        audit(s, app, caller, "events.exported", target="events",
              detail={"format": fmt, "count": count, "filter": q.query_string()})  # fmt: skip
    return EventExport(count, lambda: queries.batches(q))


def ingest(
    app: AppContext,
    caller: Caller,
    files: Sequence[Path],
    **options: Any,
) -> IngestReport:
    """Import files into the event store (all-or-nothing per import; bad rows quarantined); audited."""
    require_events(caller, Action.CREATE)
    report = ingest_files(app.workspace, list(files), clock=app.clock, **options)
    with app.db.transaction(write=True) as s:
        audit(s, app, caller, "events.imported", target="events",
              detail={"files": [p.name for p in files], "batch": report.batch, "imported": report.imported,
                      "duplicates": report.duplicates, "rejected": report.rejected})  # fmt: skip
    return report
