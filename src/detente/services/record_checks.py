"""Every record a page or an API answer shows, checked against its log entry first (``detente.db.record_check``).

A read use case passes the rows it is about to show to :func:`vouch` in its transaction. A row that disagrees with
the log is still shown by the pages — under a banner naming what differs, so that people see what the database now
says and that it is not what was logged — while the JSON API refuses to pass it on (:func:`refuse_disagreement`,
``record_mismatch``, HTTP 424). Each disagreement raises an audit alert (``record.mismatch``, mediators only), once
per record and hour so that a busy page does not flood the trail; ``detente ledger audit`` and the check scheduled
in ``serve`` (:func:`audit_process`) look at every row of a process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from detente.access import Label
from detente.db import ledger as ldb
from detente.db.audit import recent_targets
from detente.db.record_check import Disagreement, check_process, check_rows
from detente.errors import RecordMismatch
from detente.services.audit import audit
from detente.services.caller import Caller, operator
from detente.services.context import AppContext
from detente.services.verification_models import LogCheckOut

__all__ = ["ALERT", "LedgerAuditOut", "LogCheckOut", "audit_all", "audit_process", "refuse_disagreement", "vouch"]

#: the audit action of a record that disagrees with its log entry
ALERT = "record.mismatch"
_QUIET = timedelta(hours=1)


class LedgerAuditOut(BaseModel):
    process_id: int
    origin: str
    entries: int
    #: problems with the stored tree itself (entries, subtrees, checkpoints)
    tree: list[str]
    #: records whose SQL row disagrees with their log entry
    records: list[LogCheckOut]

    @property
    def ok(self) -> bool:
        return not self.tree and not self.records


def _out(d: Disagreement) -> LogCheckOut:
    return LogCheckOut(kind=d.kind, record_id=d.record_id, log_index=d.log_index, fields=list(d.fields),
                       message=d.message())  # fmt: skip


def _alert(s: Session, app: AppContext, caller: Caller, process_id: int, found: Sequence[Disagreement]) -> None:
    recent = recent_targets(s, ALERT, process_id, app.clock() - _QUIET)
    for d in found:
        if d.target in recent:
            continue
        recent.add(d.target)
        audit(s, app, caller, ALERT, target=d.target, process_id=process_id, label=Label.mediators_only(),
              detail={"log_index": d.log_index, "fields": list(d.fields), "message": d.message()})  # fmt: skip


def vouch(s: Session, app: AppContext, caller: Caller, process_id: int, **rows: Any) -> list[LogCheckOut]:
    """Check the rows about to be shown (``commitments=…, reports=…, assessments=…, violations=…, keys=…``)."""
    found = check_rows(s, process_id, **rows)
    if found:
        _alert(s, app, caller, process_id, found)
    return [_out(d) for d in found]


def refuse_disagreement(checks: Sequence[LogCheckOut]) -> None:
    """For the JSON API: no answer built on a record that disagrees with the log."""
    if checks:
        shown = "; ".join(c.message for c in checks[:5])
        more = f" (and {len(checks) - 5} more)" if len(checks) > 5 else ""
        raise RecordMismatch(f"the stored records disagree with the process's log: {shown}{more}")


def audit_process(app: AppContext, process_id: int, *, via: str = "cli") -> LedgerAuditOut:
    """The whole log recomputed from its entries, and every record of the process compared with its entry."""
    caller = operator(via)
    with app.db.transaction() as s:
        log = ldb.get_log(s, process_id)
        tree = ldb.audit_log(s, process_id)
        found = check_process(s, process_id)
        if found:
            _alert(s, app, caller, process_id, found)
        return LedgerAuditOut(process_id=process_id, origin=log.origin, entries=log.size,
                              tree=list(tree.problems), records=[_out(d) for d in found])  # fmt: skip


def audit_all(app: AppContext, *, via: str = "scheduled") -> list[LedgerAuditOut]:
    """:func:`audit_process` for every process that has a log (the check ``serve`` schedules)."""
    with app.db.transaction() as s:
        ids = ldb.logged_processes(s)
    return [audit_process(app, pid, via=via) for pid in ids]
