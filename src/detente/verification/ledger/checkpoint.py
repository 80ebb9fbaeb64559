"""Checkpoints (C2SP tlog-checkpoint): origin line, decimal tree size, base64 root hash, extension lines.

A checkpoint is published as a signed note whose text is the checkpoint body, signed by the log (the
process key, signature type 0x01) and cosigned by witnesses (type 0x04, see :mod:`.witness`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from detente.errors import CheckpointError, NoteError

from .hashing import HASH_SIZE
from .note import ALG_ED25519, KeyPair, Note, NoteSignature, PublicKey, decode_b64, format_note, parse_note

__all__ = ["Checkpoint", "open_checkpoint", "parse_checkpoint_body", "sign_checkpoint"]

_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's *origin*, the tree *size* and its *root* hash, plus extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("checkpoint origin must be one non-empty line")
        if self.size < 0:
            raise CheckpointError("checkpoint size must be >= 0")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root must be {HASH_SIZE} bytes")
        for line in self.extensions:
            if not line or "\n" in line:
                raise CheckpointError("checkpoint extension lines must be non-empty single lines")

    @property
    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse the note text of a checkpoint (no signature is checked)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint body needs an origin, a size and a root line")
    origin, size_line, root_line, *extensions = lines
    if not _SIZE.fullmatch(size_line):
        raise CheckpointError(f"checkpoint size {size_line!r} is not a decimal without leading zeros")
    try:
        root = decode_b64(root_line, "checkpoint root")
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc
    return Checkpoint(origin=origin, size=int(size_line), root=root, extensions=tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, key: KeyPair) -> str:
    """The signed note of *checkpoint*, signed by the log key *key* (type 0x01)."""
    if key.alg != ALG_ED25519:
        raise CheckpointError("checkpoints are signed with an Ed25519 note key (type 0x01)")
    text = checkpoint.body
    signature = NoteSignature(name=key.name, key_id=key.public.key_id, signature=key.sign(text.encode("utf-8")))
    return format_note(Note(text=text, signatures=(signature,)))


def open_checkpoint(note: str | bytes | Note, log_key: PublicKey) -> tuple[Checkpoint, Note]:
    """Verify the log's signature on a checkpoint note and parse it.

    Signature lines from other keys are ignored (witness cosignatures are checked by
    :func:`detente.verification.ledger.witness.verify_checkpoint`). The origin must be the log key's name.
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    checkpoint = parse_checkpoint_body(parsed.text)
    if checkpoint.origin != log_key.name:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} is not the log {log_key.name!r}")
    found = False
    for sig in parsed.signatures:
        if sig.is_from(log_key):
            if not log_key.verify(sig.signature, parsed.text.encode("utf-8")):
                raise CheckpointError(f"the signature of log {log_key.name} on this checkpoint does not verify")
            found = True
    if not found:
        raise CheckpointError(f"checkpoint is not signed by the log key {log_key.name}+{log_key.key_id.hex()}")
    return checkpoint, parsed
