"""Rotating the keys that seal what is stored: the master key, and the data keys of processes (ADR 0024).

Only the operator at the installation's command line rotates keys: the master key lives on that machine (a key
file, or the environment of the server), never in the database, so no web request can reach it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from detente.db.keyring import retire_data_keys, rewrap_all
from detente.db.sealed import INSTANCE, process_domain
from detente.errors import AccessDenied, InputError
from detente.sealing.envelope import MASTER_SIZE, MasterKey
from detente.sealing.master import MasterKeys, write_key_file
from detente.services.audit import audit
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = ["DataKeyRotation", "MasterRotation", "rotate_data_keys", "rotate_master"]


class MasterRotation(BaseModel):
    old: str  # fingerprints, never keys
    new: str
    data_keys: int
    signing_keys: int
    key_file: str  # where the new key is now
    restart_needed: bool  # the key came from the environment: set it to the new key and restart


class DataKeyRotation(BaseModel):
    retired: int
    domains: list[str]


def _operator_only(caller: Caller) -> None:
    if caller.via != "operator":
        raise AccessDenied("keys are rotated by the operator at the installation's command line")


@dataclass(frozen=True)
class _Target:
    path: Path
    final: Path | None  # renamed to this once the database has committed (the configured key file)


def _target(masters: MasterKeys, new_key_file: Path | None) -> _Target:
    if new_key_file is not None:
        if new_key_file.exists():
            raise InputError(f"{new_key_file}: exists already; give a new file for the new key", field="new_key_file")
        return _Target(new_key_file, None)
    if masters.file is None or masters.next_file is None:
        raise InputError(
            "the master key comes from DETENTE_MASTER_KEY: give --new-key-file for the new one", field="new_key_file"
        )
    if masters.next_file.exists():
        raise InputError(f"{masters.next_file}: an earlier rotation left it; move it away first", field="new_key_file")
    return _Target(masters.next_file, masters.file)


def rotate_master(app: AppContext, caller: Caller, *, new_key_file: Path | None = None) -> MasterRotation:
    """Make a new master key, re-wrap every data key and re-seal every signing key under it in one transaction.

    With a key file configured (the workspace's by default) the new key replaces it once the database has committed;
    with ``new_key_file`` (needed when the key comes from the environment) it is written there and the old one left
    in place: point ``DETENTE_MASTER_KEY``/``DETENTE_MASTER_KEY_FILE`` at it before the next start."""
    _operator_only(caller)
    keyring = app.keyring()
    old = keyring.master()
    target = _target(keyring.masters, new_key_file)
    new = MasterKey(os.urandom(MASTER_SIZE))
    write_key_file(target.path, new.secret)
    try:
        with app.db.transaction(write=True) as s:
            keyring.current(s.connection(), INSTANCE)  # seals the audit event below: made before the re-wrap
            done = rewrap_all(s.connection(), old, new, at=app.clock())
            audit(
                s, app, caller, "keys.master_rotated",
                detail={"old": old.fingerprint, "new": new.fingerprint, "data_keys": done.data_keys,
                        "signing_keys": done.signing_keys},
            )  # fmt: skip
    except BaseException:
        target.path.unlink(missing_ok=True)  # nothing changed in the database: the new key is not needed
        raise
    if target.final is not None:
        target.path.replace(target.final)
    keyring.masters = (
        MasterKeys.load(app.workspace) if target.final is not None else MasterKeys("new key file", None, (new,))
    )
    keyring.forget()
    app.extras.pop("vault", None)
    return MasterRotation(
        old=old.fingerprint,
        new=new.fingerprint,
        data_keys=done.data_keys,
        signing_keys=done.signing_keys,
        key_file=str(target.final or target.path),
        restart_needed=target.final is None,
    )


def rotate_data_keys(app: AppContext, caller: Caller, *, process_ids: list[int] | None = None) -> DataKeyRotation:
    """Retire the current data keys (of the given processes, or all): new values are sealed with new keys from the
    next write on; what the retired keys sealed still opens. Servers pick up the change within a minute."""
    _operator_only(caller)
    domains = None if process_ids is None else [process_domain(p) for p in process_ids]
    keyring = app.keyring()
    with app.db.transaction(write=True) as s:
        retired = retire_data_keys(s.connection(), domains, at=app.clock())
        audit(s, app, caller, "keys.data_rotated", detail={"retired": retired, "domains": domains or ["all"]})
    keyring.forget()
    return DataKeyRotation(retired=retired, domains=domains or ["all"])
