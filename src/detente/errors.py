"""The one exception tree of Détente.

Every error raised on purpose by Détente derives from :class:`DetenteError` and is defined here, whatever capability
raises it. Adapters translate third-party exceptions into these (``raise ... from exc``). Each class states, as class
attributes, how the shells answer it — the HTTP status of the JSON error shape and the CLI's exit code — so the
mapping never depends on the order in which a handler tests ``isinstance``: a subclass that answers differently says
so itself.

Exit codes: 2 for a mistake of the person at the keyboard (bad input, something missing or not allowed, a conflict to
retry), 1 for a problem of the installation (configuration, storage).
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AccessDenied",
    "ActorNotFoundError",
    "AuthRequired",
    "BadValue",
    "BundleError",
    "Busy",
    "CatalogueError",
    "CheckpointError",
    "ConfigError",
    "ConflictError",
    "CsrfError",
    "DecisionConflictError",
    "DetenteError",
    "EntryError",
    "ForkError",
    "FormatError",
    "IllegalTransition",
    "InputError",
    "KeyChangedError",
    "LedgerError",
    "MissingExtraError",
    "NoWorkspace",
    "NotFoundError",
    "NotInForce",
    "NoteError",
    "PlanningError",
    "ProofError",
    "ProposalClosed",
    "QuorumError",
    "RateLimited",
    "RecordMismatch",
    "RegistryInputError",
    "ReplayError",
    "RollbackError",
    "SecondFactorRequired",
    "StaleSizeError",
    "StaleState",
    "StoreError",
    "TooLarge",
    "TrustInputError",
    "UnknownConfigError",
    "UnknownLogError",
    "UnknownOriginError",
    "UnsupportedMediaType",
    "WarningDataError",
    "WitnessProtocolError",
    "WitnessRefusal",
    "WitnessUnreachable",
]


class DetenteError(Exception):
    """Base of every error Détente raises on purpose."""

    #: short machine-readable code, used by the JSON error shape and the CLI's message
    code: str = "detente_error"
    #: the HTTP status the web shell answers with
    status: int = 400
    #: the CLI's exit code
    exit_code: int = 2
    #: the input field the error is about, when there is one
    field: str | None = None
    #: seconds after which trying again may succeed (``Retry-After``), when known
    retry_after: int | None = None

    @property
    def reason(self) -> str:
        """The message without where it happened (shown beside the field in the JSON error shape)."""
        return str(self)

    def one_line(self) -> str:
        """The CLI's one line: the message naming the field (and, for input, the file and line)."""
        text = str(self)
        if self.field and f"field {self.field!r}" not in text:
            text = f"field {self.field!r}: {text}"
        return " ".join(text.split())


# --- the installation ------------------------------------------------------------------------------------------------


class ConfigError(DetenteError):
    """A setting (environment variable ``DETENTE_*`` or option) is missing or invalid."""

    code = "config_error"
    status = 500
    exit_code = 1


class MissingExtraError(ConfigError):
    """An optional dependency is not installed; the message says how to install it."""

    code = "missing_extra"


class StoreError(DetenteError):
    """The workspace, the event store or the database is unusable (corrupt, locked, wrong version)."""

    code = "store_error"
    status = 500
    exit_code = 1


class RecordMismatch(StoreError):
    """A stored record disagrees with what was logged or signed for it (altered after the fact).

    HTTP 424 (Failed Dependency), used for nothing else: an answer depends on its records agreeing with the signed
    log, and they do not; the server will not pass them on. Not a 5xx: retrying will not help, and the server is
    working as it should in refusing."""

    code = "record_mismatch"
    status = 424


# --- the request -----------------------------------------------------------------------------------------------------


class InputError(DetenteError):
    """Bad input data. Names the file and, where known, the line and the field."""

    code = "input_error"
    status = 422

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self._reason = message
        super().__init__(self._render())

    @property
    def reason(self) -> str:
        return self._reason

    def _render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"field {self.field!r}: " if self.field else ""
        return f"{where}{field}{self._reason}"


class NoWorkspace(InputError):
    """The folder given as the workspace is not one (a mistyped ``--workspace`` or ``DETENTE_WORKSPACE``)."""

    code = "no_workspace"


class FormatError(InputError):
    """The file is not in the format given, or no known format matches it."""

    code = "format_error"


class TooLarge(InputError):
    """A request body, an upload or a file is larger than the limit."""

    code = "too_large"
    status = 413


class UnsupportedMediaType(InputError):
    """A request body of a media type the route does not take (a multipart form sent where no upload is read)."""

    code = "unsupported_media_type"
    status = 415


class NotFoundError(DetenteError):
    """A named thing does not exist (or the caller may not know that it does)."""

    code = "not_found"
    status = 404


class AccessDenied(DetenteError):
    """The caller may not do this (and may know that the thing exists). A denial about something the caller may not
    even know of is a :class:`NotFoundError` instead, with the same words as for a missing thing."""

    code = "forbidden"
    status = 403

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CsrfError(AccessDenied):
    """A state-changing request from a browser without the right anti-forgery token."""

    code = "csrf_failed"


class SecondFactorRequired(AccessDenied):
    """The account must set up a second factor (``DETENTE_REQUIRE_SECOND_FACTOR`` covers it) before it may do
    anything else; pages send the browser to the set-up page instead."""

    code = "second_factor_required"


class AuthRequired(DetenteError):
    """Nobody is signed in (or the credential presented is unknown, revoked or expired)."""

    code = "unauthorized"
    status = 401

    def __init__(self, message: str, *, bearer: bool = False) -> None:
        super().__init__(message)
        #: the credential was a Bearer token (the web shell then names the scheme it expects)
        self.bearer = bearer


class ConflictError(DetenteError):
    """A write collides with stored data (a name already taken, a record changed meanwhile): reload and retry."""

    code = "conflict"
    status = 409


class StaleState(ConflictError):
    """A write made from state that changed meanwhile (another writer got there first): reload and retry. Use cases
    that read, modify and write retry it themselves (``detente.services.concurrency``)."""

    code = "stale"


class Busy(DetenteError):
    """The work cannot start now (every slot of a bounded resource is taken); try again shortly."""

    code = "busy"
    status = 503
    exit_code = 1

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(DetenteError):
    """Too many attempts from one client or on one account; try again later."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- event data ------------------------------------------------------------------------------------------------------


class BadValue(ValueError):
    """One bad value in one source row. Never leaves an adapter: the row is quarantined with this message as its
    reason (``rejects/``), or, with ``--strict``, the import stops with an :class:`InputError` naming file and line."""


# --- actors ----------------------------------------------------------------------------------------------------------


class ActorNotFoundError(NotFoundError):
    """An actor id, source key or decision id that the registry does not hold."""

    code = "actor_not_found"


class DecisionConflictError(ConflictError):
    """A merge, rejection or undo that contradicts the decisions already recorded."""

    code = "actor_decision_conflict"


class RegistryInputError(InputError):
    """A registry, decision or profile (or an analyst's entry) that is not valid."""

    code = "actor_input_error"


# --- confidence-building measures ------------------------------------------------------------------------------------


class CatalogueError(InputError):
    """A catalogue file or an added measure is invalid. ``measure_id`` names the measure when there is one."""

    code = "catalogue_error"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        measure_id: str | None = None,
    ) -> None:
        self.measure_id = measure_id
        if measure_id is not None:
            message = f"measure {measure_id!r}: {message}"
        super().__init__(message, path=path, line=line, field=field)


class TrustInputError(InputError):
    """Evidence the trust model cannot use (an unknown party, a value out of range)."""

    code = "trust_input_error"


class PlanningError(InputError):
    """Bad planner or simulator input: unknown party or measure, an impossible goal, an empty catalogue."""

    code = "cbm_planning_error"


class ReplayError(StoreError):
    """A stored trust history does not recompute to the values it records (tampering or a changed model)."""

    code = "trust_replay_error"


# --- early warning ---------------------------------------------------------------------------------------------------


class UnknownConfigError(NotFoundError):
    """No backtest or forecast configuration has this name."""

    code = "unknown_config"


class WarningDataError(InputError):
    """A panel source (UCDP BRD/ACD table, Early Warning Project table, covariates) is missing columns or values."""

    code = "warning_data"


# --- verification ----------------------------------------------------------------------------------------------------


class IllegalTransition(InputError):
    """A transition the agreed violation procedure does not allow from the current state."""

    code = "illegal_transition"


class ProposalClosed(ConflictError):
    """The proposal can no longer be decided — accepted, declined or expired already, this party decided already, or
    the commitment it would change is no longer in force."""

    code = "proposal_closed"


class NotInForce(ConflictError):
    """The commitment is not in force (a proposal awaiting acceptance, declined, expired, amended or withdrawn):
    nothing is assessed, alleged or changed on it."""

    code = "not_in_force"


class LedgerError(DetenteError):
    """Base of every transparency-log error: what was presented does not verify."""

    code = "ledger_error"
    status = 422


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
    status = 409


class UnknownLogError(WitnessRefusal):
    """The witness does not know the checkpoint's origin, or the log signature does not verify."""

    code = "unknown_log"


class UnknownOriginError(UnknownLogError):
    """The witness does not witness the checkpoint's origin at all (HTTP 404)."""

    code = "unknown_origin"
    status = 404


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


class WitnessProtocolError(LedgerError):
    """A tlog-witness request or answer is malformed (HTTP 400 at the witness)."""

    code = "witness_protocol"


class WitnessUnreachable(LedgerError):
    """A witness did not answer, or answered with something other than a cosignature or a refusal."""

    code = "witness_unreachable"
    status = 502
    exit_code = 1


class KeyChangedError(LedgerError):
    """A key pinned before (known keys, trust on first use) is not the key presented now."""

    code = "key_changed"
    status = 409
    exit_code = 1


class BundleError(LedgerError):
    """A bundle cannot be written or read at all (verification findings are reported, not raised)."""

    code = "bundle_error"
