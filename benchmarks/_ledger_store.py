"""Large durable logs for the ledger benchmarks, built in bulk: leaves and complete subtrees computed in Python,
written with executemany (SQLite) or binary COPY (PostgreSQL) in one transaction. 10^7 entries take a few minutes.

With ``keep=True`` a built store is kept (SQLite: a file under the system temp dir; PostgreSQL: a database named by
size) and reused by the next run while its log still holds at least the asked size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from detente.clock import system_clock
from detente.db import Database, migrate, open_database
from detente.db.ledger import create_log
from detente.db.processes import create_process
from detente.db.sealed import process_domain
from detente.sealing.envelope import DataKey, seal_bytes
from detente.sealing.master import ENV_KEY, ENV_KEY_FILE, write_key_file
from detente.verification.keys import KeyVault
from detente.verification.ledger import Entry, encode_entry

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
VAULT = KeyVault(bytes(range(32)))
#: the master key of the benchmark stores (kept ones are reused across runs, so it is kept beside them)
_MASTER = Path(tempfile.gettempdir()) / "detente-ledger-bench" / "master.key"
if not (os.environ.get(ENV_KEY) or os.environ.get(ENV_KEY_FILE)):
    if not _MASTER.exists():
        write_key_file(_MASTER, os.urandom(32))
    os.environ[ENV_KEY_FILE] = str(_MASTER)
#: leaves per chunk (aligned, so every subtree up to this level is complete inside one chunk)
CHUNK_LEVEL = 16
_TEMPLATE = b'{"body":{"id":%d,"narrative":"crossing open, no incident observed"},"kind":"report","v":1}'


def entry(i: int) -> Entry:
    return Entry("report", {"id": i, "narrative": "crossing open, no incident observed"})


@dataclass
class Store:
    backend: str
    url: str
    db: Database
    log_id: int
    size: int
    build_s: float
    pg_name: str | None = None
    kept: bool = False


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _chunk(first: int, count: int) -> tuple[list[tuple[int, bytes, bytes]], list[tuple[int, int, bytes]], bytes | None]:
    """Entries and complete subtrees of leaves ``[first, first + count)`` (*first* aligned to the chunk size)."""
    entries = []
    nodes = []
    for i in range(first, first + count):
        data = _TEMPLATE % i
        nodes.append(_sha(b"\x00" + data))
        entries.append((i, data, nodes[-1]))
    subtrees: list[tuple[int, int, bytes]] = []
    level, base = 0, first
    while len(nodes) > 1:
        level, base = level + 1, base >> 1
        nodes = [_sha(b"\x01" + nodes[j] + nodes[j + 1]) for j in range(0, len(nodes) - 1, 2)]
        subtrees += [(level, base + j, h) for j, h in enumerate(nodes)]
    top = nodes[0] if count == 1 << CHUNK_LEVEL else None
    return entries, subtrees, top


def _upper(roots: list[bytes]) -> list[tuple[int, int, bytes]]:
    """Complete subtrees above the chunk level from the chunk roots."""
    out: list[tuple[int, int, bytes]] = []
    level, nodes = CHUNK_LEVEL, roots
    while len(nodes) > 1:
        level += 1
        nodes = [_sha(b"\x01" + nodes[j] + nodes[j + 1]) for j in range(0, len(nodes) - 1, 2)]
        out += [(level, j, h) for j, h in enumerate(nodes)]
    return out


def _chunks(n: int) -> Iterator[tuple[list[tuple[int, bytes, bytes]], list[tuple[int, int, bytes]]]]:
    roots: list[bytes] = []
    step = 1 << CHUNK_LEVEL
    for first in range(0, n, step):
        entries, subtrees, top = _chunk(first, min(step, n - first))
        if top is not None:
            roots.append(top)
        yield entries, subtrees
    yield [], _upper(roots)


def _entry_key(db: Database, log_id: int) -> DataKey:
    """The data key the stored entries are sealed with, as appends seal them (ADR 0024)."""
    assert db.keyring is not None
    with db.engine.begin() as conn:
        pid = conn.execute(text("SELECT process_id FROM ledger_logs WHERE id = :i"), {"i": log_id}).scalar_one()
        return db.keyring.current(conn, process_domain(pid))


def _sealed(key: DataKey, log_id: int, rows: list[tuple[int, bytes, bytes]]) -> list[tuple[int, int, bytes, bytes]]:
    return [(log_id, idx, seal_bytes(key, "ledger_entries.data", data), digest) for idx, data, digest in rows]


def _fill_sqlite(db: Database, log_id: int, n: int) -> None:
    key = _entry_key(db, log_id)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("BEGIN")
        for entries, subtrees in _chunks(n):
            cursor.executemany(
                "INSERT INTO ledger_entries (log_id, idx, data, leaf_hash) VALUES (?, ?, ?, ?)",
                _sealed(key, log_id, entries),
            )
            cursor.executemany(
                "INSERT INTO ledger_subtrees (log_id, level, idx, hash) VALUES (?, ?, ?, ?)",
                [(log_id, *row) for row in subtrees],
            )
        cursor.execute("UPDATE ledger_logs SET size = ? WHERE id = ?", (n, log_id))
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("ANALYZE")
    finally:
        raw.close()


def _fill_postgres(db: Database, log_id: int, n: int) -> None:
    key = _entry_key(db, log_id)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for entries, subtrees in _chunks(n):
            with cursor.copy("COPY ledger_entries (log_id, idx, data, leaf_hash) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "int4", "bytea", "bytea"])
                for sealed in _sealed(key, log_id, entries):
                    copy.write_row(sealed)
            with cursor.copy("COPY ledger_subtrees (log_id, level, idx, hash) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "int4", "int4", "bytea"])
                for row in subtrees:
                    copy.write_row((log_id, *row))
        cursor.execute("UPDATE ledger_logs SET size = %s WHERE id = %s", (n, log_id))
        cursor.execute("ANALYZE ledger_entries")
        cursor.execute("ANALYZE ledger_subtrees")
        raw.commit()
    finally:
        raw.close()


def _admin(sql: str, pg_server: str) -> None:
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def _pg_exists(name: str, pg_server: str) -> bool:
    admin = create_engine(pg_server)
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    admin.dispose()
    return found is not None


def _location(backend: str, n: int, keep: bool, tmp: Path, pg_server: str) -> tuple[str, str | None]:
    tag = f"{n}" if keep else f"{n}_{uuid.uuid4().hex[:6]}"
    if backend == "sqlite":
        folder = Path(tempfile.gettempdir()) / "detente-ledger-bench" if keep else tmp
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite+pysqlite:///{folder / f'ledger-{tag}.sqlite3'}", None
    name = f"detente_bench_ledger_{tag}"
    return make_url(pg_server).set(database=name).render_as_string(hide_password=False), name


def _existing(url: str, backend: str, name: str | None, n: int, pg_server: str) -> Store | None:
    if backend == "sqlite" and not Path(make_url(url).database or "").exists():
        return None
    if backend == "postgresql" and (name is None or not _pg_exists(name, pg_server)):
        return None
    db = open_database(url, clock=system_clock, upgrade=False)
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT id, size FROM ledger_logs ORDER BY id LIMIT 1")).first()
    if row is None or row[1] < n:
        db.close()
        return None
    return Store(backend, url, db, int(row[0]), int(row[1]), 0.0, name, kept=True)


def open_store(backend: str, n: int, tmp: Path, *, keep: bool = False, pg_server: str = PG_SERVER) -> Store:
    """A database whose first log holds *n* entries (at least, when a kept one is reused)."""
    url, name = _location(backend, n, keep, tmp, pg_server)
    if keep:
        found = _existing(url, backend, name, n, pg_server)
        if found is not None:
            return found
        if name:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', pg_server)
        elif Path(make_url(url).database or "").exists():
            Path(make_url(url).database or "").unlink()
    if name:
        _admin(f'CREATE DATABASE "{name}"', pg_server)
    migrate(url)
    db = open_database(url, clock=system_clock, upgrade=False)
    with db.transaction() as s:
        pid = create_process(s, f"bench {uuid.uuid4().hex[:6]}", clock=db.clock).id
        log_id = create_log(s, pid, VAULT, clock=db.clock).id
    assert encode_entry(entry(7)) == _TEMPLATE % 7
    start = time.perf_counter()
    (_fill_sqlite if backend == "sqlite" else _fill_postgres)(db, log_id, n)
    return Store(backend, url, db, log_id, n, time.perf_counter() - start, name, kept=keep)


def close_store(store: Store, pg_server: str = PG_SERVER) -> None:
    store.db.close()
    if store.pg_name and not store.kept:
        _admin(f'DROP DATABASE IF EXISTS "{store.pg_name}" WITH (FORCE)', pg_server)


def grow(rows: list[tuple[str, int, str, float]], better: str) -> list[str]:
    """Lines giving how each (backend, metric) figure changes from one size to the next.

    *rows* are ``(backend, size, metric, value)``; *better* is ``"lower"`` or ``"higher"`` (said in the line).
    """
    lines = []
    keys = sorted({(b, m) for b, _, m, _ in rows})
    for backend, metric in keys:
        series = sorted((s, v) for b, s, m, v in rows if (b, m) == (backend, metric))
        steps = [f"{a:.0e}->{b:.0e} x{vb / va:.2f}" for (a, va), (b, vb) in pairwise(series) if va]
        if steps:
            lines.append(f"growth {backend:10s} {metric:24s} ({better} is better): " + ", ".join(steps))
    return lines
