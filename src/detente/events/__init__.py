"""Event data: the canonical schema, source adapters and the event store.

For notebooks::

    from detente.events import open_store
    store = open_store("my-workspace")
    t = store.table()                      # an Ibis table (DuckDB)
    t.group_by("category").agg(n=t.count()).to_pandas()
    store.to_pandas(t.filter(t.country_iso3 == "SYR"))
"""

from __future__ import annotations

from detente.events.query import EventFilter
from detente.events.schema import EVENT_SCHEMA, FIELDS, RAW_SCHEMA
from detente.events.store import EventStore, open_store

__all__ = ["EVENT_SCHEMA", "FIELDS", "RAW_SCHEMA", "EventFilter", "EventStore", "ingest_files", "open_store"]


def __getattr__(name: str) -> object:
    # ingest pulls in every adapter; load it on first use only.
    if name == "ingest_files":
        from detente.events.ingest import ingest_files

        return ingest_files
    raise AttributeError(name)
