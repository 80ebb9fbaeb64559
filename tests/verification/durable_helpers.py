"""Builders shared by the durable-log tests."""

from __future__ import annotations

from detente.db import Database
from detente.db.ledger import create_log
from detente.db.processes import create_process
from detente.verification.ledger import Entry

WITNESS_NAMES = ("witness.example/party-a", "witness.example/observer")


def entry(i: int) -> Entry:
    return Entry("commitment", {"id": i, "text": f"open crossing {i}", "party": ["A", "B"][i % 2]})


def new_process_log(db: Database, vault: object, *, witnesses: tuple[str, ...] = (), quorum: int | None = None) -> int:
    """A process with a log; returns the process id."""
    from detente.verification.keys import KeyVault

    assert isinstance(vault, KeyVault)
    with db.transaction() as s:
        process = create_process(s, "Test process", clock=db.clock)
        create_log(s, process.id, vault, witnesses=witnesses, quorum=quorum, seed=bytes(32), clock=db.clock)
        return process.id
