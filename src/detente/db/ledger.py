"""The transparency log of each process in SQL: its key and witness policy, checkpoints and cosignatures, the
bundle a party verifies offline, and the audit that recomputes the stored tree. The tree itself (appends, roots and
proofs) is :mod:`detente.db.ledger_tree`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from detente.access import Label
from detente.clock import Clock
from detente.db.ledger_tree import append_entries, lock_log, log_tree
from detente.db.ledger_witnesses import add_default_policy, add_fixed_policy, policy_of
from detente.db.models import Process
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    ConsentRow,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerLog,
    LedgerSubtree,
    LedgerWitnessHead,
    PartyKeyRow,
    ReportRow,
    ViolationRow,
    ViolationTransitionRow,
)
from detente.errors import ConflictError, NotFoundError, StoreError
from detente.verification.keys import KeyVault
from detente.verification.ledger import (
    ALG_ED25519,
    Entry,
    ForkError,
    KeyPair,
    LedgerError,
    MerkleTree,
    NoteSignature,
    RollbackError,
    Withheld,
    Witness,
    WitnessPolicy,
    decode_entry,
    export_bundle,
    generate_key,
    leaf_hash,
    open_checkpoint,
    parse_vkey,
    sign_checkpoint,
)
from detente.verification.ledger.checkpoint import Checkpoint
from detente.verification.ledger.witness import TreeHead

__all__ = [
    "LogAudit",
    "SqlWitnessState",
    "audit_log",
    "check_against",
    "cosign_latest",
    "create_log",
    "ensure_log",
    "export_log",
    "get_log",
    "latest_checkpoint",
    "log_entry",
    "log_policy",
    "logged_processes",
    "sign_log_checkpoint",
]


def _purpose(log: LedgerLog) -> str:
    return f"process:{log.process_id}"


def create_log(
    session: Session,
    process_id: int,
    vault: KeyVault,
    *,
    origin: str | None = None,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
    seed: bytes | None = None,
    clock: Clock,
) -> LedgerLog:
    """Create the process's log with a new Ed25519 key (sealed by *vault*) and its witness policy: *witnesses*
    (vkeys) with *quorum* when given, else the default — a witness slot per party and one for the observer
    mission, a majority of them required (:mod:`detente.db.ledger_witnesses`)."""
    if session.get(Process, process_id) is None:
        raise NotFoundError(f"no process {process_id}")
    if session.scalars(select(LedgerLog.id).where(LedgerLog.process_id == process_id)).first() is not None:
        raise ConflictError(f"process {process_id} has a log already")
    name = origin or f"detente/process/{process_id}"
    key = generate_key(name, ALG_ED25519, seed=seed)
    keys = tuple(parse_vkey(w) for w in witnesses)
    policy = WitnessPolicy(log=key.public, witnesses=keys, quorum=len(keys) if quorum is None else quorum)
    log = LedgerLog(
        process_id=process_id,
        origin=name,
        vkey=key.public.vkey,
        sealed_key=b"",
        witness_keys=[w.vkey for w in policy.witnesses],
        quorum=policy.quorum,
        size=0,
        created_at=clock(),
    )
    session.add(log)
    session.flush()
    log.sealed_key = vault.seal(key, _purpose(log))
    session.flush()
    if witnesses:
        add_fixed_policy(session, log, clock=clock)
    else:
        add_default_policy(session, log, clock=clock)
    return log


def logged_processes(session: Session) -> list[int]:
    """The ids of the processes that have a log."""
    return list(session.scalars(select(LedgerLog.process_id).order_by(LedgerLog.process_id)))


def get_log(session: Session, process_id: int) -> LedgerLog:
    log = session.scalars(select(LedgerLog).where(LedgerLog.process_id == process_id)).one_or_none()
    if log is None:
        raise NotFoundError(f"process {process_id} has no transparency log")
    return log


def log_policy(log: LedgerLog) -> WitnessPolicy:
    return WitnessPolicy(
        log=parse_vkey(log.vkey), witnesses=tuple(parse_vkey(w) for w in log.witness_keys), quorum=log.quorum
    )


def _log_key(log: LedgerLog, vault: KeyVault) -> KeyPair:
    key = vault.open(log.sealed_key, _purpose(log))
    if key.public.vkey != log.vkey:
        raise StoreError(f"log {log.origin}: the sealed key does not match the published key")
    return key


def sign_log_checkpoint(session: Session, log_id: int, vault: KeyVault, *, clock: Clock) -> str:
    """Sign and store a checkpoint at the log's current size (the stored one when that size is signed already)."""
    log = lock_log(session, log_id)
    stored = session.get(LedgerCheckpoint, (log_id, log.size))
    if stored is not None:
        return stored.note
    root = log_tree(session, log).root()
    note = sign_checkpoint(Checkpoint(origin=log.origin, size=log.size, root=root), _log_key(log, vault))
    session.add(LedgerCheckpoint(log_id=log_id, size=log.size, note=note, created_at=clock()))
    session.flush()
    return note


def _with_cosignatures(session: Session, log_id: int, size: int, note: str) -> str:
    lines = session.scalars(
        select(LedgerCosignature.line)
        .where(LedgerCosignature.log_id == log_id, LedgerCosignature.size == size)
        .order_by(LedgerCosignature.witness)
    ).all()
    return note + "".join(lines)


def latest_checkpoint(session: Session, log_id: int) -> str | None:
    """The newest stored checkpoint with its cosignature lines, or None."""
    row = session.scalars(
        select(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log_id).order_by(LedgerCheckpoint.size.desc())
    ).first()
    return None if row is None else _with_cosignatures(session, log_id, row.size, row.note)


def cosign_latest(session: Session, log_id: int, witness: Witness, *, clock: Clock) -> NoteSignature:
    """Present the newest checkpoint to *witness* with a consistency proof from what it last saw; store the line."""
    log = session.get(LedgerLog, log_id)
    if log is None:
        raise NotFoundError(f"no log {log_id}")
    row = session.scalars(
        select(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log_id).order_by(LedgerCheckpoint.size.desc())
    ).first()
    if row is None:
        raise NotFoundError(f"log {log.origin} has no checkpoint to cosign")
    seen = witness.latest(log.origin)
    old = seen[0] if seen else 0
    tree = log_tree(session, log)
    proof = tree.consistency_proof(old, row.size) if 0 < old <= row.size else []
    signature = witness.add_checkpoint(row.note, old, proof)
    existing = session.get(LedgerCosignature, (log_id, row.size, witness.key.name))
    if existing is None:
        session.add(
            LedgerCosignature(
                log_id=log_id, size=row.size, witness=witness.key.name, line=signature.line, created_at=clock()
            )
        )
        session.flush()
    return signature


class SqlWitnessState:
    """A witness's memory kept in SQL (the :class:`~detente.verification.ledger.WitnessState` protocol).

    Every call runs in *session*; ``compare_and_set`` is a conditional UPDATE (or an INSERT refused by the primary
    key), so two cosigning processes cannot both move the same head.
    """

    def __init__(self, session: Session, witness: str) -> None:
        self._session, self._witness = session, witness

    def get(self, origin: str) -> TreeHead | None:
        row = self._session.get(LedgerWitnessHead, (self._witness, origin), populate_existing=True)
        return None if row is None else TreeHead(row.size, bytes(row.root))

    def compare_and_set(self, origin: str, old: TreeHead | None, new: TreeHead) -> bool:
        if old is None:
            if self._session.get(LedgerWitnessHead, (self._witness, origin)) is not None:
                return False
            self._session.add(LedgerWitnessHead(witness=self._witness, origin=origin, size=new.size, root=new.root))
            self._session.flush()
            return True
        result = self._session.execute(
            update(LedgerWitnessHead)
            .where(
                LedgerWitnessHead.witness == self._witness,
                LedgerWitnessHead.origin == origin,
                LedgerWitnessHead.size == old.size,
                LedgerWitnessHead.root == old.root,
            )
            .values(size=new.size, root=new.root)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _stream_entries(session: Session, log_id: int, size: int, batch: int = 5000) -> Iterator[bytes]:
    start = 0
    while start < size:
        rows = session.scalars(
            select(LedgerEntry.data)
            .where(LedgerEntry.log_id == log_id, LedgerEntry.idx >= start, LedgerEntry.idx < min(size, start + batch))
            .order_by(LedgerEntry.idx)
        ).all()
        if not rows:
            return
        for data in rows:
            yield bytes(data)
        start += batch


def export_log(
    session: Session, process_id: int, path: str | Path, *, readable_labels: Collection[str] | None = None
) -> Path:
    """Write the process's log as a self-contained bundle (``docs/ledger.md``) at *path*.

    With *readable_labels* (``detente.access.readable_label_texts`` of the recipient), every entry whose record
    the recipient may not read is withheld: the bundle holds only its leaf hash, so the recipient can still verify
    the whole tree and every checkpoint, but learns nothing of the record. Without it the bundle holds every entry
    (the operator's own backup).
    """
    log = get_log(session, process_id)
    rows = session.scalars(
        select(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log.id).order_by(LedgerCheckpoint.size)
    ).all()
    notes = [_with_cosignatures(session, log.id, row.size, row.note) for row in rows]
    stored = _stream_entries(session, log.id, log.size)
    entries: Iterable[bytes | Withheld] = stored
    if readable_labels is not None:
        entries = _withhold_unreadable(stored, _entry_labels(session, process_id), frozenset(readable_labels))
    return export_bundle(
        path,
        entries=entries,
        checkpoints=notes,
        policy=log_policy(log),
        witness_policy=policy_of(session, log).to_json(),
    )


def _entry_labels(session: Session, process_id: int) -> dict[int, str]:
    """The visibility label of the record behind each log index of the process."""
    labels: dict[int, str] = {}
    for model in (CommitmentRow, ReportRow, AssessmentRow):
        for index, label in session.execute(
            select(model.log_index, model.label).where(model.process_id == process_id)
        ).all():
            labels[int(index)] = str(label)
    for index, label in session.execute(
        select(ViolationTransitionRow.log_index, ViolationRow.label)
        .join(ViolationRow, ViolationTransitionRow.violation_id == ViolationRow.id)
        .where(ViolationRow.process_id == process_id)
    ).all():
        labels[int(index)] = str(label)
    for index, label in session.execute(
        select(ConsentRow.log_index, CommitmentRow.label)
        .join(CommitmentRow, ConsentRow.commitment_id == CommitmentRow.id)
        .where(ConsentRow.process_id == process_id)
    ).all():
        labels[int(index)] = str(label)  # a party's decision is read by whoever reads the proposal
    shared = str(Label.all_parties())
    for index in session.scalars(select(PartyKeyRow.log_index).where(PartyKeyRow.process_id == process_id)):
        labels[int(index)] = shared  # which keys speak for which party: every party checks it
    return labels


#: entries every party reads whatever else they may: the agreed violation procedure binds every party of the process;
#: a party's key being revoked concerns all of them
#: entries every member may read: the procedure, key revocations, who named which witness
_SHARED_KINDS = frozenset({"violation.procedure", "party_key.revoked", "witness", "witness.removed"})


def _withhold_unreadable(
    entries: Iterable[bytes], labels: Mapping[int, str], readable: frozenset[str]
) -> Iterator[bytes | Withheld]:
    for index, data in enumerate(entries):
        label = labels.get(index)
        if label is None and decode_entry(data).kind in _SHARED_KINDS:
            label = str(Label.all_parties())
        if label is not None and label in readable:
            yield data
        else:  # unreadable, or of unknown provenance: withhold rather than risk a leak
            yield Withheld(leaf_hash(data))


@dataclass(frozen=True)
class LogAudit:
    """What :func:`audit_log` found: an empty ``problems`` list means the stored log is intact."""

    size: int
    root: bytes
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _recompute(session: Session, log: LedgerLog) -> tuple[MerkleTree, list[str]]:
    tree = MerkleTree()
    problems: list[str] = []
    expected = 0
    for idx, data, stored_hash in session.execute(
        select(LedgerEntry.idx, LedgerEntry.data, LedgerEntry.leaf_hash)
        .where(LedgerEntry.log_id == log.id)
        .order_by(LedgerEntry.idx)
        .execution_options(yield_per=5000)
    ):
        if idx != expected:
            problems.append(f"entries {expected}..{idx - 1} are missing")
            expected = idx
        digest = leaf_hash(bytes(data))
        if digest != bytes(stored_hash):
            problems.append(f"entry {idx}: its bytes do not hash to the stored leaf hash")
        tree.append(digest)
        expected += 1
    if tree.size != log.size:
        problems.append(f"the log says {log.size} entries, {tree.size} are stored")
    return tree, problems


def audit_log(session: Session, process_id: int) -> LogAudit:
    """Recompute the tree from the stored entry bytes and compare with the subtree cache and the checkpoints."""
    log = get_log(session, process_id)
    tree, problems = _recompute(session, log)
    for level, index, value in session.execute(
        select(LedgerSubtree.level, LedgerSubtree.idx, LedgerSubtree.hash).where(LedgerSubtree.log_id == log.id)
    ):
        if (index + 1) << level > tree.size:
            problems.append(f"subtree ({level}, {index}) lies beyond the stored entries")
        elif tree.subtree_hash(level, index) != bytes(value):
            problems.append(f"subtree ({level}, {index}) does not match the stored entries")
    key = parse_vkey(log.vkey)
    for row in session.scalars(select(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log.id)):
        try:
            checkpoint, _ = open_checkpoint(row.note, key)
        except LedgerError as exc:
            problems.append(f"checkpoint {row.size}: {exc}")
            continue
        if checkpoint.size > tree.size:
            problems.append(f"checkpoint {row.size} is beyond the {tree.size} stored entries (rollback)")
        elif tree.root(checkpoint.size) != checkpoint.root:
            problems.append(f"checkpoint {row.size}: root differs from the stored entries")
    return LogAudit(size=tree.size, root=tree.root(), problems=tuple(problems))


def check_against(session: Session, process_id: int, known_note: str) -> None:
    """Check that the stored log extends a checkpoint seen before (signed by this log's key).

    The tree is recomputed from the stored entries, not read from the cache. :class:`RollbackError` when the log is
    now shorter, :class:`ForkError` when its first *size* entries are not those that were signed.
    """
    log = get_log(session, process_id)
    known, _ = open_checkpoint(known_note, parse_vkey(log.vkey))
    tree, _ = _recompute(session, log)
    if known.size > tree.size:
        raise RollbackError(f"log {log.origin} holds {tree.size} entries; a checkpoint of size {known.size} was seen")
    if known.size and tree.root(known.size) != known.root:
        raise ForkError(f"log {log.origin}: the first {known.size} stored entries differ from the checkpoint seen")


def ensure_log(session: Session, process_id: int, vault: KeyVault, *, clock: Clock) -> LedgerLog:
    """The process's log, created (with a new key and the default witness policy) the first time."""
    log = session.scalars(select(LedgerLog).where(LedgerLog.process_id == process_id)).one_or_none()
    return log if log is not None else create_log(session, process_id, vault, clock=clock)


def log_entry(session: Session, process_id: int, kind: str, body: dict[str, Any]) -> int:
    log = get_log(session, process_id)
    return append_entries(session, log.id, [Entry(kind, body)])[0]
