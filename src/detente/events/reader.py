"""A long-lived read side of the event store, for servers answering many small queries.

:meth:`EventStore.table` and :meth:`EventStore.duckdb` set up a new DuckDB connection (and read the Parquet
footers again) on every call: fine for a CLI command, too slow for a web request. A :class:`StoreReader` keeps
one DuckDB database per *manifest version* with a view ``events`` over the committed files, and hands out
cursors (``con.cursor()``: separate connections to the same database, so requests on different threads run in
parallel and release the GIL while DuckDB works). Before each cursor it looks at the manifest file: when an
import (in any process) has replaced it, the next cursor sees a fresh view. A database of an older version is
closed once its last cursor is returned.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from detente.events.store import MANIFEST_NAME, EventStore

__all__ = ["Stamp", "StoreReader"]

#: (inode, mtime in ns, size) of the manifest; the manifest is replaced by rename, so the inode changes
Stamp = tuple[int, int, int]


class _Generation:
    """One DuckDB database for one manifest version, with the number of cursors in use."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stamp: Stamp) -> None:
        self.con = con
        self.stamp = stamp
        self.in_use = 0
        self.retired = False


class StoreReader:
    """Cursors over the committed events of one store; safe to share between threads."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._current: _Generation | None = None

    def stamp(self) -> Stamp:
        """The manifest's identity now; changes whenever an import commits."""
        try:
            st = (self.store.root / MANIFEST_NAME).stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _open(self, stamp: Stamp) -> _Generation:
        con = self.store.duckdb()
        # committed files are never rewritten in place, so their footers can be cached for the database's life
        con.execute("SET parquet_metadata_cache = true")
        con.execute(f"CREATE OR REPLACE VIEW events AS SELECT * FROM {self.store.relation_sql()}")
        return _Generation(con, stamp)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor whose view ``events`` shows the store as committed now (closed on leaving the block)."""
        stamp = self.stamp()
        with self._lock:
            gen = self._current
            if gen is None or gen.stamp != stamp:
                if gen is not None:
                    self._retire(gen)
                gen = self._current = self._open(stamp)
            gen.in_use += 1
            cur = gen.con.cursor()
        try:
            yield cur
        finally:
            cur.close()
            with self._lock:
                gen.in_use -= 1
                if gen.retired and gen.in_use == 0:
                    gen.con.close()

    def _retire(self, gen: _Generation) -> None:
        gen.retired = True
        if gen.in_use == 0:
            gen.con.close()

    def close(self) -> None:
        """Close the current database (cursors in use keep it until they are returned)."""
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None
