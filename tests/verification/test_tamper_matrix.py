"""The tamper matrix, on SQLite and PostgreSQL with the default witness policy (a witness per party and the observer
mission, quorum two of three, over real HTTP): each way an operator can rewrite the stored log is detected by
`detente ledger verify` (non-zero exit, naming what is wrong), and — where a case changes what pages show — by the
page check (every record's row against its log entry; `detente ledger audit`). A record's SQL row changed with the
log untouched is the page check's alone: the log still verifies. The test prints the matrix.

Each case: a process with three cosigned writes, exported for the mediator and verified once (keys pinned, head
remembered), then tampered in SQL, exported again and verified again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from witness_helpers import export_for, new_process, running_witnesses, verify

from detente.config import Settings
from detente.db.ledger import get_log, sign_log_checkpoint
from detente.db.verification_models import (
    CommitmentRow,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerLog,
    LedgerSubtree,
)
from detente.services import record_checks
from detente.services.caller import operator
from detente.services.context import AppContext, open_context
from detente.services.witnesses import cosign
from detente.verification.ledger import decode_entry, generate_key, leaf_hash
from detente.verification.ledger.frontier import Frontier
from support import FakeClock


def _commitment_at(s: Any, log_id: int, nth: int) -> int:
    """The log index of the process's *nth* commitment (witness namings are entries too)."""
    kinds = [
        decode_entry(bytes(data)).kind
        for data in s.scalars(select(LedgerEntry.data).where(LedgerEntry.log_id == log_id).order_by(LedgerEntry.idx))
    ]
    return [i for i, kind in enumerate(kinds) if kind == "commitment"][nth]


def _entry(s: Any, log_id: int, idx: int) -> LedgerEntry:
    return s.scalars(select(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == idx)).one()


def _drop_cache_and_checkpoints(s: Any, log_id: int, above: int = -1) -> None:
    """Remove checkpoints (and their cosignatures) above a size, and rebuild the subtree cache from the entries as
    they now are — a careful intruder leaves a store the server itself finds consistent."""
    s.execute(delete(LedgerCosignature).where(LedgerCosignature.log_id == log_id, LedgerCosignature.size > above))
    s.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log_id, LedgerCheckpoint.size > above))
    s.execute(text("DELETE FROM ledger_subtrees WHERE log_id = :l"), {"l": log_id})
    leaves = s.scalars(select(LedgerEntry.leaf_hash).where(LedgerEntry.log_id == log_id).order_by(LedgerEntry.idx))
    frontier = Frontier()
    rows = [
        {"log_id": log_id, "level": node.level, "idx": node.index, "hash": node.hash}
        for leaf in leaves
        for node in frontier.append(bytes(leaf))
    ]
    if rows:
        s.execute(insert(LedgerSubtree), rows)


def byte_flip(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        row = _entry(s, log_id, _commitment_at(s, log_id, 1))
        data = bytearray(row.data)
        data[data.index(b"Crossing")] ^= 0x01
        row.data = bytes(data)


def edited_row(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        row = _entry(s, log_id, _commitment_at(s, log_id, 1))
        row.data = bytes(row.data).replace(b"daily", b"weekly")
        row.leaf_hash = leaf_hash(row.data)  # consistent with itself: only the signed roots can tell


def deleted_entry(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        second = _commitment_at(s, log_id, 1)
        s.execute(delete(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == second))


def reordered(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        a, b = _entry(s, log_id, _commitment_at(s, log_id, 0)), _entry(s, log_id, _commitment_at(s, log_id, 1))
        (a.data, a.leaf_hash), (b.data, b.leaf_hash) = (
            (bytes(b.data), bytes(b.leaf_hash)),
            (bytes(a.data), bytes(a.leaf_hash)),
        )


def removed_checkpoints(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        _drop_cache_and_checkpoints(s, log_id)


def rolled_back(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        last = _commitment_at(s, log_id, 2)  # the log cut back to before the last commitment
        s.execute(delete(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx >= last))
        _drop_cache_and_checkpoints(s, log_id, above=last)
        s.execute(update(LedgerLog).where(LedgerLog.id == log_id).values(size=last))


def forked(app: AppContext, pid: int, log_id: int) -> None:
    """Another history of the same size, signed with the log's own key and offered to the witnesses (who refuse)."""
    with app.db.transaction(write=True) as s:
        last = _commitment_at(s, log_id, 2)
        row = _entry(s, log_id, last)
        row.data = bytes(row.data).replace(b"daily", b"never")
        row.leaf_hash = leaf_hash(row.data)
        _drop_cache_and_checkpoints(s, log_id, above=last)
        sign_log_checkpoint(s, log_id, app.vault(), clock=app.clock)
    assert not cosign(app, operator(), pid).cosigned  # every witness refuses the fork


def edited_record_row(app: AppContext, pid: int, log_id: int) -> None:
    """The SQL row of a record — what pages and the API read — changed; the log itself untouched."""
    with app.db.transaction(write=True) as s:
        row = s.scalars(select(CommitmentRow).where(CommitmentRow.process_id == pid).order_by(CommitmentRow.id)).first()
        assert row is not None
        row.body = {**row.body, "text": "The crossing opens once a year."}


def replaced_key(app: AppContext, pid: int, log_id: int) -> None:
    with app.db.transaction(write=True) as s:
        log = get_log(s, pid)
        key = generate_key(log.origin)
        log.vkey, log.sealed_key = key.public.vkey, app.vault().seal(key, f"process:{pid}")
        _drop_cache_and_checkpoints(s, log_id)
        sign_log_checkpoint(s, log_id, app.vault(), clock=app.clock)


#: case → (tamper, what `ledger verify` must name — None: the log is untouched —, whether the page check applies)
CASES: dict[str, tuple[Callable[[AppContext, int, int], None], str | None, bool]] = {
    "byte flip in an entry": (byte_flip, "checkpoint_root_mismatch", True),
    "edited entry row": (edited_row, "checkpoint_root_mismatch", True),
    "deleted entry": (deleted_entry, "checkpoint_beyond_entries", True),
    "reordered entries": (reordered, "checkpoint_root_mismatch", True),
    "removed checkpoints": (removed_checkpoints, "not covered by a checkpoint", False),
    "rolled-back log": (rolled_back, "rolled back", True),
    "forked log shown to a second party": (forked, "has 0 of the 2 witness cosignatures", True),
    "replaced log key": (replaced_key, "key_changed", False),
    "edited record row (SQL)": (edited_record_row, None, True),
}


def test_tamper_matrix(database_url: str, workspace: Path) -> None:
    backend = database_url.split(":")[0].split("+")[0]
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock())
    rows: list[str] = []
    try:
        with running_witnesses(workspace / "witnesses", 3) as witnesses:
            for number, (case, (tamper, expected, page_applies)) in enumerate(CASES.items()):
                pid = new_process(app, witnesses)
                with app.db.transaction() as s:
                    log_id = get_log(s, pid).id
                party = workspace / f"known-{number}"  # the party that verified before the tampering
                code, out = verify(export_for(app, pid, workspace / f"before-{number}"), party)
                assert code == 0, (case, out)
                tamper(app, pid, log_id)
                # the page check: every record's row against its entry, and the stored tree recomputed
                audited = record_checks.audit_process(app, pid)
                page = "DETECTED" if not audited.ok else "-"
                assert page_applies == (not audited.ok), (case, audited)
                # a second party that never saw this log before, and the first one with its memory
                second = workspace / f"known-second-{number}"
                after = export_for(app, pid, workspace / f"after-{number}")
                results = [verify(after, second), verify(after, party)]
                messages = " | ".join(out for code, out in results if code != 0)
                if expected is None:  # the log is intact: both parties verify it; the row is the page check's
                    assert all(code == 0 for code, _ in results), (case, results)
                    found = [r.message for r in audited.records]
                    rows.append(f"{case:36} × {backend:10} → verify: log intact (VERIFIED) · page check: {page} "
                                f"{found[0] if found else ''}")  # fmt: skip
                    continue
                detected = all(code != 0 for code, _ in results) or (
                    case == "rolled-back log" and results[1][0] != 0  # a new party cannot know what was there
                )
                rows.append(
                    f"{case:36} × {backend:10} → verify: {'DETECTED' if detected else 'MISSED':8} · page check: "
                    f"{page:8} {_gist(messages, expected)}"
                )
                assert detected, (case, results)
                assert expected in messages, (case, expected, messages)
    finally:
        app.close()
    print(f"\ntamper matrix ({backend}):\n" + "\n".join(rows))


def _gist(output: str, expected: str) -> str:
    """The words around what the case must name."""
    at = output.find(expected)
    return output[max(0, at - 40) : at + 110] if at >= 0 else output[:150]
