"""Transparency-log benchmark: appends/s with signed checkpoints, proof generation at scale, offline verification.

Run:  .venv/bin/python benchmarks/ledger.py [--entries 1000000] [--big 10000000] [--every 1000]
Everything is in memory except the bundle, written to a temporary directory. Figures are printed, not asserted.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=1000, help="checkpoint every K appends")
    parser.add_argument("--big", type=int, default=0, help="also build a tree of this many leaf hashes")
    args = parser.parse_args()
    log, notes, policy = bench_appends(args.entries, args.every)
    bench_proofs(log.tree, f"{args.entries:.0e}")
    bench_bundle(log, notes, policy)
    print(f"peak RSS {_rss_mb():,.0f} MB")
    if args.big:
        del log, notes
        bench_big_tree(args.big)


if __name__ == "__main__":
    main()
