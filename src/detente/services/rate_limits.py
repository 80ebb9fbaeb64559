"""Rate limits shared by every server process: each counted attempt is a row in the database (``rate_limit_hits``),
so two workers behind one proxy, or two servers on one PostgreSQL database, enforce one limit together.

A limiter counts attempts per key within a sliding window; a request is refused when any of its keys (e.g. the
client address and the account) is at the limit. Two processes counting at the same instant may each let one
attempt through past the limit: the limit is a brake on guessing, not an exact quota."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from detente.clock import Clock
from detente.db import Database
from detente.db import rate_limits as limits_db
from detente.errors import RateLimited

__all__ = ["SharedRateLimiter"]


class SharedRateLimiter:
    """At most ``limit`` attempts per key within ``window``; ``name`` namespaces this limiter's keys."""

    def __init__(self, db: Database, name: str, limit: int, window: timedelta, clock: Clock) -> None:
        self.db = db
        self.prefix = f"{name}:"
        self.limit = limit
        self.window = window
        self.clock = clock

    def hit(self, *keys: str) -> None:
        """Count one attempt under every key; raise :class:`RateLimited` (nothing counted) when one is at the limit."""
        self._apply(keys, count=True)

    def check(self, *keys: str) -> None:
        """Raise :class:`RateLimited` when a key is at the limit, without counting an attempt."""
        self._apply(keys, count=False)

    def record(self, *keys: str) -> None:
        """Count one attempt (e.g. a failed one) without refusing it."""
        with self.db.transaction(write=True) as s:
            limits_db.add_hits(s, [self.prefix + k[:150] for k in keys], self.clock())

    def _apply(self, keys: Sequence[str], *, count: bool) -> None:
        now = self.clock()
        horizon = now - self.window
        full = [self.prefix + k[:150] for k in keys]
        with self.db.transaction(write=True) as s:
            limits_db.prune(s, self.prefix, horizon)
            for key in full:
                hits, oldest = limits_db.hits_since(s, key, horizon)
                if hits >= self.limit:
                    wait = (oldest - horizon).total_seconds() if oldest is not None else self.window.total_seconds()
                    raise RateLimited("too many attempts; try again later", retry_after=max(1, int(wait) + 1))
            if count:
                limits_db.add_hits(s, full, now)
