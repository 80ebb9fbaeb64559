"""Engines and transactions: SQLite in the workspace by default, PostgreSQL through ``DETENTE_DATABASE_URL``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from detente.config import Settings
from detente.db.types import Clock, utc_now
from detente.errors import ConfigError, ConflictError, StoreError

__all__ = ["SQLITE_FILENAME", "Database", "database_url", "make_engine"]

#: the application database inside a workspace
SQLITE_FILENAME = "detente.sqlite3"


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL the settings name: ``database_url`` when set, else the workspace's SQLite file."""
    if settings.database_url:
        return settings.database_url
    path = Path(settings.workspace).resolve() / SQLITE_FILENAME
    return f"sqlite+pysqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite: WAL journal, foreign keys enforced, the parent folder created.

    Other backends than SQLite and PostgreSQL are refused (only these two pass the conformance suite).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DETENTE_DATABASE_URL: not a database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigError("DETENTE_DATABASE_URL: SQLite needs a file (an in-memory database is not shared)")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(f"DETENTE_DATABASE_URL: unsupported database {backend!r} (use sqlite or postgresql)")


def _describe(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Database:
    """The application database: an engine, a session factory and the clock the repositories use.

    Every write runs inside :meth:`transaction`: all of it is committed, or none of it.
    """

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, clock: Clock = utc_now, migrate: bool = True) -> Database:
        """Open the database at ``url``; with ``migrate`` (the default) bring its schema to the newest revision."""
        if migrate:
            from detente.db.migrate import migrate as run_migrations

            run_migrations(url)
        return cls(make_engine(url), clock=clock)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = utc_now, migrate: bool = True) -> Database:
        return cls.open(database_url(settings), clock=clock, migrate=migrate)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed when the block ends, rolled back when it raises.

        Database errors leave as :class:`StoreError` (the original chained).
        """
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except IntegrityError as exc:
            raise ConflictError(f"conflicts with stored data: {_describe(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_describe(exc)}") from exc
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
