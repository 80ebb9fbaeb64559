"""The "verify this record" view: a record's log entry and leaf hash, its inclusion proof against the latest signed
checkpoint (with the witnesses' cosignatures), the consistency proof from a checkpoint the reader saw before, and
the commands that check the same offline. Proofs are checked here with the verifiers of
:mod:`detente.verification.ledger`; the reader's own analyst re-checks them from an exported bundle.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente.access import Action
from detente.db import verification_queries as queries
from detente.db.ledger import get_log, latest_checkpoint, log_policy
from detente.db.ledger_tree import log_tree
from detente.db.ledger_witnesses import policy_of
from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    LedgerLog,
    ReportRow,
    ViolationRow,
    ViolationTransitionRow,
)
from detente.errors import InputError, NotFoundError
from detente.services.authz import hidden
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.services.record_checks import refuse_disagreement, vouch
from detente.services.verification import check_record, info_in
from detente.services.verification_models import LogCheckOut
from detente.verification.ledger import (
    LedgerError,
    ProofError,
    WitnessPolicy,
    leaf_hash,
    open_checkpoint,
    parse_vkey,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from detente.verification.ledger.known_keys import fingerprint

__all__ = ["KINDS", "ProofOut", "parse_root", "record_proof"]

#: the kinds of record a page can verify (``transition`` is one step of a violation procedure)
KINDS = ("commitment", "report", "assessment", "transition")


class PolicySlotOut(BaseModel):
    slot: str
    name: str | None
    fingerprint: str | None


class LogOut(BaseModel):
    origin: str
    vkey: str
    #: what ``detente ledger verify`` prints when it pins the key (compare it over another channel)
    fingerprint: str
    size: int
    witness_keys: list[str]
    quorum: int
    #: the witness policy: the cosignatures it requires and its slots (a slot without a witness is still required)
    policy_quorum: int
    policy: list[PolicySlotOut]


class EntryOut(BaseModel):
    index: int
    text: str
    body: dict[str, Any]
    leaf_hash: str
    leaf_hash_ok: bool


class CheckpointInfo(BaseModel):
    note: str
    size: int
    root: str
    covers: bool


class InclusionOut(BaseModel):
    proof: list[str]
    verified: bool
    error: str | None


class WitnessesOut(BaseModel):
    quorum: int
    named: list[str]
    cosigned: dict[str, str]
    quorum_met: bool
    error: str | None


class ConsistencyOut(BaseModel):
    from_size: int
    to_size: int
    proof: list[str]
    verified: bool
    error: str | None


class ProofOut(BaseModel):
    """A record's log entry, its inclusion proof against the latest checkpoint, the witnesses, the consistency proof
    from a checkpoint the reader saw, and the commands that check the same offline."""

    kind: str
    id: int
    title: str
    process_id: int
    may_sign: bool
    log: LogOut
    entry: EntryOut
    checkpoint: CheckpointInfo | None
    inclusion: InclusionOut | None
    witnesses: WitnessesOut | None
    consistency: ConsistencyOut | None
    commands: list[str]
    #: the record as stored disagrees with this entry (the entry is what was logged; the row was changed since)
    log_check: list[LogCheckOut] = []


def parse_root(text: str | None) -> bytes | None:
    """A root hash the reader kept, as base64 (as in a checkpoint) or hex."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        raw = bytes.fromhex(value) if len(value) == 64 else base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise InputError("the root is 32 bytes in base64 or hex", field="seen_root") from exc
    if len(raw) != 32:
        raise InputError("the root is 32 bytes in base64 or hex", field="seen_root")
    return raw


def _locate(
    s: Session, caller: Caller, process_id: int, kind: str, record_id: int
) -> tuple[int, str, dict[str, list[Any]]]:
    """The record's log index, a title and the rows to check against the log, when the caller may read it."""
    if kind == "commitment":
        c = s.get(CommitmentRow, record_id)
        if c is None or c.process_id != process_id:
            raise hidden()
        check_record(caller, Action.READ, process_id, c.label, c.created_by)
        return c.log_index, f"Commitment {c.id}: {c.title}", {"commitments": [c]}
    if kind == "report":
        r = s.get(ReportRow, record_id)
        if r is None or r.process_id != process_id:
            raise hidden()
        check_record(caller, Action.READ, process_id, r.label, r.author_id)
        return r.log_index, f"Report {r.id}", {"reports": [r]}
    if kind == "assessment":
        a = s.get(AssessmentRow, record_id)
        if a is None or a.process_id != process_id:
            raise hidden()
        check_record(caller, Action.READ, process_id, a.label, a.created_by)
        return a.log_index, f"Assessment {a.id} of commitment {a.commitment_id}", {"assessments": [a]}
    if kind == "transition":
        t = s.get(ViolationTransitionRow, record_id)
        v = s.get(ViolationRow, t.violation_id) if t is not None else None
        if t is None or v is None or v.process_id != process_id:
            raise hidden()
        check_record(caller, Action.READ, process_id, v.label, v.created_by)
        return t.log_index, f"Violation {v.id}, step {t.seq}: {t.body.get('to')}", {"violations": [v]}
    raise hidden()


def _commands(log: LedgerLog, process_id: int, index: int, size: int, reader: str) -> list[str]:
    """The offline check, for this reader: the export withholds what they may not read (``--for``)."""
    pins = [f"--log-key '{log.vkey}'", *(f"--witness '{w}'" for w in log.witness_keys)]
    if log.witness_keys:
        pins.append(f"--quorum {log.quorum}")
    return [
        f"detente ledger export --process {process_id} --for {reader} bundle/",
        "detente ledger verify bundle/ " + " ".join(pins) + " --known last-seen.note",
        f"detente ledger proof inclusion bundle/ {index} --size {size}",
    ]


def _witnesses(note: str, log: LedgerLog) -> dict[str, Any]:
    policy = log_policy(log)
    out: dict[str, Any] = {"quorum": policy.quorum, "named": [w.name for w in policy.witnesses], "error": None}
    try:
        seen = verify_checkpoint(note, WitnessPolicy(log=policy.log, witnesses=policy.witnesses, quorum=0))
        out["cosigned"] = {name: at.isoformat() for name, at in sorted(seen.cosigned_by.items())}
        verify_checkpoint(note, policy)
        out["quorum_met"] = True
    except LedgerError as exc:
        out.setdefault("cosigned", {})
        out["quorum_met"] = False
        out["error"] = str(exc)
    return out


def record_proof(
    app: AppContext,
    caller: Caller,
    process_id: int,
    kind: str,
    record_id: int,
    *,
    seen_size: int | None = None,
    seen_root: bytes | None = None,
) -> ProofOut:
    with app.db.transaction() as s:
        info = info_in(s, caller, process_id)
        index, title, rows = _locate(s, caller, process_id, kind, record_id)
        try:
            log = get_log(s, process_id)
        except NotFoundError:
            raise hidden() from None
        checks = vouch(s, app, caller, process_id, **rows)
        stored = queries.entry_bytes(s, log.id, index)
        if stored is None:
            refuse_disagreement(checks)  # the record's entry is gone from the log
            raise hidden()
        data, stored_hash = stored
        policy = policy_of(s, log)
        out: dict[str, Any] = {
            "kind": kind,
            "id": record_id,
            "title": title,
            "process_id": process_id,
            "may_sign": info.may_write,
            "log": {
                "origin": log.origin,
                "vkey": log.vkey,
                "fingerprint": fingerprint(parse_vkey(log.vkey)),
                "policy_quorum": policy.quorum,
                "policy": [
                    {"slot": w.slot, "name": w.name, "fingerprint": fingerprint(parse_vkey(w.vkey)) if w.vkey else None}
                    for w in policy.witnesses
                ],
                "size": log.size,
                "witness_keys": list(log.witness_keys),
                "quorum": log.quorum,
            },
            "entry": {
                "index": index,
                "text": data.decode("utf-8"),
                "body": json.loads(data),
                "leaf_hash": stored_hash.hex(),
                "leaf_hash_ok": leaf_hash(data) == stored_hash,
            },
            "checkpoint": None,
            "inclusion": None,
            "witnesses": None,
            "consistency": None,
            "commands": _commands(log, process_id, index, log.size, caller.username),
            "log_check": checks,
        }
        note = latest_checkpoint(s, log.id)
        if note is None:
            return ProofOut.model_validate(out)
        checkpoint, _ = open_checkpoint(note, parse_vkey(log.vkey))
        tree = log_tree(s, log)
        out["checkpoint"] = {
            "note": note,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode("ascii"),
            "covers": index < checkpoint.size,
        }
        out["witnesses"] = _witnesses(note, log)
        out["commands"] = _commands(log, process_id, index, checkpoint.size, caller.username)
        if index < checkpoint.size:
            proof = tree.inclusion_proof(index, checkpoint.size)
            error = None
            try:
                verify_inclusion(stored_hash, index, checkpoint.size, proof, checkpoint.root)
            except ProofError as exc:
                error = str(exc)
            out["inclusion"] = {"proof": [h.hex() for h in proof], "verified": error is None, "error": error}
        if seen_size is not None:
            out["consistency"] = _consistency(tree, seen_size, seen_root, checkpoint.size, checkpoint.root)
        return ProofOut.model_validate(out)


def _consistency(tree: Any, size1: int, root1: bytes | None, size2: int, root2: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"from_size": size1, "to_size": size2, "proof": [], "verified": False, "error": None}
    if size1 < 1:
        out["error"] = "a consistency proof starts from a checkpoint of at least one entry"
        return out
    if size1 > size2:
        out["error"] = f"ROLLBACK: you saw {size1} entries; the latest checkpoint has {size2}"
        return out
    proof = tree.consistency_proof(size1, size2)
    out["proof"] = [h.hex() for h in proof]
    if root1 is None:
        out["error"] = "give the root of the checkpoint you saw to check the proof"
        return out
    try:
        verify_consistency(size1, size2, proof, root1, root2)
        out["verified"] = True
    except ProofError as exc:
        out["error"] = f"NOT CONSISTENT (a fork, or a wrong root): {exc}"
    return out
