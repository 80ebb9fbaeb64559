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
from detente.db.users import DEFAULT_POLICY, AccountPolicy
from detente.verification.evidence import EvidenceStore
from detente.verification.keys import KeyVault, load_vault_secret
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

    def vault(self) -> KeyVault:
        """The key vault sealing the process logs' and users' signing keys and the second factors' seeds (its secret
        lives in the workspace)."""
        vault = self.extras.get("vault")
        if not isinstance(vault, KeyVault):
            vault = KeyVault(load_vault_secret(self.workspace))
            self.extras["vault"] = vault
        return vault

    def evidence(self) -> EvidenceStore:
        """The content-addressed store of evidence files."""
        return EvidenceStore(self.workspace)

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
