"""Helpers shared by the test suites: a clock that moves only when told to, and the PostgreSQL test server.

PostgreSQL tests skip with a reason when the server is unreachable, unless ``DETENTE_REQUIRE_POSTGRES=1`` (CI),
where they fail. The server is ``DETENTE_TEST_POSTGRES_URL`` or the local default below.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from detente.sealing.envelope import new_data_key, open_bytes, seal_bytes
from detente.verification.evidence import EvidenceStore

__all__ = ["SERVER_URL", "FakeClock", "admin_execute", "postgres_problem", "sealed_evidence_store"]

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


def sealed_evidence_store(root: Path, *, max_bytes: int | None = None) -> EvidenceStore:
    """An evidence store sealing with a data key of its own (the application's seals with the process's key)."""
    key = new_data_key("process:1")
    return EvidenceStore(
        root,
        seal=lambda data, digest: seal_bytes(key, f"evidence:{digest}", data),
        open=lambda sealed, digest: open_bytes(lambda _: key, f"evidence:{digest}", sealed),
        **({} if max_bytes is None else {"max_bytes": max_bytes}),
    )
