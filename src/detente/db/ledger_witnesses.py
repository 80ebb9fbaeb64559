"""A log's witness policy in SQL: its witness slots (one per party and one for the observer mission by default,
plus any extra witness), the witnesses filling them (name, verifier key, URL) and the quorum; the cosignatures the
witnesses returned.

``ledger_logs.witness_keys`` and ``ledger_logs.quorum`` stay the keys and quorum a checkpoint can be checked with
today (only slots with a key count); the policy's own ``quorum`` is what it requires, even before every slot has a
witness — an unfilled slot is a witness missing, and ``detente ledger verify`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.processes import party_ids
from detente.db.verification_models import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerLog,
    LedgerWitnessPolicy,
    LedgerWitnessRow,
)
from detente.errors import ConflictError, InputError, NotFoundError
from detente.verification.ledger import ALG_COSIGNATURE_V1, LedgerError, NoteSignature, parse_vkey

__all__ = [
    "OBSERVER_SLOT",
    "PolicyView",
    "WitnessSlot",
    "add_default_policy",
    "last_cosigned_size",
    "newest_checkpoint",
    "policy_of",
    "remove_witness",
    "set_witness",
    "slot_of",
    "store_cosignature",
]

#: the slot of the observer mission's witness
OBSERVER_SLOT = "observer"
MAJORITY, FIXED = "majority", "fixed"


@dataclass(frozen=True)
class WitnessSlot:
    slot: str
    name: str | None
    vkey: str | None
    url: str | None


@dataclass(frozen=True)
class PolicyView:
    """What a checkpoint of the log must carry: ``quorum`` cosignatures of the witnesses named here."""

    quorum: int
    rule: str
    witnesses: tuple[WitnessSlot, ...]

    @property
    def keyed(self) -> tuple[WitnessSlot, ...]:
        return tuple(w for w in self.witnesses if w.vkey is not None)

    def to_json(self) -> dict[str, object]:
        return {
            "quorum": self.quorum,
            "rule": self.rule,
            "witnesses": [{"slot": w.slot, "name": w.name, "vkey": w.vkey} for w in self.witnesses],
        }


def _majority(count: int) -> int:
    return count // 2 + 1 if count else 0


def _floor(slots: Sequence[LedgerWitnessRow]) -> int:
    """The smallest quorum that no set of witnesses without a party's own can meet: one more than the slots the
    parties do not fill (the observer mission's and extra witnesses, which the mediators name). 1 without party
    slots (a log from before witness policies)."""
    parties = sum(1 for r in slots if r.slot.startswith("party:"))
    return len(slots) - parties + 1 if parties else 1


def add_default_policy(session: Session, log: LedgerLog, *, clock: Clock) -> None:
    """A witness slot per party of the process and one for the observer mission; quorum: a majority of them."""
    slots = [f"party:{pid}" for pid in party_ids(session, log.process_id)] + [OBSERVER_SLOT]
    for slot in slots:
        session.add(LedgerWitnessRow(log_id=log.id, slot=slot, updated_at=clock()))
    session.add(LedgerWitnessPolicy(log_id=log.id, quorum=_majority(len(slots)), rule=MAJORITY, updated_at=clock()))
    session.flush()


def add_fixed_policy(session: Session, log: LedgerLog, *, clock: Clock) -> None:
    """The policy of a log created with its witness keys given (no URL: cosignatures are brought by hand)."""
    for vkey in log.witness_keys:
        name = parse_vkey(vkey).name
        session.add(LedgerWitnessRow(log_id=log.id, slot=f"extra:{name}", name=name, vkey=vkey, updated_at=clock()))
    session.add(LedgerWitnessPolicy(log_id=log.id, quorum=log.quorum, rule=FIXED, updated_at=clock()))
    session.flush()


def policy_of(session: Session, log: LedgerLog) -> PolicyView:
    """The log's policy (a log from before witness policies: its stored keys and quorum, fixed)."""
    row = session.get(LedgerWitnessPolicy, log.id)
    if row is None:
        legacy = tuple(
            WitnessSlot(f"extra:{parse_vkey(v).name}", parse_vkey(v).name, v, None) for v in log.witness_keys
        )
        return PolicyView(quorum=log.quorum, rule=FIXED, witnesses=legacy)
    rows = session.scalars(
        select(LedgerWitnessRow).where(LedgerWitnessRow.log_id == log.id).order_by(LedgerWitnessRow.slot)
    ).all()
    return PolicyView(
        quorum=row.quorum,
        rule=row.rule,
        witnesses=tuple(WitnessSlot(r.slot, r.name, r.vkey, r.url) for r in rows),
    )


def _policy_row(session: Session, log: LedgerLog, clock: Clock) -> LedgerWitnessPolicy:
    row = session.get(LedgerWitnessPolicy, log.id)
    if row is None:  # a log from before witness policies: its keys become extra slots
        add_fixed_policy(session, log, clock=clock)
        row = session.get(LedgerWitnessPolicy, log.id)
        assert row is not None
    return row


def _sync(session: Session, log: LedgerLog, row: LedgerWitnessPolicy, quorum: int | None, clock: Clock) -> None:
    slots = session.scalars(select(LedgerWitnessRow).where(LedgerWitnessRow.log_id == log.id)).all()
    floor = _floor(slots)
    if quorum is not None:
        if not floor <= quorum <= len(slots):
            raise InputError(
                f"the quorum must be between {floor} and the {len(slots)} witnesses (every quorum must include a "
                "witness named by a party)",
                field="quorum",
            )
        row.quorum, row.rule = quorum, FIXED
    elif row.rule == MAJORITY:
        row.quorum = max(_majority(len(slots)), floor)
    else:
        row.quorum = max(row.quorum, floor)
    row.quorum = min(row.quorum, len(slots))
    row.updated_at = clock()
    keys = sorted(r.vkey for r in slots if r.vkey is not None)
    log.witness_keys = keys
    log.quorum = min(row.quorum, len(keys))
    session.flush()


def set_witness(
    session: Session,
    log: LedgerLog,
    *,
    vkey: str,
    url: str | None,
    slot: str | None,
    quorum: int | None = None,
    clock: Clock,
) -> WitnessSlot:
    """Fill *slot* (``party:<id>``, ``observer``) with the witness of *vkey*, or add an extra slot for it."""
    try:
        key = parse_vkey(vkey)
    except LedgerError as exc:
        raise InputError(str(exc), field="vkey") from exc
    if key.alg != ALG_COSIGNATURE_V1:
        raise InputError("a witness key has signature type 0x04 (make one with `detente witness keygen`)", field="vkey")
    if url is not None and not url.startswith(("http://", "https://")):
        raise InputError("the witness URL must start with http:// or https://", field="url")
    policy = _policy_row(session, log, clock)
    slot = slot or f"extra:{key.name}"
    if slot.startswith("party:"):
        if slot.removeprefix("party:") not in {str(p) for p in party_ids(session, log.process_id)}:
            raise InputError(f"{slot} is not a party of this process", field="slot")
    elif slot != OBSERVER_SLOT and not slot.startswith("extra:"):
        raise InputError("the slot is party:<id>, observer or extra:<name>", field="slot")
    other = session.scalars(
        select(LedgerWitnessRow).where(LedgerWitnessRow.log_id == log.id, LedgerWitnessRow.name == key.name)
    ).first()
    if other is not None and other.slot != slot:
        raise ConflictError(f"witness {key.name} already holds the slot {other.slot}")
    row = session.get(LedgerWitnessRow, (log.id, slot))
    if row is None:
        row = LedgerWitnessRow(log_id=log.id, slot=slot, updated_at=clock())
        session.add(row)
    row.name, row.vkey, row.url, row.updated_at = key.name, key.vkey, url, clock()
    session.flush()
    _sync(session, log, policy, quorum, clock)
    return WitnessSlot(row.slot, row.name, row.vkey, row.url)


def slot_of(session: Session, log: LedgerLog, which: str) -> str | None:
    """The slot of the witness named *which* (a slot or a witness name), or None when there is none."""
    rows = session.scalars(select(LedgerWitnessRow).where(LedgerWitnessRow.log_id == log.id)).all()
    return next((r.slot for r in rows if which in (r.slot, r.name)), None)


def remove_witness(session: Session, log: LedgerLog, which: str, *, clock: Clock) -> WitnessSlot:
    """Remove a witness by slot or name: an extra slot goes, a party's or the observer's slot is emptied (the policy
    still counts it, so the log goes on needing that witness)."""
    policy = _policy_row(session, log, clock)
    rows = session.scalars(select(LedgerWitnessRow).where(LedgerWitnessRow.log_id == log.id)).all()
    row = next((r for r in rows if which in (r.slot, r.name)), None)
    if row is None:
        raise NotFoundError(f"no witness {which!r} in this process's policy")
    removed = WitnessSlot(row.slot, row.name, row.vkey, row.url)
    if row.slot.startswith("extra:"):
        session.delete(row)
    else:
        row.name = row.vkey = row.url = None
        row.updated_at = clock()
    session.flush()
    _sync(session, log, policy, None, clock)
    return removed


def newest_checkpoint(session: Session, log_id: int) -> tuple[int, str] | None:
    """The newest stored checkpoint (size, note as the log signed it), or None."""
    row = session.scalars(
        select(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log_id).order_by(LedgerCheckpoint.size.desc())
    ).first()
    return None if row is None else (row.size, row.note)


def last_cosigned_size(session: Session, log_id: int, witness: str) -> int:
    """The largest tree size *witness* cosigned for the log, as stored here (0 if none)."""
    value = session.scalar(
        select(func.max(LedgerCosignature.size)).where(
            LedgerCosignature.log_id == log_id, LedgerCosignature.witness == witness
        )
    )
    return int(value or 0)


def store_cosignature(session: Session, log_id: int, size: int, signature: NoteSignature, *, clock: Clock) -> bool:
    """Keep a verified cosignature line; ``False`` when that witness's line for that size is stored already."""
    if session.get(LedgerCosignature, (log_id, size, signature.name)) is not None:
        return False
    session.add(
        LedgerCosignature(log_id=log_id, size=size, witness=signature.name, line=signature.line, created_at=clock())
    )
    session.flush()
    return True
