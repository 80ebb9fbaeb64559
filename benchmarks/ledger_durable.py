"""Durable log benchmark: appends per second on logs that already hold 10^5, 10^6 and 10^7 entries, on SQLite and
PostgreSQL — one entry per transaction (target >= 500/s) and in batches (target >= 10,000/s) — against the floor of
a one-row write transaction measured on the same database in the same run.

    .venv/bin/python benchmarks/ledger_durable.py [--sizes 100000,1000000,10000000] [--backend both] \
        [--appends 2000] [--batched 50000 --batch 1000] [--every 1000] [--keep]

Each transaction locks the log, reads its right edge (one statement), inserts the entry rows and the subtrees they
complete and moves the size; a checkpoint is signed (Ed25519, key opened from the sealed store) in its own
transaction every ``every`` appends. SQLite runs as the application configures it: WAL, synchronous=FULL (durable
against power loss). PostgreSQL runs with its default synchronous_commit=on (fsync per commit). The stores are
built in bulk first (see _ledger_store.py); ``--keep`` keeps them for the next run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from _ledger_store import PG_SERVER, VAULT, Store, close_store, entry, grow, open_store
from detente.db.ledger import sign_log_checkpoint
from detente.db.ledger_tree import append_entries, log_tree
from detente.db.verification_models import LedgerLog

SINGLE_TARGET = 500.0
BATCH_TARGET = 10_000.0


def _rate(store: Store, n: int, batch: int, every: int) -> float:
    """Entries per second appended *batch* at a time, a checkpoint signed every *every* entries."""
    db, log_id = store.db, store.log_id
    done, next_cp = 0, every
    start = time.perf_counter()
    while done < n:
        k = min(batch, n - done)
        first = store.size + done
        with db.transaction(write=True) as s:
            append_entries(s, log_id, [entry(first + i) for i in range(k)])
        done += k
        if done >= next_cp:
            with db.transaction(write=True) as s:
                sign_log_checkpoint(s, log_id, VAULT, clock=db.clock)
            next_cp += every
    store.size += n
    return n / (time.perf_counter() - start)


def _floor(store: Store, n: int) -> float:
    """One-row write transactions per second: the commit cost no append can avoid."""
    start = time.perf_counter()
    for _ in range(n):
        with store.db.transaction(write=True) as s:
            s.execute(text("UPDATE ledger_logs SET quorum = quorum WHERE id = :i"), {"i": store.log_id})
    return n / (time.perf_counter() - start)


def _check(store: Store) -> None:
    with store.db.transaction() as s:
        log = s.get(LedgerLog, store.log_id)
        assert log is not None and log.size == store.size
        tree = log_tree(s, log)
        tree.consistency_proof(store.size // 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="log sizes, comma-separated")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=PG_SERVER)
    parser.add_argument("--appends", type=int, default=2000, help="single-entry transactions timed")
    parser.add_argument("--batched", type=int, default=50_000, help="entries appended in batches")
    parser.add_argument("--batch", type=int, default=1000, help="entries per batched transaction")
    parser.add_argument("--every", type=int, default=1000, help="sign a checkpoint every K appends")
    parser.add_argument("--keep", action="store_true", help="keep built stores and reuse them")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if int(x) > 0]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows: list[tuple[str, int, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for n in sizes:
                store = open_store(backend, n, Path(tmp), keep=args.keep, pg_server=args.postgres)
                try:
                    held = store.size
                    floor = _floor(store, min(args.appends, 1000))
                    single = _rate(store, args.appends, 1, args.every)
                    batched = _rate(store, args.batched, args.batch, args.every)
                    _check(store)
                finally:
                    close_store(store, args.postgres)
                rows += [(backend, n, "single appends/s", single), (backend, n, "batched appends/s", batched)]
                print(
                    f"{backend:10s} log of {held:>10,}: single {single:8,.0f} appends/s "
                    f"(x{single / SINGLE_TARGET:.2f} of the {SINGLE_TARGET:,.0f}/s target, x{single / floor:.2f} of "
                    f"the one-row commit floor {floor:,.0f}/s); batches of {args.batch}: {batched:9,.0f} appends/s "
                    f"(x{batched / BATCH_TARGET:.2f} of the {BATCH_TARGET:,.0f}/s target)",
                    flush=True,
                )
    for line in grow(rows, "higher"):
        print(line)


if __name__ == "__main__":
    main()
