"""Transparency-log benchmark: proof latency from the durable SQL store at 10^5, 10^6 and 10^7 entries on SQLite and
PostgreSQL (target: median <= 1 ms), against the floor of one primary-key SELECT measured in the same run; optionally
the in-memory log (appends with signed checkpoints, proofs, bundle export and offline verification).

Run:  .venv/bin/python benchmarks/ledger.py [--sizes 100000,1000000,10000000] [--backend both] [--keep]
      .venv/bin/python benchmarks/ledger.py --sizes 0 --memory 1000000 [--big 10000000]
Stores are built in bulk (see _ledger_store.py); ``--keep`` keeps them for the next run. Figures are printed, not
asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from _ledger_store import PG_SERVER, Store, close_store, grow, open_store
from detente.db.ledger import get_log
from detente.db.ledger_tree import log_tree
from detente.db.verification_models import LedgerLog
from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    Entry,
    MerkleTree,
    TransparencyLog,
    Witness,
    WitnessPolicy,
    export_bundle,
    format_note,
    generate_key,
    parse_note,
    verify_bundle,
    verify_consistency,
    verify_inclusion,
)


def _key(name: str, alg: int = 0x01):  # type: ignore[no-untyped-def]
    return generate_key(name, alg, seed=hashlib.sha256(name.encode()).digest())


def _entry(i: int) -> Entry:
    return Entry(
        "report",
        {"id": i, "author": f"observer-{i % 17}", "narrative": "crossing open, no incident observed", "zone": i % 9},
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timeit(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_appends(n: int, every: int) -> tuple[TransparencyLog, list[str], WitnessPolicy]:
    log = TransparencyLog(_key("detente.example/bench"))
    witnesses = [Witness(_key(f"w{i}.example", ALG_COSIGNATURE_V1), [log.public_key]) for i in range(3)]
    policy = WitnessPolicy(log=log.public_key, witnesses=tuple(w.public for w in witnesses), quorum=2)
    notes: list[str] = []
    start = time.perf_counter()
    for i in range(n):
        log.append(_entry(i))
        if (i + 1) % every == 0 or i + 1 == n:
            note = parse_note(log.signed_checkpoint())
            sigs = []
            for w in witnesses:
                latest = w.latest(log.origin)
                old = latest[0] if latest else 0
                sigs.append(w.add_checkpoint(note, old, log.tree.consistency_proof(old) if old else []))
            notes.append(format_note(note.with_signatures(sigs)))
    elapsed = time.perf_counter() - start
    print(
        f"appends: {n:,} entries, signed+3-witness-cosigned checkpoint every {every}: {elapsed:.1f} s, "
        f"{n / elapsed:,.0f} appends/s (in memory, canonical encoding included)"
    )
    return log, notes, policy


def bench_proofs(tree: MerkleTree, label: str) -> None:
    rng = random.Random(6962)
    size = tree.size
    indices = [rng.randrange(size) for _ in range(200)]
    root = tree.root()
    t_root = _timeit(lambda: tree.root(size - 1), 20)
    t_inc = _timeit(lambda: [tree.inclusion_proof(i) for i in indices], 3) / len(indices)
    proofs = [tree.inclusion_proof(i) for i in indices]
    pairs = list(zip(indices, proofs, strict=True))
    t_ver = _timeit(lambda: [verify_inclusion(tree.leaf_hash(i), i, size, p, root) for i, p in pairs], 3)
    olds = [rng.randrange(1, size) for _ in range(200)]
    t_con = _timeit(lambda: [tree.consistency_proof(o) for o in olds], 3) / len(olds)
    cons = [tree.consistency_proof(o) for o in olds]
    for o, p in zip(olds[:20], cons[:20], strict=True):
        verify_consistency(o, size, p, tree.root(o), root)
    inc_len = statistics.mean(len(p) for p in proofs)
    con_len = statistics.mean(len(p) for p in cons)
    print(
        f"proofs at {label} ({size:,} leaves): root of size n-1 {t_root * 1e3:.2f} ms; inclusion proof "
        f"{t_inc * 1e3:.3f} ms, {inc_len:.1f} hashes = {inc_len * 32:.0f} B; "
        f"verify {t_ver / len(indices) * 1e3:.3f} ms; "
        f"consistency proof {t_con * 1e3:.3f} ms, {con_len:.1f} hashes = {con_len * 32:.0f} B"
    )


def bench_big_tree(n: int) -> None:
    tree = MerkleTree()
    start = time.perf_counter()
    for i in range(n):
        tree.append(hashlib.sha256(i.to_bytes(8, "big")).digest())
    elapsed = time.perf_counter() - start
    print(
        f"tree only: {n:,} leaf hashes appended in {elapsed:.1f} s ({n / elapsed:,.0f}/s), peak RSS {_rss_mb():,.0f} MB"
    )
    bench_proofs(tree, f"{n:.0e}")


def bench_bundle(log: TransparencyLog, notes: list[str], policy: WitnessPolicy) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = export_bundle(Path(tmp) / "bundle", entries=log.entries(), checkpoints=notes, policy=policy)
        t_export = time.perf_counter() - start
        size_mb = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
        start = time.perf_counter()
        report = verify_bundle(path, policy=policy)
        t_verify = time.perf_counter() - start
    print(
        f"bundle: {log.size:,} entries, {len(notes):,} checkpoints, {size_mb:,.0f} MB; export {t_export:.1f} s; "
        f"offline verify {t_verify:.1f} s (ok={report.ok})"
    )


TARGET_MS = 1.0


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def _samples(fn: Callable[[int], object], args: list[int]) -> list[float]:
    out = []
    for a in args:
        start = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - start) * 1e3)
    return out


def warm(store: Store) -> str:
    """Bring the store into memory (a server's steady state): the SQLite file read through, pg_prewarm if there."""
    if store.backend == "sqlite":
        with Path(make_url(store.url).database or "").open("rb") as f:
            while f.read(1 << 24):
                pass
        return "warm"
    try:
        with store.db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            for rel in ("ledger_entries", "ledger_subtrees", "pk_ledger_entries", "pk_ledger_subtrees"):
                conn.execute(text("SELECT pg_prewarm(:r)"), {"r": rel})
    except Exception as exc:
        return f"cold ({type(exc).__name__})"
    return "warm"


def sql_proofs(store: Store, count: int) -> dict[str, float]:
    """Median and p99 (ms) of roots, inclusion and consistency proofs at the store's size, and the floor."""
    rng = random.Random(6962)
    with store.db.transaction() as s:
        log = s.get(LedgerLog, store.log_id)
        assert log is not None
        tree = log_tree(s, get_log(s, log.process_id))
        n = tree.size
        conn = s.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        point = f"SELECT leaf_hash FROM ledger_entries WHERE log_id = {mark} AND idx = {mark}"
        indices = [rng.randrange(n) for _ in range(count)]
        olds = [rng.randrange(1, n) for _ in range(count)]
        _samples(tree.inclusion_proof, indices[:20])  # warm the caches and prepared statements
        floor = _samples(lambda i: conn.exec_driver_sql(point, (store.log_id, i)).all(), indices)
        inclusion = _samples(tree.inclusion_proof, indices)
        consistency = _samples(lambda o: tree.consistency_proof(o, n), olds)
        roots = _samples(tree.root, olds[: count // 4])
        root = tree.root()
        for i in indices[:10]:
            verify_inclusion(tree.leaf_hash(i), i, n, tree.inclusion_proof(i), root)
        for o in olds[:10]:
            verify_consistency(o, n, tree.consistency_proof(o, n), tree.root(o), root)
    return {
        "inclusion_median": statistics.median(inclusion),
        "inclusion_p99": _p99(inclusion),
        "consistency_median": statistics.median(consistency),
        "consistency_p99": _p99(consistency),
        "root_median": statistics.median(roots),
        "floor_median": statistics.median(floor),
    }


def bench_sql(sizes: list[int], backends: list[str], keep: bool, count: int, pg_server: str, cold: bool) -> None:
    rows: list[tuple[str, int, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for n in sizes:
                store = open_store(backend, n, Path(tmp), keep=keep, pg_server=pg_server)
                try:
                    built = "reused" if store.build_s == 0 else f"built in {store.build_s:.0f} s"
                    if not cold:
                        built += ", " + warm(store)
                    f = sql_proofs(store, count)
                finally:
                    close_store(store, pg_server)
                for metric in ("inclusion_median", "consistency_median"):
                    rows.append((backend, n, metric, f[metric]))
                print(
                    f"{backend:10s} {store.size:>10,} entries ({built}): "
                    f"inclusion median {f['inclusion_median']:.3f} ms p99 {f['inclusion_p99']:.3f} ms; "
                    f"consistency median {f['consistency_median']:.3f} ms p99 {f['consistency_p99']:.3f} ms; "
                    f"root median {f['root_median']:.3f} ms | target {TARGET_MS:.0f} ms: inclusion "
                    f"x{f['inclusion_median'] / TARGET_MS:.2f}, consistency x{f['consistency_median'] / TARGET_MS:.2f}"
                    f" | floor (one PK SELECT) {f['floor_median']:.3f} ms: inclusion "
                    f"x{f['inclusion_median'] / f['floor_median']:.1f}, "
                    f"consistency x{f['consistency_median'] / f['floor_median']:.1f}",
                    flush=True,
                )
    for line in grow(rows, "lower"):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="log sizes, comma-separated (0: none)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=PG_SERVER)
    parser.add_argument("--keep", action="store_true", help="keep built stores and reuse them")
    parser.add_argument("--cold", action="store_true", help="do not load the store into memory before timing")
    parser.add_argument("--proofs", type=int, default=400, help="proofs timed per kind and store")
    parser.add_argument("--memory", type=int, default=0, help="also run the in-memory log with this many entries")
    parser.add_argument("--every", type=int, default=1000, help="in-memory: checkpoint every K appends")
    parser.add_argument("--big", type=int, default=0, help="in-memory: also build a tree of this many leaf hashes")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if int(x) > 0]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if sizes:
        bench_sql(sizes, backends, args.keep, args.proofs, args.postgres, args.cold)
    if args.memory:
        log, notes, policy = bench_appends(args.memory, args.every)
        bench_proofs(log.tree, f"{args.memory:.0e}")
        bench_bundle(log, notes, policy)
        print(f"peak RSS {_rss_mb():,.0f} MB")
        del log, notes
    if args.big:
        bench_big_tree(args.big)


if __name__ == "__main__":
    main()
