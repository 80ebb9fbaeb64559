"""Shared builders for the ledger tests: deterministic keys, a small log with witnesses, a fixed clock."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    Entry,
    KeyPair,
    TransparencyLog,
    Witness,
    WitnessPolicy,
    generate_key,
)

ORIGIN = "detente.example/process/test"


def key(name: str, alg: int = 0x01) -> KeyPair:
    return generate_key(name, alg, seed=hashlib.sha256(name.encode()).digest())


class StepClock:
    """A clock that starts at a fixed UTC time and advances one second per call."""

    def __init__(self, start: datetime = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Fixture:
    log: TransparencyLog
    witnesses: list[Witness]
    policy: WitnessPolicy
    notes: list[str]


def entry(i: int) -> Entry:
    return Entry("commitment", {"id": i, "text": f"release detainees, batch {i}", "party": ["A", "B"][i % 2]})


def build(n_entries: int = 20, every: int = 5, n_witnesses: int = 3, quorum: int = 2) -> Fixture:
    """A log of *n_entries* entries with a checkpoint every *every* entries, cosigned by all witnesses."""
    log = TransparencyLog(key(ORIGIN))
    clock = StepClock()
    witnesses = [
        Witness(key(f"witness.example/w{i}", ALG_COSIGNATURE_V1), [log.public_key], clock=clock)
        for i in range(n_witnesses)
    ]
    policy = WitnessPolicy(log=log.public_key, witnesses=tuple(w.public for w in witnesses), quorum=quorum)
    notes: list[str] = []
    for i in range(n_entries):
        log.append(entry(i))
        if (i + 1) % every == 0 or i + 1 == n_entries:
            notes.append(cosign_all(log, witnesses))
    return Fixture(log, witnesses, policy, notes)


def cosign_all(log: TransparencyLog, witnesses: list[Witness]) -> str:
    from detente.verification.ledger import format_note, parse_note

    note = parse_note(log.signed_checkpoint())
    sigs = []
    for w in witnesses:
        latest = w.latest(log.origin)
        old = latest[0] if latest else 0
        proof = log.tree.consistency_proof(old) if old else []
        sigs.append(w.add_checkpoint(note, old, proof))
    return format_note(note.with_signatures(sigs))
