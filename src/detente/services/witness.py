"""A stand-alone witness (``detente witness …``): its key file, the logs it witnesses and the add-checkpoint use
case of the C2SP tlog-witness protocol, over the core :class:`~detente.verification.ledger.Witness` and a durable
state (:class:`~detente.db.witness_store.SqliteWitnessStore`).

A party, an observer mission or anyone else runs one to hold the operator to one history: it cosigns a checkpoint
only if it extends the last one it cosigned for that log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detente.clock import Clock
from detente.db.witness_store import SqliteWitnessStore, state_path
from detente.errors import InputError, LedgerError, ProofError, UnknownOriginError
from detente.services.key_files import new_key_file, read_key_file
from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    EMPTY_ROOT,
    KeyPair,
    PublicKey,
    Witness,
    parse_checkpoint_body,
    parse_note,
    parse_vkey,
)
from detente.verification.ledger.witness_protocol import parse_add_checkpoint

__all__ = ["WitnessServer", "add_log", "load_witness_key", "witness_keygen"]


def witness_keygen(name: str, out: Path) -> PublicKey:
    """Write a new witness signing key (type 0x04) to *out*, readable by its owner only; return its verifier key."""
    return new_key_file(name, out, ALG_COSIGNATURE_V1).public


def load_witness_key(path: Path) -> KeyPair:
    """The witness signing key in *path* (written by :func:`witness_keygen`)."""
    return read_key_file(path, alg=ALG_COSIGNATURE_V1, what="witness key")


def add_log(state: Path, origin: str, vkey: str) -> PublicKey:
    """Have the witness whose state is *state* witness the log *origin* with verifier key *vkey*."""
    try:
        key = parse_vkey(vkey)
    except LedgerError as exc:
        raise InputError(str(exc), field="vkey") from exc
    if key.name != origin:
        raise InputError(f"the key is named {key.name!r}, not the origin {origin!r}", field="vkey")
    if key.alg == ALG_COSIGNATURE_V1:
        raise InputError("that is a witness key; give the log's key (type 0x01)", field="vkey")
    return SqliteWitnessStore(state_path(state)).add_log(key.vkey)


@dataclass(frozen=True)
class Cosigned:
    """What the witness answers with: its cosignature lines."""

    lines: str


class WitnessServer:
    """The add-checkpoint use case for one witness key and one state (shared by every request)."""

    def __init__(self, key: KeyPair, state: Path, *, clock: Clock) -> None:
        self.key = key
        self.store = SqliteWitnessStore(state_path(state))
        self._clock = clock

    @property
    def vkey(self) -> str:
        return self.key.public.vkey

    def add_checkpoint(self, body: bytes) -> Cosigned:
        """Cosign the checkpoint of a request body, or raise the refusal (see ``refusal_status``)."""
        request = parse_add_checkpoint(body)
        logs = self.store.logs()
        if request.origin not in logs:
            raise UnknownOriginError(f"this witness does not witness the log {request.origin!r}")
        checkpoint = parse_checkpoint_body(parse_note(request.note).text)
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise ProofError("a checkpoint of size zero must have the root of the empty tree")
        if request.old_size == 0 and request.proof:
            raise ProofError("no consistency proof is expected from size zero")
        witness = Witness(self.key, logs, state=self.store, clock=self._clock)
        signature = witness.add_checkpoint(request.note, request.old_size, request.proof)
        return Cosigned(lines=signature.line)
