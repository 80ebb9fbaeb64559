"""Optimistic concurrency for read-modify-write use cases (several server processes on one database).

Edited rows carry a version and revisions are numbered: a write made from stale state collides (a version that no
longer matches, a revision number already taken) and the transaction fails as a whole with a conflict. The use case
then runs again on the latest state, so concurrent edits are applied one after the other and none is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from detente.errors import ConflictError, StaleState

__all__ = ["retrying"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def _concurrent(exc: ConflictError) -> bool:
    """A write that lost a race: stale state, or a key taken by a concurrent insert (the database's plain
    conflict); a conflict a use case states itself (a decision contradicting the log) is no race."""
    return isinstance(exc, StaleState) or type(exc) is ConflictError


def retrying(work: Callable[[], T], attempts: int = 10) -> T:
    """Run ``work`` (one transaction) again when a concurrent writer got there first, backing off a little longer
    each time (2, 4, 8 … ms, at most about a second in all) so that the writers fall out of step."""
    for attempt in range(attempts - 1):
        try:
            return work()
        except ConflictError as exc:
            if not _concurrent(exc):
                raise
            log.info("a concurrent writer got there first (%s); attempt %d of %d", exc, attempt + 2, attempts)
            time.sleep(0.002 * 2**attempt)
    return work()
