"""The durable state of a stand-alone witness (``detente witness serve``): the logs it witnesses and the last tree
head it cosigned for each, in one small SQLite file.

Every change is committed before the witness answers, and ``compare_and_set`` runs under SQLite's write lock
(``BEGIN IMMEDIATE``), so two requests cannot both move a head and a restart never forgets a head (no rollback is
ever accepted after a restart).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from detente.errors import InputError, StoreError
from detente.verification.ledger import PublicKey, parse_vkey
from detente.verification.ledger.witness import TreeHead

__all__ = ["STATE_FILE", "SqliteWitnessStore", "state_path"]

#: the file name used when the state is given as a directory
STATE_FILE = "witness.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS witnessed_logs (origin TEXT PRIMARY KEY, vkey TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS witness_heads (
    origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL
);
"""


def state_path(state: Path) -> Path:
    """The SQLite file of a ``--state`` given as a directory (created) or as the file itself."""
    if state.suffix in (".sqlite", ".sqlite3", ".db"):
        state.parent.mkdir(parents=True, exist_ok=True)
        return state
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the state directory ({exc.strerror or exc})", path=state) from exc
    return state / STATE_FILE


class SqliteWitnessStore:
    """Logs and heads of one witness in a SQLite file; a :class:`~detente.verification.ledger.WitnessState`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with self._connection() as conn:
                conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the witness state {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    # --- the logs witnessed ----------------------------------------------------------------------------------------

    def add_log(self, vkey: str) -> PublicKey:
        """Witness the log with verifier key *vkey* (its name is its origin); a different key for a known origin is
        refused (remove nothing silently: a log's key does not change)."""
        key = parse_vkey(vkey)
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT vkey FROM witnessed_logs WHERE origin = ?", (key.name,)).fetchone()
            if row is not None and row[0] != key.vkey:
                conn.execute("ROLLBACK")
                raise InputError(f"this witness already knows {key.name} with another key ({row[0]})", field="vkey")
            conn.execute("INSERT OR IGNORE INTO witnessed_logs (origin, vkey) VALUES (?, ?)", (key.name, key.vkey))
            conn.execute("COMMIT")
        finally:
            conn.close()
        return key

    def logs(self) -> dict[str, PublicKey]:
        with self._connection() as conn:
            rows = conn.execute("SELECT origin, vkey FROM witnessed_logs ORDER BY origin").fetchall()
        return {str(origin): parse_vkey(str(vkey)) for origin, vkey in rows}

    # --- the WitnessState protocol ---------------------------------------------------------------------------------

    def get(self, origin: str) -> TreeHead | None:
        with self._connection() as conn:
            row = conn.execute("SELECT size, root FROM witness_heads WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else TreeHead(int(row[0]), bytes(row[1]))

    def compare_and_set(self, origin: str, old: TreeHead | None, new: TreeHead) -> bool:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT size, root FROM witness_heads WHERE origin = ?", (origin,)).fetchone()
            current = None if row is None else TreeHead(int(row[0]), bytes(row[1]))
            if current != old:
                conn.execute("ROLLBACK")
                return False
            conn.execute(
                "INSERT INTO witness_heads (origin, size, root) VALUES (?, ?, ?) "
                "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root",
                (origin, new.size, new.root),
            )
            conn.execute("COMMIT")
            return True
        finally:
            conn.close()

    def _connection(self) -> _Closing:
        return _Closing(self._connect())


class _Closing:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
