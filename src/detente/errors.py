"""The one exception tree of Détente.

Every error raised on purpose by Détente derives from :class:`DetenteError`. Adapters translate third-party
exceptions into these (``raise ... from exc``); the CLI and the web layer map them to one message or JSON shape.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "ConflictError",
    "DetenteError",
    "FormatError",
    "InputError",
    "NotFoundError",
    "StoreError",
]


class DetenteError(Exception):
    """Base of every error Détente raises on purpose."""

    #: short machine-readable code, used by the JSON error shape and the CLI exit message
    code: str = "detente_error"


class ConfigError(DetenteError):
    """A setting (environment variable ``DETENTE_*`` or option) is missing or invalid."""

    code = "config_error"


class InputError(DetenteError):
    """Bad input data. Names the file and, where known, the line and the field."""

    code = "input_error"

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
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"field {self.field!r}: " if self.field else ""
        return f"{where}{field}{self.reason}"


class FormatError(InputError):
    """The file is not in the format given, or no known format matches it."""

    code = "format_error"


class StoreError(DetenteError):
    """The workspace or the event store is unusable (corrupt manifest, locked, wrong version)."""

    code = "store_error"


class ConflictError(StoreError):
    """A write collides with stored data (a name already taken, a constraint violated)."""

    code = "conflict"


class NotFoundError(DetenteError):
    """A named thing does not exist (or the caller may not know that it does)."""

    code = "not_found"
