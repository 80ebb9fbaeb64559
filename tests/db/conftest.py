"""Storage fixtures beyond the shared ones in ``tests/conftest.py`` (database_url on each backend, db, clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from detente.db.users import AccountPolicy


@pytest.fixture
def policy() -> AccountPolicy:
    """Argon2id still, with cheap parameters so the suite stays fast."""
    return AccountPolicy(
        max_failures=3,
        lockout=timedelta(minutes=10),
        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )
