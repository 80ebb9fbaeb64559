"""Helpers shared by the test suites: a clock that moves only when told to, and the PostgreSQL test server.

PostgreSQL tests skip with a reason when the server is unreachable, unless ``DETENTE_REQUIRE_POSTGRES=1`` (CI),
where they fail. The server is ``DETENTE_TEST_POSTGRES_URL`` or the local default below.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["SERVER_URL", "FakeClock", "admin_execute", "postgres_problem"]

SERVER_URL = os.environ.get("DETENTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

_server_problem: list[str] = []


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def postgres_problem() -> str | None:
    """None when the server answers, else why not (checked once per test session)."""
    if not _server_problem:
        engine = create_engine(SERVER_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _server_problem.append("")
        except SQLAlchemyError as exc:
            _server_problem.append(str(exc).splitlines()[0])
        finally:
            engine.dispose()
    return _server_problem[0] or None


def admin_execute(statement: str) -> None:
    """Run one statement on the server's maintenance database, outside a transaction."""
    engine = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
