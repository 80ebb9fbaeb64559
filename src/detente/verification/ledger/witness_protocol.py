"""The wire format of the C2SP tlog-witness protocol (``POST <prefix>/add-checkpoint``), both sides, no I/O.

Request body: ``old <size>\\n``, zero to 63 consistency-proof lines (one base64 hash each), an empty line, then the
signed checkpoint note. A 200 answer is one or more cosignature lines; a 409 answer is the witness's size in decimal
and a newline, with ``Content-Type: text/x.tlog.size``. The status codes a witness answers with are chosen by
:func:`refusal_status`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from detente.errors import (
    CheckpointError,
    ForkError,
    LedgerError,
    NoteError,
    ProofError,
    RollbackError,
    StaleSizeError,
    UnknownLogError,
    UnknownOriginError,
    WitnessProtocolError,
)

from .checkpoint import parse_checkpoint_body
from .hashing import HASH_SIZE
from .note import NoteSignature, PublicKey, decode_b64, parse_note

__all__ = [
    "MAX_PROOF_LINES",
    "SIZE_CONTENT_TYPE",
    "AddCheckpoint",
    "format_add_checkpoint",
    "format_size",
    "parse_add_checkpoint",
    "parse_cosignatures",
    "parse_size",
    "refusal_status",
]

#: the client must not send more proof lines than this (tlog-witness)
MAX_PROOF_LINES = 63
#: the content type of a 409 answer
SIZE_CONTENT_TYPE = "text/x.tlog.size"
#: a request body larger than this is refused before it is parsed
MAX_BODY = 64 * 1024

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class AddCheckpoint:
    """One add-checkpoint request: the size the client believes the witness saw, the proof, the note text."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    @property
    def origin(self) -> str:
        return self.note.split("\n", 1)[0]


def _decimal(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise WitnessProtocolError(f"{what} {text!r} is not a decimal without leading zeros")
    return int(text)


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The request body for *note* with the consistency proof from *old_size*."""
    if old_size < 0:
        raise WitnessProtocolError("the old size must be >= 0")
    if len(proof) > MAX_PROOF_LINES:
        raise WitnessProtocolError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("".join(line + "\n" for line in lines) + "\n" + note).encode("utf-8")


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse a request body; :class:`WitnessProtocolError` (400) when it is malformed."""
    if len(body) > MAX_BODY:
        raise WitnessProtocolError(f"the request body is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitnessProtocolError("the request body is not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise WitnessProtocolError("the request needs an empty line between the proof and the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise WitnessProtocolError("the request must start with 'old <size>'")
    old_size = _decimal(first[4:], "old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessProtocolError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof: list[bytes] = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            digest = decode_b64(line, f"proof line {number}")
        except NoteError as exc:
            raise WitnessProtocolError(str(exc)) from exc
        if len(digest) != HASH_SIZE:
            raise WitnessProtocolError(f"proof line {number} is not a {HASH_SIZE}-byte hash")
        proof.append(digest)
    try:
        parsed = parse_note(note)
        checkpoint = parse_checkpoint_body(parsed.text)
    except LedgerError as exc:
        raise WitnessProtocolError(f"the checkpoint is malformed: {exc}") from exc
    if old_size > checkpoint.size:
        raise WitnessProtocolError(f"old size {old_size} is larger than the checkpoint size {checkpoint.size}")
    return AddCheckpoint(old_size=old_size, proof=tuple(proof), note=note)


def format_size(size: int) -> bytes:
    """The body of a 409 answer."""
    return f"{size}\n".encode("ascii")


def parse_size(body: bytes) -> int:
    """The witness's size from a 409 answer."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise WitnessProtocolError("a 409 answer must be a decimal size") from exc
    if not text.endswith("\n"):
        raise WitnessProtocolError("a 409 answer must end with a newline")
    return _decimal(text[:-1], "witness size")


def parse_cosignatures(body: bytes, note: str, witness: PublicKey) -> list[NoteSignature]:
    """The signature lines of a 200 answer that come from *witness* (others are ignored, as the spec asks).

    The lines are appended to the note and parsed as one note, so their syntax is that of signed notes; whether
    they verify is checked by the caller (:func:`detente.verification.ledger.verify_checkpoint`).
    """
    try:
        text = body.decode("utf-8")
        merged = parse_note(note + text)
    except (UnicodeDecodeError, NoteError) as exc:
        raise WitnessProtocolError(f"the witness answered with malformed signature lines: {exc}") from exc
    own = parse_note(note).signatures
    return [sig for sig in merged.signatures if sig.is_from(witness) and sig not in own]


def refusal_status(exc: LedgerError) -> int:
    """The HTTP status a witness answers with for a refusal (tlog-witness)."""
    if isinstance(exc, WitnessProtocolError):
        return 400
    if isinstance(exc, UnknownOriginError):
        return 404
    if isinstance(exc, StaleSizeError):
        return 409
    if isinstance(exc, UnknownLogError | CheckpointError):
        return 403
    if isinstance(exc, ForkError | ProofError):
        return 422
    if isinstance(exc, RollbackError):
        return 400  # a smaller checkpoint than the old size: the request contradicts itself
    return 400
