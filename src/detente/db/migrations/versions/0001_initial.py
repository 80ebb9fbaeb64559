"""Initial schema: users, processes, parties, memberships, audit events.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ROLES = ("administrator", "analyst", "mediator", "observer", "party_representative", "viewer")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", _TS, nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "processes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("fictional", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_processes_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_processes"),
        sa.UniqueConstraint("name", name="uq_processes_name"),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name="fk_parties_process_id_processes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_parties"),
        sa.UniqueConstraint("process_id", "name", name="uq_parties_process_id_name"),
        sa.UniqueConstraint("id", "process_id", name="uq_parties_id_process_id"),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in _ROLES)), name="ck_memberships_role"),
        sa.CheckConstraint(
            "(role = 'party_representative' AND party_id IS NOT NULL)"
            " OR (role <> 'party_representative' AND party_id IS NULL)",
            name="ck_memberships_party_binding",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_memberships_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name="fk_memberships_process_id_processes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["party_id", "process_id"], ["parties.id", "parties.process_id"], name="fk_memberships_party_process"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_memberships"),
        sa.UniqueConstraint("user_id", "process_id", name="uq_memberships_user_id_process_id"),
    )
    op.create_index("ix_memberships_process_id", "memberships", ["process_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_audit_events_actor_id_users", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor_id"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("memberships")
    op.drop_table("parties")
    op.drop_table("processes")
    op.drop_table("users")
