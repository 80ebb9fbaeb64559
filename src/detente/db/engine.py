"""Engines and transactions: SQLite in the workspace by default, PostgreSQL through ``DETENTE_DATABASE_URL``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from detente.clock import Clock
from detente.config import Settings
from detente.errors import ConfigError, ConflictError, InputError, StoreError
from detente.text import first_bad_text

if TYPE_CHECKING:
    from detente.db.keyring import Keyring

__all__ = ["SQLITE_FILENAME", "Database", "database_url", "make_engine"]

#: the application database inside a workspace
SQLITE_FILENAME = "detente.sqlite3"


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL the settings name: ``database_url`` when set, else the workspace's SQLite file."""
    if settings.database_url:
        return settings.database_url
    path = Path(settings.workspace).resolve() / SQLITE_FILENAME
    return f"sqlite+pysqlite:///{path}"


#: execution option asking SQLite to take the write lock when the transaction begins
_IMMEDIATE = "detente_sqlite_immediate"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, begins transactions (see _sqlite_begin): pysqlite's own implicit BEGIN is off
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut, not only a crashed process
    finally:
        cursor.close()


def _refuse_bad_text(
    _conn: Connection, _cursor: Any, _statement: str, parameters: Any, context: Any, _executemany: bool
) -> None:
    """The last guard before the database: no NUL character or lone surrogate in a text parameter (PostgreSQL
    refuses NUL, neither database encodes a lone surrogate). The shells refuse such input earlier, naming the
    field; this catches whatever came another way (a multipart form's text field, the CLI), naming the column."""
    named = getattr(context, "compiled_parameters", None)
    rows: list[Any] = list(named) if named else [parameters]
    for row in rows:
        items = (
            row.items()
            if isinstance(row, dict)
            else ((None, v) for v in (row if isinstance(row, list | tuple) else ()))
        )
        for name, value in items:
            if isinstance(value, str | dict | list):  # text, or a JSON column's document
                found = first_bad_text(value)
                if found is not None:
                    field = _PARAM_SUFFIX.sub("", name) if isinstance(name, str) else None
                    raise InputError(found[1], field=field)


#: SQLAlchemy's bind names: the column, sometimes with a number (``title_1``)
_PARAM_SUFFIX = re.compile(r"_\d+$")


def _sqlite_begin(conn: Connection) -> None:
    """Begin explicitly: a writing transaction takes SQLite's write lock up front (``BEGIN IMMEDIATE``, waiting up
    to the busy timeout), so two writers queue instead of one failing when it upgrades a read snapshot."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600; SQLite gives its WAL and shared-memory files the
    same mode), its folder 0700 when it makes it. An existing file is left as it is."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise ConfigError(f"DETENTE_DATABASE_URL: cannot create {path} ({exc.strerror or exc})") from exc
    os.close(fd)


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
        _private_file(Path(parsed.database))
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _refuse_bad_text)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "before_cursor_execute", _refuse_bad_text)
        return engine
    raise ConfigError(f"DETENTE_DATABASE_URL: unsupported database {backend!r} (use sqlite or postgresql)")


def _describe(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Database:
    """The application database: an engine, a session factory and the clock the repositories use.

    Every write runs inside :meth:`transaction`: all of it is committed, or none of it. Open one with
    :func:`detente.db.open_database` (which brings the schema up to date first).
    """

    def __init__(self, engine: Engine, *, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        #: opens and seals the sensitive fields (:mod:`detente.db.keyring`); None when no master key was given
        self.keyring: Keyring | None = None
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """A session inside one transaction: committed when the block ends, rolled back when it raises.

        ``write=True`` marks a unit of work that writes: on SQLite it takes the write lock when it begins, so
        concurrent writers (several server processes on one file) wait their turn rather than fail midway.
        A write that collides with stored data leaves as :class:`ConflictError`, any other database error as
        :class:`StoreError` (the original chained).
        """
        session = self._sessions()
        try:
            with session.begin():
                if write and self.backend == "sqlite":
                    session.connection(execution_options={_IMMEDIATE: True})
                yield session
        except IntegrityError as exc:
            raise ConflictError(f"conflicts with stored data: {_describe(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_describe(exc)}") from exc
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
