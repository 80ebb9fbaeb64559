"""Alembic environment of Détente. Run migrations with :func:`detente.db.migrate`, which passes the connection.

For developers writing a new revision (``alembic -c <cfg> revision --autogenerate``), a ``sqlalchemy.url`` main
option is honoured too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from detente.db.engine import make_engine
from detente.db.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("Détente migrations run online only (detente.db.migrate)")
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given: call detente.db.migrate(url)")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
