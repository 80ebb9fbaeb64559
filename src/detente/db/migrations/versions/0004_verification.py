"""Verification: the durable transparency log (entries, subtree hashes, checkpoints, cosignatures, witness heads),
user signing keys, commitments, reports, assessments, violation procedures, violations and their transitions.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# The models must be on the shared metadata whenever this schema exists (the schema conformance test compares
# them); importing them here registers them even where ``detente.db`` does not import them yet.
import detente.db.verification_models  # noqa: F401

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{ref_table}", ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "ledger_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("vkey", sa.String(400), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("witness_keys", _JSON, nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("ledger_logs", "process_id", "processes.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_logs"),
        sa.UniqueConstraint("process_id", name="uq_ledger_logs_process_id"),
        sa.UniqueConstraint("origin", name="uq_ledger_logs_origin"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        _fk("ledger_entries", "log_id", "ledger_logs.id", "CASCADE"),
        sa.PrimaryKeyConstraint("log_id", "idx", name="pk_ledger_entries"),
    )
    op.create_table(
        "ledger_subtrees",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        _fk("ledger_subtrees", "log_id", "ledger_logs.id", "CASCADE"),
        sa.PrimaryKeyConstraint("log_id", "level", "idx", name="pk_ledger_subtrees"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("ledger_checkpoints", "log_id", "ledger_logs.id", "CASCADE"),
        sa.PrimaryKeyConstraint("log_id", "size", name="pk_ledger_checkpoints"),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("ledger_cosignatures", "log_id", "ledger_logs.id", "CASCADE"),
        sa.PrimaryKeyConstraint("log_id", "size", "witness", name="pk_ledger_cosignatures"),
    )
    op.create_table(
        "ledger_witness_heads",
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("witness", "origin", name="pk_ledger_witness_heads"),
    )
    op.create_table(
        "user_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("vkey", sa.String(400), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("user_keys", "user_id", "users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_keys"),
    )
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("commitments", "process_id", "processes.id", "CASCADE"),
        _fk("commitments", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_commitments"),
    )
    op.create_index("ix_commitments_process_id_label", "commitments", ["process_id", "label"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("reports", "process_id", "processes.id", "CASCADE"),
        _fk("reports", "commitment_id", "commitments.id", "RESTRICT"),
        _fk("reports", "author_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
    )
    op.create_index("ix_reports_process_id_label", "reports", ["process_id", "label"])
    op.create_index("ix_reports_commitment_id", "reports", ["commitment_id"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("assessments", "process_id", "processes.id", "CASCADE"),
        _fk("assessments", "commitment_id", "commitments.id", "RESTRICT"),
        _fk("assessments", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
    )
    op.create_index("ix_assessments_process_id", "assessments", ["process_id"])
    op.create_index("ix_assessments_commitment_id_period", "assessments", ["commitment_id", "period"])
    op.create_table(
        "violation_procedures",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("violation_procedures", "process_id", "processes.id", "CASCADE"),
        sa.PrimaryKeyConstraint("process_id", name="pk_violation_procedures"),
    )
    op.create_table(
        "violations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("state", sa.String(60), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        _fk("violations", "process_id", "processes.id", "CASCADE"),
        _fk("violations", "commitment_id", "commitments.id", "RESTRICT"),
        _fk("violations", "created_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_violations"),
    )
    op.create_index("ix_violations_process_id_label", "violations", ["process_id", "label"])
    op.create_table(
        "violation_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("violation_transitions", "violation_id", "violations.id", "CASCADE"),
        _fk("violation_transitions", "actor_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_violation_transitions"),
        sa.UniqueConstraint("violation_id", "seq", name="uq_violation_transitions_violation_id_seq"),
    )


def downgrade() -> None:
    for table in (
        "violation_transitions",
        "violations",
        "violation_procedures",
        "assessments",
        "reports",
        "commitments",
        "user_keys",
        "ledger_witness_heads",
        "ledger_cosignatures",
        "ledger_checkpoints",
        "ledger_subtrees",
        "ledger_entries",
        "ledger_logs",
    ):
        op.drop_table(table)
