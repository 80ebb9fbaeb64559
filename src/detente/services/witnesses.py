"""The witnesses of a process's log: who they are (managed by the process's administrators and mediators), and
collecting their cosignatures of the latest checkpoint over the C2SP tlog-witness protocol.

Cosignatures are collected **after** the write that signed the checkpoint has committed, each witness with a short
timeout: a witness that is down never blocks or undoes a write; it only leaves the checkpoint short of its quorum
until ``detente ledger cosign --process`` (or the next write) asks again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session

from detente import access
from detente.access import Action, Resource
from detente.db import ledger as ldb
from detente.db import ledger_witnesses as wdb
from detente.db.ledger_tree import log_tree
from detente.db.models import Process
from detente.db.verification_models import LedgerLog
from detente.errors import AccessDenied, LedgerError, NotFoundError, WitnessProtocolError, WitnessUnreachable
from detente.services.audit import audit
from detente.services.authz import hidden, require, require_scope
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.verification.commitments import iso
from detente.verification.ledger import NoteSignature, PublicKey, WitnessPolicy, parse_note, parse_vkey
from detente.verification.ledger import verify_checkpoint as check_cosigned
from detente.verification.ledger.witness_protocol import (
    SIZE_CONTENT_TYPE,
    format_add_checkpoint,
    parse_cosignatures,
    parse_size,
)

#: the policy as the shells show it
PolicyOut = wdb.PolicyView

__all__ = ["CosignResult", "PolicyOut", "add_witness", "cosign", "cosign_quietly", "list_witnesses", "remove_witness"]

#: seconds a witness has to answer one request
TIMEOUT = 3.0


def _manage(caller: Caller, process_id: int, slot: str) -> None:
    decision = access.decide_witnesses(caller.subject, process_id, slot)
    if decision.concealed:
        raise hidden()
    if not decision.allowed:
        raise AccessDenied(decision.reason)
    require_scope(caller, Action.ADMINISTER, Resource.process(process_id))


def list_witnesses(app: AppContext, caller: Caller, process_id: int) -> wdb.PolicyView:
    """The process's witness policy (members of the process)."""
    with app.db.transaction() as s:
        require(caller, Action.READ, Resource.process(process_id))
        try:
            log = ldb.get_log(s, process_id)
        except NotFoundError:
            raise hidden() from None
        return wdb.policy_of(s, log)


def add_witness(
    app: AppContext,
    caller: Caller,
    process_id: int,
    *,
    vkey: str,
    url: str | None,
    slot: str | None = None,
    quorum: int | None = None,
) -> wdb.WitnessSlot:
    """Name a witness of the process's log (its verifier key and add-checkpoint URL), in a slot of the policy."""
    with app.db.transaction(write=True) as s:
        _manage(caller, process_id, slot or "extra")
        if s.get(Process, process_id) is None:
            raise hidden()
        log = ldb.ensure_log(s, process_id, app.vault(), clock=app.clock)
        made = wdb.set_witness(s, log, vkey=vkey, url=url, slot=slot, quorum=quorum, clock=app.clock)
        policy = wdb.policy_of(s, log)
        _log_change(app, s, caller, log, "witness", {"slot": made.slot, "name": made.name, "vkey": made.vkey,
                                                      "quorum": policy.quorum})  # fmt: skip
        audit(s, app, caller, "ledger.witness_added", target=f"process:{process_id}", process_id=process_id,
              detail={"slot": made.slot, "name": made.name, "vkey": made.vkey, "url": made.url,
                      "quorum": policy.quorum})  # fmt: skip
    cosign_quietly(app, caller, process_id)
    return made


def _log_change(
    app: AppContext, s: Session, caller: Caller, log: LedgerLog, kind: str, body: dict[str, object]
) -> None:
    """A change of the witness policy is itself an entry of the log (every party sees who named which witness, and
    when), with a checkpoint signed at the new size."""
    ldb.log_entry(s, log.process_id, kind, {"process_id": log.process_id, **body, "by": caller.user_id,
                                            "at": iso(app.clock())})  # fmt: skip
    ldb.sign_log_checkpoint(s, log.id, app.vault(), clock=app.clock)


def remove_witness(app: AppContext, caller: Caller, process_id: int, which: str) -> wdb.WitnessSlot:
    """Remove a witness by slot or name (a party's or the observer's slot stays, empty, and still counts)."""
    with app.db.transaction(write=True) as s:
        try:
            log = ldb.get_log(s, process_id)
        except NotFoundError:
            _manage(caller, process_id, "extra")
            raise hidden() from None
        _manage(caller, process_id, wdb.slot_of(s, log, which) or "extra")
        removed = wdb.remove_witness(s, log, which, clock=app.clock)
        _log_change(app, s, caller, log, "witness.removed", {"slot": removed.slot, "name": removed.name,
                                                             "quorum": wdb.policy_of(s, log).quorum})  # fmt: skip
        audit(s, app, caller, "ledger.witness_removed", target=f"process:{process_id}", process_id=process_id,
              detail={"slot": removed.slot, "name": removed.name})  # fmt: skip
        return removed


@dataclass
class CosignResult:
    """What one round of collection gave: the checkpoint size, who cosigned it, who did not and why."""

    size: int = 0
    cosigned: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    quorum: int = 0

    @property
    def quorum_met(self) -> bool:
        return len(self.cosigned) >= self.quorum > 0


@dataclass(frozen=True)
class _Target:
    name: str
    key: PublicKey
    url: str
    old_size: int


def _post(client: httpx.Client, url: str, body: bytes) -> httpx.Response:
    try:
        return client.post(url.rstrip("/") + "/add-checkpoint", content=body)
    except httpx.HTTPError as exc:
        raise WitnessUnreachable(f"no answer from {url}: {type(exc).__name__}") from exc


def _ask(app: AppContext, process_id: int, note: str, size: int, target: _Target, log_vkey: str) -> NoteSignature:
    """One witness's cosignature of *note*: on 409 the request is sent again from the witness's own size."""

    def proof(old: int) -> list[bytes]:
        if old in (0, size):
            return []
        with app.db.transaction() as s:
            return list(log_tree(s, ldb.get_log(s, process_id)).consistency_proof(old, size))

    old = target.old_size if target.old_size <= size else 0
    with httpx.Client(timeout=TIMEOUT) as client:
        for _attempt in range(2):
            answer = _post(client, target.url, format_add_checkpoint(old, proof(old), note))
            if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(SIZE_CONTENT_TYPE):
                latest = parse_size(answer.content)
                if latest > size:
                    raise LedgerError(f"witness {target.name} has cosigned size {latest}, beyond this log's {size}")
                old = latest
                continue
            if answer.status_code != 200:
                raise LedgerError(f"witness {target.name} refused ({answer.status_code}): {answer.text.strip()[:200]}")
            lines = parse_cosignatures(answer.content, note, target.key)
            if not lines:
                raise WitnessProtocolError(f"witness {target.name} answered without its cosignature")
            policy = WitnessPolicy(log=parse_vkey(log_vkey), witnesses=(target.key,), quorum=1)
            check_cosigned(parse_note(note).with_signatures(lines), policy)
            return lines[0]
    raise LedgerError(f"witness {target.name} kept answering 409 Conflict")


def cosign(app: AppContext, caller: Caller, process_id: int) -> CosignResult:
    """Ask every witness with a URL to cosign the latest checkpoint, store the cosignatures that verify."""
    with app.db.transaction() as s:
        require(caller, Action.READ, Resource.process(process_id))
        try:
            log = ldb.get_log(s, process_id)
        except NotFoundError:
            raise hidden() from None
        newest = wdb.newest_checkpoint(s, log.id)
        policy = wdb.policy_of(s, log)
        result = CosignResult(quorum=policy.quorum)
        if newest is None:
            return result
        (size, note), log_id, log_vkey = newest, log.id, log.vkey
        stored = ldb.latest_checkpoint(s, log.id) or note
        targets = [
            _Target(w.name, parse_vkey(w.vkey), w.url, wdb.last_cosigned_size(s, log.id, w.name))
            for w in policy.witnesses
            if w.name is not None and w.vkey is not None and w.url is not None
        ]
        result.size = size
    already = {sig.name for sig in parse_note(stored).signatures}
    asked = [t for t in targets if t.name not in already]
    result.cosigned += [t.name for t in targets if t.name in already]
    fresh: list[NoteSignature] = []
    # every witness at once: a write waits for the slowest witness (at most TIMEOUT per try), not for their sum
    with ThreadPoolExecutor(max_workers=max(1, len(asked))) as pool:
        futures = {t.name: pool.submit(_ask, app, process_id, note, size, t, log_vkey) for t in asked}
    for name, future in futures.items():
        try:
            fresh.append(future.result())
            result.cosigned.append(name)
        except LedgerError as exc:
            result.failed[name] = exc.one_line()
    if fresh:
        with app.db.transaction(write=True) as s:
            for sig in fresh:
                wdb.store_cosignature(s, log_id, size, sig, clock=app.clock)
            audit(s, app, caller, "ledger.cosigned", target=f"process:{process_id}", process_id=process_id,
                  detail={"size": size, "witnesses": sorted(sig.name for sig in fresh)})  # fmt: skip
    return result


def cosign_quietly(app: AppContext, caller: Caller, process_id: int) -> CosignResult | None:
    """:func:`cosign` after a write has committed: never raises (the write stands; a retry collects later)."""
    try:
        return cosign(app, caller, process_id)
    except Exception:  # a witness problem must never turn a committed write into an error
        return None
