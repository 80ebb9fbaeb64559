"""Shared fixtures: real data from ../shared (skip without it, unless DETENTE_REQUIRE_SHARED_DATA=1), a fresh workspace,
a controllable clock, and an empty database on each storage backend (SQLite file, PostgreSQL database of its own)."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from detente.db import Database, migrate, open_database
from support import SERVER_URL, FakeClock, admin_execute, postgres_problem

REPO = Path(__file__).resolve().parents[1]


def _shared_root() -> Path:
    override = os.environ.get("DETENTE_SHARED_DIR")
    return Path(override) if override else REPO.parent / "shared"


def _require(path: Path) -> Path:
    if path.exists():
        return path
    if os.environ.get("DETENTE_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(f"DETENTE_REQUIRE_SHARED_DATA=1 but {path} is missing")
    pytest.skip(f"real data not available ({path} missing; see ../shared in the README)")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``shared/data`` folder of real public data."""
    return _require(_shared_root() / "data")


@pytest.fixture(scope="session")
def shared_conformance() -> Path:
    """The ``shared/conformance`` folder (RFC 6962 vectors)."""
    return _require(_shared_root() / "conformance")


@pytest.fixture(autouse=True)
def _known_keys(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`detente ledger verify` pins keys in a file of its own per test, never in the user's config directory."""
    monkeypatch.setenv("DETENTE_KNOWN_KEYS", str(tmp_path_factory.mktemp("known") / "known_keys"))


_SESSION_MASTER_KEY = base64.b64encode(os.urandom(32)).decode("ascii")
os.environ["DETENTE_MASTER_KEY"] = _SESSION_MASTER_KEY  # also for fixtures wider than a test, set up before any test


@pytest.fixture(autouse=True)
def _master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A master key (``DETENTE_MASTER_KEY``), so a database opened by URL alone still opens its sealed fields; tests
    of the workspace's key file remove it. One per test session: module-scoped worlds outlive a test."""
    monkeypatch.setenv("DETENTE_MASTER_KEY", _SESSION_MASTER_KEY)
    monkeypatch.delenv("DETENTE_MASTER_KEY_FILE", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh, empty workspace directory per test."""
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    problem = postgres_problem()
    if problem is not None:
        message = f"PostgreSQL not reachable at {make_url(SERVER_URL).render_as_string()}: {problem}"
        if os.environ.get("DETENTE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"DETENTE_REQUIRE_POSTGRES=1 but {message}")
        pytest.skip(message)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"detente_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, workspace: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{workspace / 'detente.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def db(database_url: str, clock: FakeClock, workspace: Path) -> Iterator[Database]:
    """A migrated database on each backend (its sealed fields opened with the workspace's master key)."""
    migrate(database_url, workspace=workspace)
    database = open_database(database_url, clock=clock, upgrade=False, workspace=workspace)
    try:
        yield database
    finally:
        database.close()
