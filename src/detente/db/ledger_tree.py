"""The Merkle tree of a process's log in SQL: appends and the stored hashes that roots and proofs read.

``ledger_entries`` holds the canonical bytes and leaf hash of each entry; ``ledger_subtrees`` the hash of every
complete subtree, written by the append that completes it. A root or a proof is planned in Python (which positions it
needs) and read with one statement of primary-key lookups (:mod:`detente.db.ledger_nodes`); opening a log reads
nothing. An append locks the log row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer), reads the
right-edge frontier (at most log2 n positions, the same one statement), inserts the entries and their subtrees and
moves ``ledger_logs.size`` — all in the caller's transaction. An entry is acknowledged when that transaction commits;
a crash before leaves nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from detente.db.ledger_nodes import SqlNodeReader
from detente.db.sealed import keyring_of, process_domain
from detente.db.verification_models import LedgerLog
from detente.errors import NotFoundError, StoreError
from detente.sealing.envelope import DataKey, seal_bytes
from detente.verification.ledger import Entry, encode_entry, leaf_hash
from detente.verification.ledger.frontier import Frontier, frontier_positions
from detente.verification.ledger.planned import PlannedTree

__all__ = [
    "append_entries",
    "lock_log",
    "log_tree",
]


def lock_log(session: Session, log_id: int) -> LedgerLog:
    query = select(LedgerLog).where(LedgerLog.id == log_id).with_for_update().execution_options(populate_existing=True)
    log = session.scalars(query).one_or_none()
    if log is None:
        raise NotFoundError(f"no log {log_id}")
    return log


def _frontier(session: Session, log_id: int, size: int) -> Frontier:
    wanted = frontier_positions(size)
    found = PlannedTree(SqlNodeReader(session, log_id), size, name=f"log {log_id}").fetch(wanted)
    return Frontier(size, [found[p] for p in wanted])


def _sqlite_size(connection: Connection, log_id: int) -> int:
    """The log's size (SQLite has one writer: the writing transaction already holds the lock)."""
    row = connection.exec_driver_sql("SELECT size FROM ledger_logs WHERE id = ?", (log_id,)).first()
    if row is None:
        raise NotFoundError(f"no log {log_id}")
    return int(row[0])


def append_entries(session: Session, log_id: int, entries: Sequence[Entry | bytes]) -> list[int]:
    """Append *entries* in the caller's transaction; return their indexes (acknowledged once it commits).

    The statements go to the driver as written: two on PostgreSQL (the lock with the right edge, then the rows and
    the size), a fixed handful on SQLite, whatever the log's size. A loaded :class:`LedgerLog` of the session gets
    the new size.
    """
    session.flush()
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        frontier = _pg_locked_frontier(connection, log_id)
        first = frontier.size
    else:
        first = _sqlite_size(connection, log_id)
        frontier = _frontier(session, log_id, first)
    entry_rows: list[tuple[int, int, bytes, bytes]] = []
    subtree_rows: list[tuple[int, int, int, bytes]] = []
    key = _entry_key(session, connection, log_id)
    for offset, entry in enumerate(entries):
        data = encode_entry(entry) if isinstance(entry, Entry) else bytes(entry)
        digest = leaf_hash(data)  # the tree is over the plaintext; only the stored copy is sealed
        entry_rows.append((log_id, first + offset, seal_bytes(key, ENTRY_PURPOSE, data), digest))
        subtree_rows += [(log_id, node.level, node.index, node.hash) for node in frontier.append(digest)]
    if not entry_rows:
        return []
    if postgres:
        _pg_write(connection, log_id, entry_rows, subtree_rows, frontier.size)
    else:
        _sqlite_write(connection, log_id, entry_rows, subtree_rows, frontier.size)
    loaded = session.identity_map.get(identity_key(LedgerLog, log_id))
    if isinstance(loaded, LedgerLog):
        set_committed_value(loaded, "size", frontier.size)
    return list(range(first, frontier.size))


#: the purpose sealed entry bytes are bound to (the column's, as :class:`LedgerEntry` declares it)
ENTRY_PURPOSE = "ledger_entries.data"


def _entry_key(session: Session, connection: Connection, log_id: int) -> DataKey:
    """The data key of the log's process: entries are stored sealed with it (which process a log belongs to never
    changes, so the keyring remembers it)."""
    keyring = keyring_of(connection)
    domain = keyring.log_domains.get(log_id)
    if domain is None:
        process_id = session.scalar(select(LedgerLog.process_id).where(LedgerLog.id == log_id))
        if process_id is None:
            raise NotFoundError(f"no log {log_id}")
        domain = keyring.log_domains[log_id] = process_domain(process_id)
    return keyring.current(connection, domain)


def _sqlite_write(
    connection: Connection,
    log_id: int,
    entry_rows: Sequence[tuple[int, int, bytes, bytes]],
    subtree_rows: Sequence[tuple[int, int, int, bytes]],
    size: int,
) -> None:
    _sqlite_insert(connection, "ledger_entries (log_id, idx, data, leaf_hash)", entry_rows)
    if subtree_rows:
        _sqlite_insert(connection, "ledger_subtrees (log_id, level, idx, hash)", subtree_rows)
    connection.exec_driver_sql("UPDATE ledger_logs SET size = ? WHERE id = ?", (size, log_id))


#: PostgreSQL, one round trip: lock the log row and read its right edge. The edge of a tree of n leaves is, for each
#: bit b set in n, the complete subtree at level b with index (n >> b) - 1 (a leaf when b = 0): computed in SQL from
#: the locked size, each then a primary-key lookup. A constant text, so the driver prepares it once per connection.
_PG_EDGE = (
    "WITH l AS (SELECT size FROM ledger_logs WHERE id = %(log)s FOR UPDATE),"
    " b AS (SELECT g AS level, ((SELECT size FROM l) >> g) - 1 AS idx FROM generate_series(0, 31) AS g"
    " WHERE (((SELECT size FROM l) >> g) & 1) = 1)"
    " SELECT l.size, b.level, b.idx, COALESCE(s.hash, e.leaf_hash) FROM l LEFT JOIN b ON true"
    " LEFT JOIN ledger_subtrees AS s ON b.level > 0 AND s.log_id = %(log)s AND s.level = b.level AND s.idx = b.idx"
    " LEFT JOIN ledger_entries AS e ON b.level = 0 AND e.log_id = %(log)s AND e.idx = b.idx"
)

#: PostgreSQL, one round trip: the entries, the subtrees they complete and the new size (each column an array).
_PG_WRITE = (
    "WITH e AS (INSERT INTO ledger_entries (log_id, idx, data, leaf_hash) SELECT * FROM unnest("
    "CAST(%s AS integer[]), CAST(%s AS integer[]), CAST(%s AS bytea[]), CAST(%s AS bytea[]))),"
    " t AS (INSERT INTO ledger_subtrees (log_id, level, idx, hash) SELECT * FROM unnest("
    "CAST(%s AS integer[]), CAST(%s AS integer[]), CAST(%s AS integer[]), CAST(%s AS bytea[])))"
    " UPDATE ledger_logs SET size = %s WHERE id = %s"
)


def _pg_locked_frontier(connection: Connection, log_id: int) -> Frontier:
    rows = connection.exec_driver_sql(_PG_EDGE, {"log": log_id}).all()
    if not rows:
        raise NotFoundError(f"no log {log_id}")
    size = int(rows[0][0])
    found = {(int(level), int(index)): value for _, level, index, value in rows if level is not None}
    wanted = frontier_positions(size)
    missing = [p for p in wanted if found.get(p) is None]
    if missing:
        raise StoreError(f"log {log_id}: the stored tree is incomplete at size {size} (missing {missing[:3]})")
    return Frontier(size, [bytes(found[p]) for p in wanted])


def _columns(rows: Sequence[tuple[object, ...]], width: int) -> list[list[object]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _pg_write(
    connection: Connection,
    log_id: int,
    entry_rows: Sequence[tuple[int, int, bytes, bytes]],
    subtree_rows: Sequence[tuple[int, int, int, bytes]],
    size: int,
) -> None:
    params = (*_columns(entry_rows, 4), *_columns(subtree_rows, 4), size, log_id)
    connection.exec_driver_sql(_PG_WRITE, params)


def _sqlite_insert(connection: Connection, into: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert *rows* (one execute for one row, executemany for several)."""
    marks = ", ".join("?" for _ in rows[0])
    values: Any = rows[0] if len(rows) == 1 else list(rows)  # one row as one execute, several as executemany
    connection.exec_driver_sql(f"INSERT INTO {into} VALUES ({marks})", values)


def log_tree(session: Session, log: LedgerLog) -> PlannedTree:
    """The stored tree at the log's size: each root or proof is one statement (nothing is read on opening)."""
    return PlannedTree(SqlNodeReader(session, log.id), log.size, name=f"log {log.origin}")
