"""Make the ledger test helpers importable as ``ledger_helpers``; the key vault fixture. Storage fixtures
(``database_url`` on SQLite and PostgreSQL, ``db``, ``clock``) come from ``tests/conftest.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from detente.verification.keys import KeyVault


@pytest.fixture
def vault() -> KeyVault:
    return KeyVault(bytes(range(32)))
