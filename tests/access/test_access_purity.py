"""``detente.access`` stays pure: importing it pulls in no database, web or I/O library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "detente.db", "detente.web", "detente.cli")


def test_access_imports_no_adapter() -> None:
    code = (
        "import sys, detente.access\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith({FORBIDDEN!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
