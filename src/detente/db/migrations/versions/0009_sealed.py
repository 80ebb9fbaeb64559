"""Secrets at rest: the data keys (wrapped by the master key), and every sensitive field sealed.

Creates ``data_keys`` and ``keyring_state``, widens ``notes.title`` to text (a sealed title is longer than the
200 characters a title may have), then seals, in this transaction, each value older releases stored in the clear:
note titles and bodies, commitments' texts, consent reasons and statements, reports, assessments, violations'
summaries and steps, actor profiles and analyst relations, audit details and the log's entry bytes (the leaf hashes,
computed over the plaintext, do not change). Evidence files in the workspace are sealed into the folder of each
process that cites them, and the plain copies removed once the transaction has committed.

Sealing needs the master key: :func:`detente.db.migrate` passes the workspace (its ``keys/vault.secret``), or
``DETENTE_MASTER_KEY`` / ``DETENTE_MASTER_KEY_FILE`` name it. A database with nothing to seal needs neither.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

log = logging.getLogger("detente.db.migrate")

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")

#: (table, key columns, sealed column, kind, how the row's process is found)
_FIELDS: list[tuple[str, tuple[str, ...], str, str, str]] = [
    ("notes", ("id",), "title", "text", "process_id"),
    ("notes", ("id",), "body", "text", "process_id"),
    ("commitments", ("id",), "body", "json", "process_id"),
    ("commitment_consents", ("id",), "reason", "text", "process_id"),
    ("commitment_consents", ("id",), "statement", "text", "process_id"),
    ("reports", ("id",), "body", "json", "process_id"),
    ("assessments", ("id",), "body", "json", "process_id"),
    ("violations", ("id",), "summary", "text", "process_id"),
    ("violation_transitions", ("id",), "body", "json", "violation"),
    ("actor_profiles", ("process_id", "label", "actor_id"), "body", "json", "process_id"),
    ("actor_relations", ("process_id", "id"), "body", "json", "process_id"),
    ("audit_events", ("id",), "detail", "json", "process_id"),
    ("ledger_entries", ("log_id", "idx"), "data", "bytes", "log"),
]

_KIND_TYPES: dict[str, sa.types.TypeEngine[Any]] = {"text": sa.Text(), "json": _JSON, "bytes": sa.LargeBinary()}


def _schema() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("master", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("retired_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_data_keys"),
    )
    op.create_index("ix_data_keys_domain", "data_keys", ["domain"])
    op.create_table(
        "keyring_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("master", sa.String(16), nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_keyring_state"),
    )
    with op.batch_alter_table("notes") as batch:
        batch.alter_column("title", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=False)


def _domain_query(table: str, keys: tuple[str, ...], column: str, how: str) -> str:
    cols = ", ".join(f"t.{k}" for k in keys)
    if how == "violation":
        return f"SELECT {cols}, v.process_id, t.{column} FROM {table} t JOIN violations v ON v.id = t.violation_id"
    if how == "log":
        return f"SELECT {cols}, l.process_id, t.{column} FROM {table} t JOIN ledger_logs l ON l.id = t.log_id"
    return f"SELECT {cols}, t.{how}, t.{column} FROM {table} t"


def _plain(kind: str, value: Any) -> bytes | None:
    """The value's plaintext, or None when it is sealed already."""
    from detente.sealing.envelope import is_sealed

    if kind == "json":
        if isinstance(value, str) and is_sealed(value):
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if kind == "text":
        return None if is_sealed(value) else str(value).encode("utf-8")
    raw = bytes(value)
    return None if is_sealed(raw) else raw


def _keyring(connection: sa.Connection) -> Any:
    from detente.clock import system_clock
    from detente.db.keyring import Keyring
    from detente.sealing.master import MasterKeys

    workspace = context.config.attributes.get("workspace")
    masters = MasterKeys.load(Path(workspace) if workspace is not None else None)
    return Keyring(connection.engine, masters, clock=system_clock)


def _seal_rows(connection: sa.Connection) -> int:
    from detente.db.sealed import process_domain
    from detente.sealing.envelope import seal_bytes, seal_text

    keyring = None
    sealed = 0
    for table, keys, column, kind, how in _FIELDS:
        rows = connection.exec_driver_sql(_domain_query(table, keys, column, how)).fetchall()
        if not rows:
            continue
        target = sa.table(table, *(sa.column(k) for k in keys), sa.column(column, _KIND_TYPES[kind]))
        for row in rows:
            key_values, process_id, value = row[: len(keys)], row[len(keys)], row[len(keys) + 1]
            if value is None:
                continue
            if kind == "json" and isinstance(value, str) and not value.startswith("ds1:"):
                value = json.loads(value)  # SQLite's driver hands a JSON column's text over as it is
            plain = _plain(kind, value)
            if plain is None:
                continue
            keyring = keyring if keyring is not None else _keyring(connection)
            key = keyring.current(connection, process_domain(process_id))
            purpose = f"{table}.{column}"
            new: Any = (
                seal_bytes(key, purpose, plain) if kind == "bytes" else seal_text(key, purpose, plain.decode("utf-8"))
            )
            where = sa.and_(*(target.c[k] == v for k, v in zip(keys, key_values, strict=True)))
            connection.execute(sa.update(target).where(where).values({column: new}))
            sealed += 1
    return sealed


def _seal_evidence(connection: sa.Connection) -> list[str]:
    """Seal each plain evidence file into the folder of every process whose reports cite it; return the plain
    files to remove once the transaction has committed."""
    from detente.db.sealed import process_domain
    from detente.sealing.envelope import seal_bytes

    workspace = context.config.attributes.get("workspace")
    if workspace is None:
        return []
    plain_root = Path(workspace) / "evidence" / "sha256"
    if not plain_root.is_dir():
        return []
    cited: dict[str, set[int]] = {}
    for process_id, body in connection.exec_driver_sql("SELECT process_id, body FROM reports").fetchall():
        document = json.loads(body) if isinstance(body, str) and not body.startswith("ds1:") else body
        if not isinstance(document, dict):
            continue
        for item in document.get("evidence", []):
            cited.setdefault(str(item.get("sha256", "")), set()).add(int(process_id))
    keyring = _keyring(connection)
    done: list[str] = []
    for path in sorted(plain_root.glob("*/*")):
        digest = path.name
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            log.warning("evidence file %s does not match its hash; left where it is", path)
            continue
        for process_id in sorted(cited.get(digest, ())):
            key = keyring.current(connection, process_domain(process_id))
            target = Path(workspace) / "evidence" / f"process-{process_id}" / digest[:2] / digest
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            target.write_bytes(seal_bytes(key, f"evidence:{digest}", data))
        if digest in cited:
            done.append(str(path))
    return done


def upgrade() -> None:
    _schema()
    connection = op.get_bind()
    plain_files = _seal_evidence(connection)  # first: it reads the reports' plain bodies for the files they cite
    sealed = _seal_rows(connection)
    if sealed or plain_files:
        log.info("sealed %d stored values and %d evidence files", sealed, len(plain_files))
    if plain_files:
        context.config.attributes.setdefault("after_commit", []).append(("remove_files", Path(), plain_files))


def downgrade() -> None:
    raise NotImplementedError("revision 0009 seals stored values; it cannot be undone without the master key")
