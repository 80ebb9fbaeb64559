"""Errors of the transparency log. All derive from :class:`detente.errors.DetenteError`."""

from __future__ import annotations

from detente.errors import DetenteError

__all__ = [
    "BundleError",
    "CheckpointError",
    "EntryError",
    "ForkError",
    "LedgerError",
    "NoteError",
    "ProofError",
    "QuorumError",
    "RollbackError",
    "StaleSizeError",
    "UnknownLogError",
    "WitnessRefusal",
]


class LedgerError(DetenteError):
    """Base of every transparency-log error."""

    code = "ledger_error"


class ProofError(LedgerError):
    """An inclusion or consistency proof is malformed or does not verify."""

    code = "proof_error"


class EntryError(LedgerError):
    """A log entry cannot be serialized canonically, or its bytes are not canonical."""

    code = "entry_error"


class NoteError(LedgerError):
    """A signed note or a key string is malformed, or its signatures do not verify."""

    code = "note_error"


class CheckpointError(NoteError):
    """A checkpoint body is malformed or its signature by the log does not verify."""

    code = "checkpoint_error"


class QuorumError(CheckpointError):
    """A checkpoint lacks the witness cosignatures that the policy requires."""

    code = "quorum_error"


class WitnessRefusal(LedgerError):
    """A witness refuses to cosign a checkpoint."""

    code = "witness_refusal"


class UnknownLogError(WitnessRefusal):
    """The witness does not know the checkpoint's origin, or the log signature does not verify."""

    code = "unknown_log"


class StaleSizeError(WitnessRefusal):
    """The caller's idea of the witness's last size is out of date; ``latest_size`` is the witness's."""

    code = "stale_size"

    def __init__(self, message: str, *, latest_size: int) -> None:
        super().__init__(message)
        self.latest_size = latest_size


class RollbackError(WitnessRefusal):
    """The checkpoint is smaller than one the witness has already cosigned."""

    code = "rollback"


class ForkError(WitnessRefusal):
    """The checkpoint is not consistent with the last checkpoint the witness saw (a split view)."""

    code = "fork"


class BundleError(LedgerError):
    """A bundle cannot be written or read at all (verification findings are reported, not raised)."""

    code = "bundle_error"
