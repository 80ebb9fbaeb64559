"""Witnesses and witness quorums (C2SP tlog-cosignature v1, Ed25519).

A :class:`Witness` cosigns a checkpoint only when it is signed by a log it knows and is consistent with the
last checkpoint it cosigned for that origin (checked with a consistency proof); a smaller tree (rollback) or a
tree that does not extend the last one (fork) is refused. :func:`verify_checkpoint` is the client side: it
accepts a checkpoint only with the log's signature and cosignatures from a quorum of the process's named
witnesses.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from detente.errors import (
    CheckpointError,
    ForkError,
    NoteError,
    ProofError,
    QuorumError,
    RollbackError,
    StaleSizeError,
    UnknownLogError,
)

from .checkpoint import Checkpoint, open_checkpoint
from .note import ALG_COSIGNATURE_V1, KeyPair, Note, NoteSignature, PublicKey, parse_note
from .proofs import verify_consistency

__all__ = [
    "Clock",
    "MemoryWitnessState",
    "VerifiedCheckpoint",
    "Witness",
    "WitnessPolicy",
    "WitnessState",
    "cosignature_message",
    "cosignature_time",
    "verify_checkpoint",
]

#: a clock returns the current time, timezone-aware
Clock = Callable[[], datetime]

_MAX_TIMESTAMP = 2**63 - 1


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The message a witness signs: ``cosignature/v1\\ntime <t>\\n`` then the whole checkpoint body."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is out of range")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosignature_time(signature: NoteSignature) -> int:
    """The POSIX timestamp carried by a cosignature line (first 8 bytes, big-endian)."""
    if len(signature.signature) != 8 + 64:
        raise NoteError(f"cosignature from {signature.name} must be 72 bytes after the key ID")
    return int(struct.unpack(">Q", signature.signature[:8])[0])


def _verify_cosignature(key: PublicKey, text: str, signature: NoteSignature) -> int:
    timestamp = cosignature_time(signature)
    if timestamp > _MAX_TIMESTAMP or not key.verify(signature.signature[8:], cosignature_message(text, timestamp)):
        raise NoteError(f"the cosignature of witness {key.name} does not verify")
    return timestamp


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes


class WitnessState(Protocol):
    """Where a witness keeps the last tree head it cosigned, per origin."""

    def get(self, origin: str) -> TreeHead | None: ...

    def compare_and_set(self, origin: str, old: TreeHead | None, new: TreeHead) -> bool:
        """Store *new* if the current value is still *old*; ``False`` if it changed meanwhile."""
        ...


class MemoryWitnessState:
    """A :class:`WitnessState` in memory."""

    def __init__(self) -> None:
        self._heads: dict[str, TreeHead] = {}

    def get(self, origin: str) -> TreeHead | None:
        return self._heads.get(origin)

    def compare_and_set(self, origin: str, old: TreeHead | None, new: TreeHead) -> bool:
        if self._heads.get(origin) != old:
            return False
        self._heads[origin] = new
        return True


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Witness:
    """A witness with cosigning key *key* (type 0x04) that knows the logs *logs* (origin → log key)."""

    def __init__(
        self,
        key: KeyPair,
        logs: Mapping[str, PublicKey] | Sequence[PublicKey],
        *,
        state: WitnessState | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        if key.alg != ALG_COSIGNATURE_V1:
            raise NoteError("a witness key must have signature type 0x04 (cosignature/v1)")
        self.key = key
        self._logs = dict(logs) if isinstance(logs, Mapping) else {log.name: log for log in logs}
        self._state: WitnessState = state if state is not None else MemoryWitnessState()
        self._clock = clock

    @property
    def public(self) -> PublicKey:
        return self.key.public

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        head = self._state.get(origin)
        return None if head is None else (head.size, head.root)

    def add_checkpoint(self, note: str | bytes | Note, old_size: int, proof: Sequence[bytes] = ()) -> NoteSignature:
        """Cosign *note* if it extends the last checkpoint this witness saw for its origin.

        *old_size* is the size the caller believes the witness last saw (0 the first time) and *proof* a
        consistency proof from that size to the new one. Raises :class:`UnknownLogError`,
        :class:`StaleSizeError` (with ``latest_size``), :class:`RollbackError` or :class:`ForkError`.
        """
        parsed = note if isinstance(note, Note) else parse_note(note)
        try:
            origin = parsed.text.split("\n", 1)[0]
            log_key = self._logs.get(origin)
            if log_key is None:
                raise UnknownLogError(f"witness {self.key.name} does not know the log {origin!r}")
            checkpoint, _ = open_checkpoint(parsed, log_key)
        except (CheckpointError, NoteError) as exc:
            raise UnknownLogError(f"witness {self.key.name} refuses the checkpoint: {exc}") from exc
        head = self._state.get(checkpoint.origin)
        latest = head.size if head is not None else 0
        if old_size != latest:
            raise StaleSizeError(
                f"witness {self.key.name} last saw size {latest} for {checkpoint.origin}, not {old_size}",
                latest_size=latest,
            )
        self._check_extends(head, checkpoint, proof)
        new = TreeHead(checkpoint.size, checkpoint.root)
        if not self._state.compare_and_set(checkpoint.origin, head, new):
            current = self._state.get(checkpoint.origin)
            raise StaleSizeError(
                f"witness {self.key.name} state for {checkpoint.origin} changed concurrently",
                latest_size=current.size if current is not None else 0,
            )
        return self._cosign(parsed.text)

    def _check_extends(self, head: TreeHead | None, checkpoint: Checkpoint, proof: Sequence[bytes]) -> None:
        name, origin = self.key.name, checkpoint.origin
        if head is None:
            if proof:
                raise ProofError("no consistency proof is expected for the first checkpoint of a log")
            return
        if checkpoint.size < head.size:
            raise RollbackError(
                f"witness {name} refuses {origin} at size {checkpoint.size}: "
                f"it already cosigned size {head.size} (rollback)"
            )
        if checkpoint.size == head.size:
            if checkpoint.root != head.root or proof:
                raise ForkError(
                    f"witness {name} refuses {origin} at size {checkpoint.size}: "
                    "a different root was cosigned at that size (fork)"
                )
            return
        if head.size == 0:
            return  # every tree extends the empty tree
        try:
            verify_consistency(head.size, checkpoint.size, proof, head.root, checkpoint.root)
        except ProofError as exc:
            raise ForkError(
                f"witness {name} refuses {origin} at size {checkpoint.size}: not consistent with size "
                f"{head.size} it cosigned ({exc})"
            ) from exc

    def _cosign(self, text: str) -> NoteSignature:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the witness clock must return timezone-aware datetimes")
        timestamp = int(now.timestamp())
        signature = self.key.sign(cosignature_message(text, timestamp))
        return NoteSignature(
            name=self.key.name, key_id=self.public.key_id, signature=struct.pack(">Q", timestamp) + signature
        )


@dataclass(frozen=True)
class WitnessPolicy:
    """What a client requires: the log key, the named witnesses and how many of them must cosign."""

    log: PublicKey
    witnesses: tuple[PublicKey, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        if any(w.alg != ALG_COSIGNATURE_V1 for w in self.witnesses):
            raise NoteError("witness keys must have signature type 0x04 (cosignature/v1)")
        if len({w.key_id + w.name.encode() for w in self.witnesses}) != len(self.witnesses):
            raise NoteError("a witness is named twice in the policy")
        if not 0 <= self.quorum <= len(self.witnesses):
            raise NoteError(f"quorum {self.quorum} must be between 0 and the {len(self.witnesses)} witnesses")


@dataclass(frozen=True)
class VerifiedCheckpoint:
    checkpoint: Checkpoint
    note: Note
    #: witness name → cosignature timestamp (UTC)
    cosigned_by: dict[str, datetime] = field(default_factory=dict)


def verify_checkpoint(note: str | bytes | Note, policy: WitnessPolicy) -> VerifiedCheckpoint:
    """Accept a checkpoint only with the log's signature and at least ``policy.quorum`` witness cosignatures.

    Cosignatures from witnesses not in the policy are ignored; a cosignature from a policy witness that fails
    to verify rejects the note (signed-note: "clients SHOULD reject the whole note").
    """
    checkpoint, parsed = open_checkpoint(note, policy.log)
    cosigned: dict[str, datetime] = {}
    for witness in policy.witnesses:
        for sig in parsed.signatures:
            if sig.is_from(witness):
                try:
                    timestamp = _verify_cosignature(witness, parsed.text, sig)
                except NoteError as exc:
                    raise CheckpointError(str(exc)) from exc
                cosigned[witness.name] = datetime.fromtimestamp(timestamp, UTC)
    if len(cosigned) < policy.quorum:
        missing = sorted(w.name for w in policy.witnesses if w.name not in cosigned)
        raise QuorumError(
            f"checkpoint {checkpoint.origin} at size {checkpoint.size} has {len(cosigned)} of the "
            f"{policy.quorum} witness cosignatures required (missing: {', '.join(missing) or 'none'})"
        )
    return VerifiedCheckpoint(checkpoint=checkpoint, note=parsed, cosigned_by=cosigned)
