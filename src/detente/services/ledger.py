"""The transparency log as the operator hands it out: a bundle of a process's log for one reader (entries of records
they may not read are withheld, leaf hash only), or the operator's own full backup."""

from __future__ import annotations

from pathlib import Path

from detente import access
from detente.access import Action, Resource
from detente.db import ledger as ldb
from detente.db import processes as proc_db
from detente.db import users as users_db
from detente.db.models import Process
from detente.errors import InputError
from detente.services.audit import audit
from detente.services.authz import hidden, require
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = ["export_bundle"]


def export_bundle(
    app: AppContext, caller: Caller, process_id: int, out: Path, *, reader: str | None, checkpoint: bool = True
) -> Path:
    """Write the process's log as a bundle at ``out``.

    With ``reader`` (a username) the bundle holds only what that user may read (readable labels from ``access``),
    and the caller must be that user or may administer the process (the operator exporting on someone's behalf).
    Without it the bundle holds every entry: the process administrators' (and the operator's) backup."""
    with app.db.transaction(write=True) as s:
        if s.get(Process, process_id) is None:
            require(caller, Action.READ, Resource.process(process_id))
            raise hidden()
        labels: frozenset[str] | None = None
        if reader is not None:
            user = users_db.get_user_by_username(s, reader)
            if user is None:
                raise InputError(f"no user named {reader!r}", field="for")
            if user.id != caller.user_id:
                require(caller, Action.ADMINISTER, Resource.process(process_id))
            subject = proc_db.load_subject(s, user.id)
            labels = access.readable_label_texts(subject, process_id, proc_db.party_ids(s, process_id))
        else:
            require(caller, Action.ADMINISTER, Resource.process(process_id))
        log = ldb.get_log(s, process_id)
        if checkpoint:
            ldb.sign_log_checkpoint(s, log.id, app.vault(), clock=app.clock)
        path = ldb.export_log(s, process_id, out, readable_labels=labels)
        audit(s, app, caller, "ledger.exported", target=f"process:{process_id}", process_id=process_id,
              detail={"for": reader, "size": log.size, "full": reader is None})  # fmt: skip
        return path
