"""Run the schema migrations shipped in the package, programmatically (no ``alembic.ini`` needed), and open the
database once it is up to date.

A migration may need the workspace beside the database (revision 0005 moves the state older releases kept in
workspace files into tables): :func:`migrate` passes it to the revisions as ``workspace``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from detente.clock import Clock
from detente.config import Settings
from detente.db.engine import Database, database_url, make_engine
from detente.db.keyring import attach_keyring
from detente.errors import StoreError
from detente.sealing.master import ENV_KEY, ENV_KEY_FILE, MasterKeys

#: where revision 0005 moves the workspace folders it copied into SQL (kept, never read again)
LEGACY_FOLDER = "pre-sql-state"

__all__ = ["current_revision", "head_revision", "migrate", "open_database"]


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


def migrate(url_or_engine: str | Engine, revision: str = "heads", *, workspace: Path | str | None = None) -> str:
    """Bring the database to ``revision`` (default: the newest), whatever older revision it is at; returns the
    revision reached. An empty database gets the whole schema. Idempotent.

    ``workspace`` is the workspace this database belongs to; revisions that move workspace files into tables read
    it (without one they move nothing)."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    config = _config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            config.attributes["workspace"] = Path(workspace) if workspace is not None else None
            command.upgrade(config, revision)
        reached = current_revision(engine)
        for step in config.attributes.get("after_commit", []):
            _after_commit(step)
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(f"migrating the database failed: {exc}") from exc
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    if reached is None:
        raise StoreError("migrating the database left no schema revision")
    return reached


def _after_commit(step: tuple[str, Path, list[str]]) -> None:
    """Work a revision asked for once its rows are committed: moving imported workspace folders aside."""
    kind, workspace, names = step
    if kind == "remove_files":  # plain copies of what revision 0009 sealed
        for name in names:
            Path(name).unlink(missing_ok=True)
        return
    if kind != "move_legacy":
        raise StoreError(f"unknown post-migration step {kind!r}")
    target = workspace / LEGACY_FOLDER
    target.mkdir(exist_ok=True)
    for name in names:
        source = workspace / name
        if source.exists():
            destination = target / name
            suffix = 1
            while destination.exists():
                suffix += 1
                destination = target / f"{name}.{suffix}"
            source.rename(destination)
    (target / "README.txt").write_text(
        "These folders held the CBM and actor state of an older Détente release. Revision 0005 of the database\n"
        "copied them into SQL tables; Détente does not read them any more. Keep them as a record or delete them.\n",
        encoding="utf-8",
    )


def open_database(
    target: str | Settings, *, clock: Clock, upgrade: bool = True, workspace: Path | str | None = None
) -> Database:
    """The database at a URL (or the one the settings name), its schema first brought to the newest revision
    (``upgrade=False`` opens it as it is). The master key that opens its sealed fields comes from the environment
    or the workspace (:class:`detente.sealing.master.MasterKeys`).

    With settings, the workspace is theirs; with a URL, pass ``workspace`` so revisions that move workspace files
    into tables find them."""
    if isinstance(target, Settings):
        url, workspace = database_url(target), target.workspace
    else:
        url = target
    if upgrade:
        migrate(url, workspace=workspace)
    database = Database(make_engine(url), clock=clock)
    if workspace is not None or os.environ.get(ENV_KEY) or os.environ.get(ENV_KEY_FILE):
        masters = MasterKeys.load(Path(workspace) if workspace is not None else None)
        database.keyring = attach_keyring(database.engine, masters, clock=clock)
    return database
