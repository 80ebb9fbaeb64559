"""What every use case runs against: the database, the workspace, the clock and the account policy.

One :class:`AppContext` is built by a composition root (the web application factory, a CLI command) with
:func:`open_context` and handed to the services; the web layer's own context extends it with what only HTTP needs.
The workspace holds the event store, content-addressed evidence files and sealed keys; everything else is in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from detente.clock import Clock
from detente.config import Settings
from detente.db import Database, open_database
from detente.db.keyring import Keyring, attach_keyring
from detente.db.sealed import process_domain
from detente.db.users import DEFAULT_POLICY, AccountPolicy
from detente.sealing.envelope import seal_bytes
from detente.sealing.master import MasterKeys
from detente.verification.evidence import EvidenceStore
from detente.verification.keys import KeyVault
from detente.workspace import Workspace

__all__ = ["AppContext", "open_context"]


@dataclass
class AppContext:
    """The application's resources, shared by every use case of one running application."""

    db: Database
    workspace: Path
    clock: Clock
    policy: AccountPolicy = DEFAULT_POLICY
    #: who must set up a second factor before doing anything (``DETENTE_REQUIRE_SECOND_FACTOR``): admin, mediator
    second_factor_groups: frozenset[str] = frozenset()
    #: per-application caches (the key vault, the actor service, the explorer's queries), keyed by name
    extras: dict[str, object] = field(default_factory=dict)

    def keyring(self) -> Keyring:
        """The data keys that seal the sensitive fields, opened with the master key (ADR 0024)."""
        if self.db.keyring is None:
            self.db.keyring = attach_keyring(self.db.engine, MasterKeys.load(self.workspace), clock=self.clock)
        return self.db.keyring

    def vault(self) -> KeyVault:
        """The key vault sealing the process logs' and users' signing keys and the second factors' seeds, with the
        master key."""
        vault = self.extras.get("vault")
        if not isinstance(vault, KeyVault):
            vault = KeyVault(self.keyring().master().secret)
            self.extras["vault"] = vault
        return vault

    def evidence(self, process_id: int) -> EvidenceStore:
        """The process's evidence files: content-addressed, sealed with the process's data key."""
        keyring, engine = self.keyring(), self.db.engine
        domain = process_domain(process_id)

        def seal(data: bytes, digest: str) -> bytes:
            with engine.begin() as conn:  # the process's first sealed value makes its key
                return seal_bytes(keyring.current(conn, domain), f"evidence:{digest}", data)

        def open_(sealed: bytes, digest: str) -> bytes:
            return keyring.open_bytes(f"evidence:{digest}", sealed)

        return EvidenceStore(self.workspace / "evidence" / f"process-{process_id}", seal=seal, open=open_)

    def close(self) -> None:
        self.db.close()


def open_context(settings: Settings, *, clock: Clock, policy: AccountPolicy = DEFAULT_POLICY) -> AppContext:
    """Open (creating it when new) the settings' workspace and its database, migrated to the newest revision."""
    workspace = Workspace.open(settings.workspace, create=True)
    db = open_database(settings, clock=clock)
    return AppContext(
        db=db,
        workspace=workspace.root,
        clock=clock,
        policy=policy,
        second_factor_groups=settings.second_factor_groups,
    )
