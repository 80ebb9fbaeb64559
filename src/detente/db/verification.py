"""Storage of the verification capability: the durable transparency log of each process, and the services that
store a commitment, report, assessment or violation step together with its log entry in one transaction.

Log layout (tables in :mod:`detente.db.verification_models`): ``ledger_entries`` holds the canonical bytes and leaf
hash of each entry; ``ledger_subtrees`` the hash of every complete subtree, written by the append that completes
it, so roots and proofs cost O(log n) row reads and opening a log reads nothing. An append locks the log row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer), reads the right-edge frontier (at most log2 n rows),
inserts the entries and their subtrees and moves ``ledger_logs.size`` — all in the caller's transaction. An entry
is acknowledged when that transaction commits; a crash before leaves nothing of it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from detente.access import Label, narrowest
from detente.cbm.evidence import Outcome
from detente.cbm.measure import VerificationMethod
from detente.clock import Clock
from detente.db.models import Process
from detente.db.processes import get_process, list_parties
from detente.db.users import get_user
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerLog,
    LedgerSubtree,
    LedgerWitnessHead,
    ReportRow,
    UserKey,
    ViolationProcedureRow,
    ViolationRow,
    ViolationTransitionRow,
)
from detente.errors import ConflictError, DetenteError, InputError, NotFoundError, StoreError
from detente.verification.assessments import Assessment, Implementation, aggregate, latest_scores
from detente.verification.commitments import Commitment, iso
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
    encode_entry,
    export_bundle,
    generate_key,
    leaf_hash,
    open_checkpoint,
    parse_vkey,
    sign_checkpoint,
)
from detente.verification.ledger.checkpoint import Checkpoint
from detente.verification.ledger.frontier import Frontier, frontier_positions
from detente.verification.ledger.witness import TreeHead
from detente.verification.reports import Report, sign_report, verify_report_signature
from detente.verification.track_record import AssessedOutcome
from detente.verification.violations import (
    DEFAULT_PROCEDURE,
    Procedure,
    Transition,
    ViolationState,
    apply,
    overdue,
    replay,
    start,
)

__all__ = [
    "LogAudit",
    "SqlLeafStore",
    "SqlSubtreeCache",
    "SqlWitnessState",
    "agree_procedure",
    "allege_violation",
    "append_entries",
    "assessed_outcomes",
    "audit_log",
    "check_against",
    "check_report_signature",
    "cosign_latest",
    "create_commitment",
    "create_log",
    "ensure_log",
    "escalate_overdue",
    "export_log",
    "file_report",
    "get_commitment",
    "get_log",
    "has_commitments",
    "implementation",
    "latest_checkpoint",
    "list_commitments",
    "log_policy",
    "log_tree",
    "procedure_of",
    "record_assessment",
    "sign_log_checkpoint",
    "transition_violation",
    "user_key",
    "violation_state",
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
    """Create the process's log with a new Ed25519 key (sealed by *vault*); *witnesses* are witness vkeys."""
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
    return log


def get_log(session: Session, process_id: int) -> LedgerLog:
    log = session.scalars(select(LedgerLog).where(LedgerLog.process_id == process_id)).one_or_none()
    if log is None:
        raise NotFoundError(f"process {process_id} has no transparency log")
    return log


def log_policy(log: LedgerLog) -> WitnessPolicy:
    return WitnessPolicy(
        log=parse_vkey(log.vkey), witnesses=tuple(parse_vkey(w) for w in log.witness_keys), quorum=log.quorum
    )


def _lock(session: Session, log_id: int) -> LedgerLog:
    query = select(LedgerLog).where(LedgerLog.id == log_id).with_for_update().execution_options(populate_existing=True)
    log = session.scalars(query).one_or_none()
    if log is None:
        raise NotFoundError(f"no log {log_id}")
    return log


def _frontier(session: Session, log_id: int, size: int) -> Frontier:
    positions = frontier_positions(size)
    found: dict[tuple[int, int], bytes] = {}
    inner = [(level, index) for level, index in positions if level > 0]
    if inner:
        rows = session.execute(
            select(LedgerSubtree.level, LedgerSubtree.idx, LedgerSubtree.hash).where(
                LedgerSubtree.log_id == log_id,
                or_(*(and_(LedgerSubtree.level == lv, LedgerSubtree.idx == ix) for lv, ix in inner)),
            )
        )
        found.update({(lv, ix): bytes(h) for lv, ix, h in rows})
    if positions and positions[-1][0] == 0:
        last = positions[-1][1]
        value = session.scalars(
            select(LedgerEntry.leaf_hash).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == last)
        ).one_or_none()
        if value is not None:
            found[(0, last)] = bytes(value)
    missing = [p for p in positions if p not in found]
    if missing:
        raise StoreError(f"log {log_id}: stored tree is incomplete at size {size} (missing {missing[:3]})")
    return Frontier(size, [found[p] for p in positions])


def append_entries(session: Session, log_id: int, entries: Sequence[Entry | bytes]) -> list[int]:
    """Append *entries* in the caller's transaction; return their indexes (acknowledged once it commits)."""
    log = _lock(session, log_id)
    frontier = _frontier(session, log_id, log.size)
    first = log.size
    entry_rows: list[dict[str, object]] = []
    subtree_rows: list[dict[str, object]] = []
    for offset, entry in enumerate(entries):
        data = encode_entry(entry) if isinstance(entry, Entry) else bytes(entry)
        digest = leaf_hash(data)
        entry_rows.append({"log_id": log_id, "idx": first + offset, "data": data, "leaf_hash": digest})
        for node in frontier.append(digest):
            subtree_rows.append({"log_id": log_id, "level": node.level, "idx": node.index, "hash": node.hash})
    if not entry_rows:
        return []
    session.execute(insert(LedgerEntry), entry_rows)
    if subtree_rows:
        session.execute(insert(LedgerSubtree), subtree_rows)
    session.execute(update(LedgerLog).where(LedgerLog.id == log_id).values(size=frontier.size))
    log.size = frontier.size
    return list(range(first, frontier.size))


class SqlLeafStore:
    """Read-only :class:`~detente.verification.ledger.LeafHashStore` over a log's stored entries."""

    def __init__(self, session: Session, log_id: int, size: int) -> None:
        self._session, self._log_id, self._size = session, log_id, size

    def size(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> int:
        raise StoreError("append through append_entries(), not through the tree")

    def get(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        query = select(LedgerEntry.leaf_hash).where(LedgerEntry.log_id == self._log_id, LedgerEntry.idx == index)
        value = self._session.scalars(query).one_or_none()
        if value is None:
            raise StoreError(f"log {self._log_id}: entry {index} is missing")
        return bytes(value)


class SqlSubtreeCache:
    """Read-only :class:`~detente.verification.ledger.SubtreeCache` over ``ledger_subtrees``."""

    def __init__(self, session: Session, log_id: int) -> None:
        self._session, self._log_id = session, log_id

    def get(self, level: int, index: int) -> bytes | None:
        query = select(LedgerSubtree.hash).where(
            LedgerSubtree.log_id == self._log_id, LedgerSubtree.level == level, LedgerSubtree.idx == index
        )
        value = self._session.scalars(query).one_or_none()
        return None if value is None else bytes(value)

    def put(self, level: int, index: int, value: bytes) -> None:
        raise StoreError("subtrees are written by append_entries()")


def log_tree(session: Session, log: LedgerLog) -> MerkleTree:
    """The stored tree, for roots and proofs (O(log n) row reads each; nothing is read on opening)."""
    return MerkleTree(SqlLeafStore(session, log.id, log.size), SqlSubtreeCache(session, log.id), prefilled=True)


def _log_key(log: LedgerLog, vault: KeyVault) -> KeyPair:
    key = vault.open(log.sealed_key, _purpose(log))
    if key.public.vkey != log.vkey:
        raise StoreError(f"log {log.origin}: the sealed key does not match the published key")
    return key


def sign_log_checkpoint(session: Session, log_id: int, vault: KeyVault, *, clock: Clock) -> str:
    """Sign and store a checkpoint at the log's current size (the stored one when that size is signed already)."""
    log = _lock(session, log_id)
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
    return export_bundle(path, entries=entries, checkpoints=notes, policy=log_policy(log))


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
    return labels


def _withhold_unreadable(
    entries: Iterable[bytes], labels: Mapping[int, str], readable: frozenset[str]
) -> Iterator[bytes | Withheld]:
    for index, data in enumerate(entries):
        label = labels.get(index)
        if label is None and decode_entry(data).kind == "violation.procedure":
            label = str(Label.all_parties())  # the agreed procedure binds every party of the process
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


# --- records: each stored with its log entry in the caller's transaction ---------------------------------------------


def ensure_log(session: Session, process_id: int, vault: KeyVault, *, clock: Clock) -> LedgerLog:
    """The process's log, created (with a new key, no witnesses) the first time."""
    log = session.scalars(select(LedgerLog).where(LedgerLog.process_id == process_id)).one_or_none()
    return log if log is not None else create_log(session, process_id, vault, clock=clock)


def _log_entry(session: Session, process_id: int, kind: str, body: dict[str, Any]) -> int:
    log = get_log(session, process_id)
    return append_entries(session, log.id, [Entry(kind, body)])[0]


def _add_logged(session: Session, process_id: int, row: Any, kind: str, entry: dict[str, Any]) -> None:
    """Insert ``row`` and append its log entry — which names the row's new id — in the same transaction."""
    session.add(row)
    session.flush()
    row.log_index = _log_entry(session, process_id, kind, {"id": row.id, "process_id": process_id, **entry})
    session.flush()


def _label(text: str) -> str:
    try:
        return str(Label.parse(text))
    except (ValueError, DetenteError) as exc:
        raise InputError(f"unknown visibility label {text!r}", field="label") from exc


def user_key(session: Session, user_id: int, vault: KeyVault, *, seed: bytes | None = None, clock: Clock) -> KeyPair:
    """The user's report-signing key, created (and sealed) the first time."""
    row = session.get(UserKey, user_id)
    purpose = f"user:{user_id}"
    if row is None:
        get_user(session, user_id)
        key = generate_key(f"detente-user-{user_id}", ALG_ED25519, seed=seed)
        session.add(
            UserKey(user_id=user_id, vkey=key.public.vkey, sealed_key=vault.seal(key, purpose), created_at=clock())
        )
        session.flush()
        return key
    key = vault.open(row.sealed_key, purpose)
    if key.public.vkey != row.vkey:
        raise StoreError(f"user {user_id}: the sealed key does not match the published key")
    return key


def create_commitment(
    session: Session, process_id: int, commitment: Commitment, *, actor_id: int | None, clock: Clock
) -> CommitmentRow:
    get_process(session, process_id)
    known = {p.name for p in list_parties(session, process_id)}
    unknown = [p for p in commitment.parties if p not in known]
    if unknown:
        raise InputError(f"not parties of this process: {', '.join(unknown)}", field="parties")
    body = commitment.to_body()
    body["label"] = _label(commitment.label)
    now = clock()
    row = CommitmentRow(
        process_id=process_id,
        title=commitment.title.strip(),
        category=commitment.category.value,
        label=body["label"],
        body=body,
        created_by=actor_id,
        created_at=now,
        log_index=-1,
    )
    _add_logged(
        session, process_id, row, "commitment", {"created_by": actor_id, "created_at": iso(now), "commitment": body}
    )
    return row


def get_commitment(session: Session, process_id: int, commitment_id: int) -> CommitmentRow:
    row = session.get(CommitmentRow, commitment_id)
    if row is None or row.process_id != process_id:
        raise NotFoundError(f"no commitment {commitment_id} in this process")
    return row


def has_commitments(session: Session, process_id: int) -> bool:
    """Whether the process has any commitment (whatever its label: for set-up steps, never shown to a user)."""
    return session.scalars(select(CommitmentRow.id).where(CommitmentRow.process_id == process_id)).first() is not None


def list_commitments(session: Session, process_id: int, labels: Collection[str]) -> Sequence[CommitmentRow]:
    """The commitments whose label is among *labels* (``detente.access.readable_label_texts``)."""
    query = select(CommitmentRow).where(CommitmentRow.process_id == process_id, CommitmentRow.label.in_(list(labels)))
    return session.scalars(query.order_by(CommitmentRow.id)).all()


def file_report(
    session: Session,
    process_id: int,
    report: Report,
    *,
    author_id: int,
    vault: KeyVault,
    clock: Clock,
) -> ReportRow:
    """Store a report signed with its author's key, and log body, signature and the author's public key."""
    get_process(session, process_id)
    if report.commitment_id is not None:
        get_commitment(session, process_id, report.commitment_id)
    body = report.to_body()
    body["label"] = _label(report.label)
    key = user_key(session, author_id, vault, clock=clock)
    signature = sign_report(body, key)
    now = clock()
    row = ReportRow(
        process_id=process_id,
        commitment_id=report.commitment_id,
        label=body["label"],
        body=body,
        signature=signature,
        author_id=author_id,
        created_at=now,
        log_index=-1,
    )
    _add_logged(
        session,
        process_id,
        row,
        "report",
        {
            "author_id": author_id,
            "author_key": key.public.vkey,
            "created_at": iso(now),
            "report": body,
            "signature": signature,
        },
    )
    return row


def check_report_signature(session: Session, report_id: int) -> bool:
    row = session.get(ReportRow, report_id)
    if row is None:
        raise NotFoundError(f"no report {report_id}")
    key = session.get(UserKey, row.author_id) if row.author_id is not None else None
    return key is not None and verify_report_signature(row.body, row.signature, parse_vkey(key.vkey))


def record_assessment(
    session: Session, process_id: int, assessment: Assessment, *, actor_id: int | None, clock: Clock
) -> AssessmentRow:
    commitment = get_commitment(session, process_id, assessment.commitment_id)
    for report_id in assessment.report_ids:
        report = session.get(ReportRow, report_id)
        if report is None or report.process_id != process_id:
            raise InputError(f"report {report_id} is not a report of this process", field="report_ids")
    body = assessment.to_body()
    body["label"] = _label(assessment.label)
    now = clock()
    row = AssessmentRow(
        process_id=process_id,
        commitment_id=commitment.id,
        period=assessment.period,
        status=assessment.status.value,
        score=assessment.score,
        label=body["label"],
        body=body,
        created_by=actor_id,
        created_at=now,
        log_index=-1,
    )
    _add_logged(
        session, process_id, row, "assessment", {"created_by": actor_id, "created_at": iso(now), "assessment": body}
    )
    return row


def implementation(
    session: Session, process_id: int, labels: Collection[str]
) -> tuple[Implementation, dict[str, Implementation]]:
    """PAM-style implementation of the process and of each party, over the commitments the caller may read."""
    commitments = list_commitments(session, process_id, labels)
    rows = session.execute(
        select(AssessmentRow.commitment_id, AssessmentRow.created_at, AssessmentRow.score).where(
            AssessmentRow.process_id == process_id, AssessmentRow.label.in_(list(labels))
        )
    )
    scores = latest_scores((cid, at, score) for cid, at, score in rows)
    return aggregate({c.id: list(c.body["parties"]) for c in commitments}, scores)


def assessed_outcomes(session: Session, process_id: int, labels: Collection[str]) -> list[AssessedOutcome]:
    """What the track record and the trust model read: every readable assessment joined with its commitment."""
    query = (
        select(AssessmentRow, CommitmentRow)
        .join(CommitmentRow, CommitmentRow.id == AssessmentRow.commitment_id)
        .where(AssessmentRow.process_id == process_id, AssessmentRow.label.in_(list(labels)))
        .where(CommitmentRow.label.in_(list(labels)))
        .order_by(AssessmentRow.created_at, AssessmentRow.id)
    )
    out = []
    for assessment, commitment in session.execute(query):
        methods = [VerificationMethod(m) for m in commitment.body["methods"]]
        out.append(
            AssessedOutcome(
                commitment_id=commitment.id,
                parties=tuple(commitment.body["parties"]),
                outcome=Outcome(assessment.status),
                time=assessment.created_at,
                verification=max(methods, key=list(VerificationMethod).index),
                measure_id=commitment.body.get("measure_id"),
                summary=f"{assessment.status.replace('_', ' ')}: {commitment.title}",
                label=str(narrowest([Label.parse(assessment.label), Label.parse(commitment.label)])),
            )
        )
    return out


def agree_procedure(
    session: Session, process_id: int, procedure: Procedure, *, actor_id: int | None, clock: Clock
) -> ViolationProcedureRow:
    """Record the violation procedure the process agreed (replacing an earlier one; both stay in the log)."""
    get_process(session, process_id)
    body = procedure.to_body()
    now = clock()
    index = _log_entry(
        session,
        process_id,
        "violation.procedure",
        {"process_id": process_id, "agreed_by": actor_id, "agreed_at": iso(now), "procedure": body},
    )
    row = session.get(ViolationProcedureRow, process_id)
    if row is None:
        row = ViolationProcedureRow(process_id=process_id, body=body, created_at=now, log_index=index)
        session.add(row)
    else:
        row.body, row.created_at, row.log_index = body, now, index
    session.flush()
    return row


def procedure_of(session: Session, process_id: int) -> Procedure:
    row = session.get(ViolationProcedureRow, process_id)
    return DEFAULT_PROCEDURE if row is None else Procedure.from_body(row.body)


def _add_transition(
    session: Session, violation: ViolationRow, seq: int, t: Transition, actor_id: int | None
) -> ViolationTransitionRow:
    body = t.to_body()
    index = _log_entry(
        session,
        violation.process_id,
        "violation.transition",
        {"violation_id": violation.id, "commitment_id": violation.commitment_id, "seq": seq, **body},
    )
    row = ViolationTransitionRow(
        violation_id=violation.id, seq=seq, body=body, actor_id=actor_id, at=t.at, log_index=index
    )
    session.add(row)
    session.flush()
    return row


def allege_violation(
    session: Session,
    process_id: int,
    commitment_id: int,
    summary: str,
    *,
    label: str,
    actor_id: int | None,
    actor: str,
    at: datetime,
) -> ViolationRow:
    """Open a violation procedure (state ``alleged``) on a commitment; logged as its first transition."""
    commitment = get_commitment(session, process_id, commitment_id)
    state, first = start(procedure_of(session, process_id), actor, summary, at)
    row = ViolationRow(
        process_id=process_id,
        commitment_id=commitment.id,
        label=_label(label),
        state=state.state,
        summary=summary,
        created_by=actor_id,
        created_at=at,
    )
    session.add(row)
    session.flush()
    _add_transition(session, row, 0, first, actor_id)
    return row


def _history(session: Session, violation_id: int) -> list[Transition]:
    rows = session.scalars(
        select(ViolationTransitionRow)
        .where(ViolationTransitionRow.violation_id == violation_id)
        .order_by(ViolationTransitionRow.seq)
    ).all()
    return [
        Transition(r.body["from"], r.body["to"], r.body["actor"], r.body["reason"], r.at.astimezone(UTC)) for r in rows
    ]


def violation_state(session: Session, violation_id: int) -> ViolationState:
    row = session.get(ViolationRow, violation_id)
    if row is None:
        raise NotFoundError(f"no violation {violation_id}")
    return replay(procedure_of(session, row.process_id), _history(session, violation_id))


def transition_violation(
    session: Session,
    violation_id: int,
    to_state: str,
    reason: str,
    *,
    actor_id: int | None,
    actor: str,
    at: datetime,
) -> ViolationState:
    """Move a violation along the agreed procedure (``escalate`` records an overdue state's escalation)."""
    row = session.scalars(select(ViolationRow).where(ViolationRow.id == violation_id).with_for_update()).one_or_none()
    if row is None:
        raise NotFoundError(f"no violation {violation_id}")
    procedure = procedure_of(session, row.process_id)
    history = _history(session, violation_id)
    current = replay(procedure, history)
    new, t = apply(procedure, current, to_state, actor, reason, at)
    _add_transition(session, row, len(history), t, actor_id)
    row.state = new.state
    session.flush()
    return new


def escalate_overdue(
    session: Session, process_id: int, now: datetime, *, actor: str = "system", actor_id: int | None = None
) -> list[tuple[int, timedelta]]:
    """Escalate every open violation of the process whose state is past its deadline; return (id, how late)."""
    done = []
    ids = session.scalars(
        select(ViolationRow.id).where(
            ViolationRow.process_id == process_id, ViolationRow.state.not_in(["dismissed", "resolved"])
        )
    ).all()
    for violation_id in ids:
        state = violation_state(session, violation_id)
        late = overdue(state, now)
        if late is not None:
            transition_violation(
                session,
                violation_id,
                "escalate",
                f"{state.state} overdue by {late}",
                actor_id=actor_id,
                actor=actor,
                at=now,
            )
            done.append((violation_id, late))
    return done
