"""Witnesses over real HTTP for the tests: ``detente witness`` key and state in a temporary directory, its ASGI app
served by uvicorn in a thread on a free port (stopped and restarted on demand)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from detente.web.witness_runner import ThreadedWitness, prepare_witness
from detente.web.witness_runner import free_port as free_port  # the tests' import of it

RunningWitness = ThreadedWitness


def make_witness(root: Path, name: str) -> RunningWitness:
    folder = root / name.replace("/", "_")
    folder.mkdir(parents=True)
    return prepare_witness(folder, name)


@contextmanager
def running_witnesses(root: Path, count: int, prefix: str = "witness.test/w") -> Iterator[list[RunningWitness]]:
    witnesses = [make_witness(root, f"{prefix}{i}") for i in range(count)]
    try:
        for w in witnesses:
            w.start()
        yield witnesses
    finally:
        for w in witnesses:
            w.stop()


COMMITMENT = {
    "title": "Open crossing {n}", "text": "Crossing {n} opens daily for civilians.", "parties": ["North", "South"],
    "category": "humanitarian_access", "schedule": {"deadline": "2031-01-10"}, "methods": ["third_party_observer"],
    "verifier": "Joint monitoring team", "label": "all_parties",
}  # fmt: skip
SLOTS = ("party:{north}", "party:{south}", "observer")


def new_process(app: Any, witnesses: list[RunningWitness], *, writes: int = 3) -> int:
    """A process with two parties, a mediator, the three witnesses in its default policy's slots (each witnessing
    the log), and *writes* commitments (cosigned as each write commits)."""
    from argon2 import PasswordHasher

    from detente.access import Role
    from detente.db.ledger import get_log
    from detente.db.processes import add_party, create_process, set_membership
    from detente.db.users import AccountPolicy, create_user, get_user_by_username
    from detente.services import consent
    from detente.services.accounts import caller_by_name
    from detente.services.witness import add_log
    from detente.services.witnesses import add_witness

    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with app.db.transaction() as s:
        process = create_process(s, f"Talks {uuid.uuid4().hex[:8]}", clock=app.clock)
        north = add_party(s, process.id, "North", clock=app.clock)
        south = add_party(s, process.id, "South", clock=app.clock)
        members = {"mediator": (Role.MEDIATOR, None), "rep-north": (Role.PARTY_REPRESENTATIVE, north.id),
                   "rep-south": (Role.PARTY_REPRESENTATIVE, south.id)}  # fmt: skip
        for name, (role, party) in members.items():
            user = get_user_by_username(s, name)
            if user is None:
                user = create_user(s, name, "correct horse battery", policy=policy, clock=app.clock)
            set_membership(s, process.id, user.id, role, party_id=party, clock=app.clock)
        pid, ids = process.id, {"north": north.id, "south": south.id}
    mediator = caller_by_name(app, "mediator")
    consent.propose(app, mediator, pid, _commitment(0))  # creates the log (default policy)
    with app.db.transaction() as s:
        log = get_log(s, pid)
        origin, vkey = log.origin, log.vkey
    # each party names its own witness; the mediator names the observer mission's
    namers = (caller_by_name(app, "rep-north"), caller_by_name(app, "rep-south"), mediator)
    for w, slot, namer in zip(witnesses, SLOTS, namers, strict=False):
        add_log(w.state, origin, vkey)
        add_witness(app, namer, pid, vkey=w.vkey, url=w.url, slot=slot.format(**ids))
    for n in range(1, writes):
        consent.propose(app, mediator, pid, _commitment(n))
    return pid


def _commitment(n: int) -> dict[str, Any]:
    return {k: v.format(n=n) if isinstance(v, str) else v for k, v in COMMITMENT.items()}


def export_for(app: Any, pid: int, out: Path, reader: str = "mediator", *, checkpoint: bool = True) -> Path:
    from detente.services.caller import operator
    from detente.services.ledger import export_bundle

    return export_bundle(app, operator(), pid, out, reader=reader, checkpoint=checkpoint)


def verify(bundle: Path, known_keys: Path, *extra: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from detente.cli.ledger import app as ledger_app

    result = CliRunner().invoke(ledger_app, ["verify", str(bundle), "--known-keys", str(known_keys), *extra])
    return result.exit_code, " ".join(result.output.split())  # rich wraps lines: compare words
