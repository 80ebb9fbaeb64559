"""Computing the watchlist in bounded time: one background worker, results cached per store version and as-of.

A request waits at most ``wait_seconds`` for the result; if the computation is still running it gets a
:class:`Pending` answer (the page then refreshes itself, the API answers 202) and the worker carries on. The
computation itself is bounded by ``budget_seconds`` (the backtest stops adding origins past it). Finished
watchlists are also cached on disk by :func:`detente.warning.watchlist.store_watchlist`, so a restart is cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from detente.access import Action
from detente.events.store import open_store
from detente.services.authz import require_events
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.warning.store_config import StoreConfig, manifest_version
from detente.warning.watchlist import store_watchlist

__all__ = ["Pending", "WatchlistService", "engine", "watchlist"]


@dataclass(frozen=True)
class Pending:
    """The watchlist is being computed since ``started_at``."""

    started_at: datetime
    retry_after: int = 5


class WatchlistService:
    def __init__(
        self,
        workspace: Path | str,
        clock: Callable[[], datetime],
        *,
        config: StoreConfig | None = None,
        wait_seconds: float = 20.0,
        budget_seconds: float = 60.0,
    ) -> None:
        self.workspace = Path(workspace)
        self.clock = clock
        self.config = config or StoreConfig()
        self.wait_seconds = wait_seconds
        self.budget_seconds = budget_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detente-watchlist")
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str, str], tuple[datetime, Future[dict[str, Any]]]] = {}
        self._done: dict[tuple[str, str, str], dict[str, Any]] = {}

    def _key(self, as_of: str | None, now: datetime) -> tuple[str, str, str]:
        version = manifest_version(open_store(self.workspace).manifest().to_json())
        return version, as_of or "latest", now.strftime("%Y-%m")

    def get(self, as_of: str | None = None) -> dict[str, Any] | Pending:
        """The watchlist, or :class:`Pending` when it takes longer than ``wait_seconds``; errors are re-raised."""
        now = self.clock()
        key = self._key(as_of, now)
        with self._lock:
            if key in self._done:
                return self._done[key]
            if key not in self._jobs:
                job = self._pool.submit(
                    store_watchlist,
                    self.workspace,
                    now=now,
                    as_of=as_of,
                    config=self.config,
                    budget_seconds=self.budget_seconds,
                )
                self._jobs[key] = (now, job)
            started, job = self._jobs[key]
        try:
            doc = job.result(timeout=self.wait_seconds)
        except FutureTimeout:
            return Pending(started)
        except BaseException:
            with self._lock:
                self._jobs.pop(key, None)  # a failed computation is tried again on the next request
            raise
        with self._lock:
            self._done[key] = doc
            self._jobs.pop(key, None)
        return doc


def _seconds(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def engine(app: AppContext) -> WatchlistService:
    """The workspace's watchlist computer (one per application; a deployment or a test may put a
    ``watchlist.config`` and wait/budget seconds in ``app.extras``)."""
    found = app.extras.get("watchlist.service")
    if isinstance(found, WatchlistService):
        return found
    config = app.extras.get("watchlist.config")
    made = WatchlistService(
        app.workspace,
        app.clock,
        config=config if isinstance(config, StoreConfig) else None,
        wait_seconds=_seconds(app.extras.get("watchlist.wait_seconds"), 20.0),
        budget_seconds=_seconds(app.extras.get("watchlist.budget_seconds"), 60.0),
    )
    app.extras["watchlist.service"] = made
    return made


def watchlist(app: AppContext, caller: Caller, as_of: str | None = None) -> dict[str, Any] | Pending:
    """The watchlist of the workspace's event store (any signed-in user: it holds no labelled record)."""
    require_events(caller, Action.SEARCH)
    return engine(app).get(as_of)
