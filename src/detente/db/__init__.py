"""Application storage: SQLAlchemy 2 models, Alembic migrations shipped in the package, and the repositories the
application services call. SQLite (WAL) in the workspace by default; PostgreSQL through ``DETENTE_DATABASE_URL``."""

from __future__ import annotations

# register the notes and verification tables on the models' metadata (migrations and models are one schema)
from detente.db import notes as notes
from detente.db import state_models as state_models
from detente.db import verification_models as verification_models
from detente.db.engine import SQLITE_FILENAME, Database, database_url, make_engine
from detente.db.migrate import current_revision, head_revision, migrate, open_database
from detente.db.types import UTCDateTime

__all__ = [
    "SQLITE_FILENAME",
    "Database",
    "UTCDateTime",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "migrate",
    "open_database",
]
