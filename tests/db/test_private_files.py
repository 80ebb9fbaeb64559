"""A seized laptop's other accounts must not read a workspace: the workspace folder is created 0700 and the SQLite
database (with its WAL and shared-memory files) 0600; SQLite commits with synchronous=FULL, so an acknowledged write
survives a power cut and not only a crashed process."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from detente.config import Settings
from detente.services.context import open_context
from support import FakeClock


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_workspace_and_its_database_are_private(tmp_path: Path) -> None:
    ws = tmp_path / "fresh" / "ws"
    app = open_context(Settings(workspace=ws), clock=FakeClock())
    try:
        with app.db.transaction(write=True) as s:
            s.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            s.execute(text("INSERT INTO probe VALUES (1)"))
        with app.db.transaction() as s:
            assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        database = Path(str(app.db.engine.url.database))
        assert _mode(ws) == 0o700
        assert _mode(database) == 0o600
        for companion in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            if companion.exists():
                assert _mode(companion) == 0o600, companion.name
        for sub in ("events", "rejects", "tmp"):
            assert _mode(ws / sub) == 0o700, sub
    finally:
        app.close()
