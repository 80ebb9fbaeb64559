"""Accounts and sessions: deactivated accounts, a credentials generation per user that kills older API tokens, the
last use of a browser session (idle timeout), and the attempts counted by the rate limits every server process
shares. Additive, with server defaults: existing accounts are active at generation 0, existing tokens match it.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deactivated_at", _TS, nullable=True))
        batch.add_column(sa.Column("credentials_generation", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("generation", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", _TS, nullable=True))
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_limit_hits"),
    )
    op.create_index("ix_rate_limit_hits_key_at", "rate_limit_hits", ["key", "at"])
    op.create_index("ix_rate_limit_hits_at", "rate_limit_hits", ["at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_at", table_name="rate_limit_hits")
    op.drop_index("ix_rate_limit_hits_key_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("generation")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("credentials_generation")
        batch.drop_column("deactivated_at")
