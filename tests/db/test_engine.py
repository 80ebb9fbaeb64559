"""Engine set-up: where the database lives, and SQLite's pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from detente.config import load_settings
from detente.db import SQLITE_FILENAME, database_url, head_revision, make_engine, open_database
from detente.errors import ConfigError
from support import FakeClock


def test_default_database_is_a_sqlite_file_in_the_workspace(workspace: Path) -> None:
    url = database_url(load_settings(workspace=workspace))
    assert url.startswith("sqlite+pysqlite:///")
    assert url.endswith(f"/{SQLITE_FILENAME}")
    assert Path(url.removeprefix("sqlite+pysqlite:///")) == (workspace / SQLITE_FILENAME).resolve()


def test_database_url_setting_wins(workspace: Path) -> None:
    pg = "postgresql+psycopg://someone@db.example/detente"
    assert database_url(load_settings(workspace=workspace, database_url=pg)) == pg


def test_sqlite_runs_in_wal_mode_with_foreign_keys(workspace: Path, clock: FakeClock) -> None:
    db = open_database(load_settings(workspace=workspace), clock=clock)
    try:
        assert (workspace / SQLITE_FILENAME).is_file()
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert "+".join(sorted(heads)) == head_revision()  # every migration branch applied
    finally:
        db.close()


@pytest.mark.parametrize(
    "url", ["mysql://u@h/d", "sqlite+pysqlite://", "sqlite+pysqlite:///:memory:", "not a url at all"]
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)
