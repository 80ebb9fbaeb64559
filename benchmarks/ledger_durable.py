"""Durable log benchmark: appends per second with a signed checkpoint every K appends, on SQLite and PostgreSQL;
proof generation time and size from the SQL store at a large size.

    .venv/bin/python benchmarks/ledger_durable.py --appends 20000 --batch 1 --batch 16 --every 1000 \
        --proof-entries 1000000 [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each transaction appends ``batch`` entries (entry rows, subtree rows and the new size commit together); a
checkpoint is signed (Ed25519, key opened from the sealed store) in its own transaction every ``every`` appends.
SQLite runs in WAL mode with synchronous=NORMAL (the application's setting: durable against process crashes; set
FULL for power loss). PostgreSQL runs with its default synchronous_commit=on (fsync per commit).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from detente.clock import system_clock
from detente.db import Database, migrate, open_database
from detente.db.ledger import create_log, get_log, sign_log_checkpoint
from detente.db.ledger_tree import append_entries, log_tree
from detente.db.processes import create_process
from detente.verification.keys import KeyVault
from detente.verification.ledger import Entry, verify_consistency, verify_inclusion


def _entry(i: int) -> Entry:
    return Entry("report", {"id": i, "narrative": f"crossing {i % 40} open at 08:00, {i % 300} people crossed"})


def _new_db(backend: str, pg_server: str, tmp: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite+pysqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", None
    name = f"detente_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(pg_server).set(database=name).render_as_string(hide_password=False), name


def _drop(pg_server: str, name: str | None) -> None:
    if name:
        admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _open(url: str, vault: KeyVault) -> tuple[Database, int, int]:
    migrate(url)
    db = open_database(url, clock=system_clock, upgrade=False)
    with db.transaction() as s:
        pid = create_process(s, f"bench {uuid.uuid4().hex[:6]}", clock=db.clock).id
        log_id = create_log(s, pid, vault, clock=db.clock).id
    return db, pid, log_id


def appends(url: str, vault: KeyVault, n: int, batch: int, every: int) -> tuple[float, int]:
    db, _, log_id = _open(url, vault)
    try:
        checkpoints, done, next_cp = 0, 0, every
        start = time.perf_counter()
        while done < n:
            k = min(batch, n - done)
            with db.transaction() as s:
                append_entries(s, log_id, [_entry(done + i) for i in range(k)])
            done += k
            if done >= next_cp:
                with db.transaction() as s:
                    sign_log_checkpoint(s, log_id, vault, clock=db.clock)
                checkpoints += 1
                next_cp += every
        return n / (time.perf_counter() - start), checkpoints
    finally:
        db.close()


def proofs(url: str, vault: KeyVault, n: int, samples: int = 200) -> dict[str, float]:
    db, pid, log_id = _open(url, vault)
    try:
        start = time.perf_counter()
        chunk = 20_000
        for first in range(0, n, chunk):
            with db.transaction() as s:
                append_entries(s, log_id, [_entry(first + i) for i in range(min(chunk, n - first))])
        load = time.perf_counter() - start
        with db.transaction() as s:
            log = get_log(s, pid)
            t0 = time.perf_counter()
            tree = log_tree(s, log)
            root = tree.root()
            open_root = time.perf_counter() - t0
            inc, con, inc_len, con_len = [], [], [], []
            step = max(1, n // samples)
            for index in range(0, n, step):
                t0 = time.perf_counter()
                proof = tree.inclusion_proof(index)
                inc.append(time.perf_counter() - t0)
                verify_inclusion(tree.leaf_hash(index), index, n, proof, root)
                inc_len.append(len(proof))
                old = index + 1
                t0 = time.perf_counter()
                cproof = tree.consistency_proof(old, n)
                con.append(time.perf_counter() - t0)
                if old < n:
                    verify_consistency(old, n, cproof, tree.root(old), root)
                con_len.append(len(cproof))
        return {
            "load_per_s": n / load,
            "open_and_root_ms": open_root * 1e3,
            "inclusion_ms_median": statistics.median(inc) * 1e3,
            "inclusion_ms_p99": sorted(inc)[int(len(inc) * 0.99) - 1] * 1e3,
            "inclusion_bytes_max": max(inc_len) * 32,
            "consistency_ms_median": statistics.median(con) * 1e3,
            "consistency_bytes_max": max(con_len) * 32,
        }
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=20_000)
    parser.add_argument("--batch", type=int, action="append", help="entries per transaction (repeat)")
    parser.add_argument("--every", type=int, default=1000, help="sign a checkpoint every K appends")
    parser.add_argument("--proof-entries", type=int, default=0, help="log size for the proof benchmark (0: skip)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    vault = KeyVault(bytes(range(32)))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for batch in args.batch or [1, 16]:
                url, name = _new_db(backend, args.postgres, Path(tmp))
                try:
                    rate, cps = appends(url, vault, args.appends, batch, args.every)
                finally:
                    _drop(args.postgres, name)
                print(
                    f"{backend:10s} batch {batch:4d}: {rate:8.0f} durable appends/s "
                    f"({args.appends} appends, {cps} signed checkpoints)"
                )
            if args.proof_entries:
                url, name = _new_db(backend, args.postgres, Path(tmp))
                try:
                    figures = proofs(url, vault, args.proof_entries)
                finally:
                    _drop(args.postgres, name)
                print(
                    f"{backend:10s} proofs at {args.proof_entries} entries: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
                )


if __name__ == "__main__":
    main()
