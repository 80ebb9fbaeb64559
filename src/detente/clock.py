"""The one clock: every timestamp Détente writes comes from a :data:`Clock` handed in by a composition root.

The shells (the web application factory, the CLI) create :func:`system_clock` once and pass it down; tests pass a
clock that moves only when told to, so logs, plans and audit trails are reproducible. Nothing below the shells reads
the wall clock itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "system_clock"]

#: a callable returning the current time, timezone-aware (UTC)
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC. Only composition roots (``detente.web.app``, ``detente.cli``) refer to it."""
    return datetime.now(UTC)
