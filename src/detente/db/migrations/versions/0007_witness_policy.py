"""Witnesses by default: each log's witness policy (how many cosignatures a checkpoint needs, and how that number
follows the witnesses) and its witnesses (a slot per party and one for the observer mission, each filled with the
witness's name, verifier key and URL once known). Additive: logs created before keep their stored keys and quorum
until a witness is managed for them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_witness_policies",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.id"], name="fk_ledger_witness_policies_log_id_ledger_logs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("log_id", name="pk_ledger_witness_policies"),
    )
    op.create_table(
        "ledger_witnesses",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("vkey", sa.String(400), nullable=True),
        sa.Column("url", sa.String(400), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.id"], name="fk_ledger_witnesses_log_id_ledger_logs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("log_id", "slot", name="pk_ledger_witnesses"),
        sa.UniqueConstraint("log_id", "name", name="uq_ledger_witnesses_log_id_name"),
    )


def downgrade() -> None:
    op.drop_table("ledger_witnesses")
    op.drop_table("ledger_witness_policies")
