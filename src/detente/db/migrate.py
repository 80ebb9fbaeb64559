"""Run the schema migrations shipped in the package, programmatically (no ``alembic.ini`` needed)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from detente.db.engine import make_engine
from detente.errors import StoreError

__all__ = ["current_revision", "head_revision", "migrate"]


def _config() -> Config:
    config = Config()
    location = resources.files("detente.db") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    """The newest revision this version of Détente knows.

    Capabilities may add migrations on parallel branches from a common revision; then this is their heads, sorted
    and joined by ``+`` (the same form :func:`current_revision` gives for a database migrated to all of them).
    """
    heads = ScriptDirectory.from_config(_config()).get_heads()
    assert heads
    return "+".join(sorted(heads))


def current_revision(url_or_engine: str | Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            return "+".join(sorted(heads)) if heads else None
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the schema revision: {exc}") from exc
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def migrate(url_or_engine: str | Engine, revision: str = "heads") -> str:
    """Bring the database to ``revision`` (default: the newest), whatever older revision it is at; returns the
    revision reached. An empty database gets the whole schema. Idempotent."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    config = _config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        reached = current_revision(engine)
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(f"migrating the database failed: {exc}") from exc
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    if reached is None:
        raise StoreError("migrating the database left no schema revision")
    return reached
