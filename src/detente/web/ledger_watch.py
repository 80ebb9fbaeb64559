"""The check ``detente serve`` schedules: every record of every process against its log, every few minutes.

A daemon thread runs :func:`detente.services.record_checks.audit_all` once at start and then every
``DETENTE_LEDGER_AUDIT_MINUTES`` (60 by default; 0 turns it off). What it finds goes to the audit trail as
``record.mismatch`` alerts (once per record and hour) and to the ``detente.ledger`` logger, so an operator's log
monitoring sees it too; a failing run is logged and the next one still happens.
"""

from __future__ import annotations

import logging
import threading

from detente.services.context import AppContext
from detente.services.record_checks import audit_all

__all__ = ["LedgerWatch"]

_LOG = logging.getLogger("detente.ledger")


class LedgerWatch:
    """Runs the check on a schedule until :meth:`stop`; ``runs`` counts completed checks."""

    def __init__(self, app: AppContext, every_seconds: float) -> None:
        if every_seconds <= 0:
            raise ValueError("the interval must be positive")
        self.app, self.every = app, every_seconds
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="detente-ledger-watch", daemon=True)

    def start(self) -> LedgerWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def check_once(self) -> int:
        """One check of every process; the number of problems found."""
        problems = 0
        for found in audit_all(self.app):
            for line in found.tree:
                _LOG.error("log %s (process %s): %s", found.origin, found.process_id, line)
            for record in found.records:
                _LOG.error("process %s: %s", found.process_id, record.message)
            problems += len(found.tree) + len(found.records)
        self.runs += 1
        return problems

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except Exception:  # the watch must outlive one failed run
                _LOG.exception("the scheduled check of the records against the log failed")
            self._stop.wait(self.every)
