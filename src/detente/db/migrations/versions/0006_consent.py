"""Consent of the bound party: commitments become proposals until each party they bind accepts them with a key it
holds; amendments and withdrawals are proposals too. Adds the proposal columns of ``commitments``, the parties'
public keys (``party_keys``) and their signed decisions (``commitment_consents``).

Commitments recorded before this revision were entered without any party's consent: they stay in force (a page says
they were recorded before consent was required) and bind the parties they name.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import detente.db.verification_models  # noqa: F401  (registers the models on the shared metadata)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{ref_table}", ondelete=ondelete)


def upgrade() -> None:
    # plain ADD COLUMNs (SQLite rebuilds no table, so the rows that refer to commitments are left alone); the
    # defaults describe the commitments recorded before consent existed: new, accepted, binding no one until filled
    op.add_column("commitments", sa.Column("change", sa.String(12), nullable=False, server_default="new"))
    # no foreign key on ``amends``: SQLite adds one only by rebuilding the table, which the rows referring to
    # commitments forbid; the services set it only to a commitment of the same process, and none is ever deleted
    op.add_column("commitments", sa.Column("amends", sa.Integer(), nullable=True))
    op.add_column("commitments", sa.Column("state", sa.String(12), nullable=False, server_default="accepted"))
    op.add_column("commitments", sa.Column("binds", _JSON, nullable=False, server_default="[]"))
    op.add_column("commitments", sa.Column("expires_at", _TS, nullable=True))
    op.add_column("commitments", sa.Column("decided_at", _TS, nullable=True))
    _bind_named_parties()
    op.create_table(
        "party_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("vkey", sa.String(400), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("party_keys", "process_id", "processes.id", "CASCADE"),
        _fk("party_keys", "party_id", "parties.id", "CASCADE"),
        _fk("party_keys", "user_id", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_party_keys"),
        sa.UniqueConstraint("process_id", "vkey", name="uq_party_keys_process_id_vkey"),
    )
    op.create_table(
        "commitment_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        _fk("commitment_consents", "process_id", "processes.id", "CASCADE"),
        _fk("commitment_consents", "commitment_id", "commitments.id", "RESTRICT"),
        _fk("commitment_consents", "party_id", "parties.id", "RESTRICT"),
        _fk("commitment_consents", "user_id", "users.id", "SET NULL"),
        _fk("commitment_consents", "key_id", "party_keys.id", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_commitment_consents"),
        sa.UniqueConstraint("commitment_id", "party_id", name="uq_commitment_consents_commitment_id_party_id"),
    )
    op.create_index("ix_commitment_consents_commitment_id", "commitment_consents", ["commitment_id"])


def _bind_named_parties() -> None:
    """Each existing commitment binds the parties its body names (matched by name within its process)."""
    conn = op.get_bind()
    parties = {(p, n): i for i, p, n in conn.execute(sa.text("SELECT id, process_id, name FROM parties"))}
    commitments = sa.table("commitments", sa.column("id", sa.Integer()), sa.column("binds", _JSON))
    for cid, pid, body in conn.execute(sa.text("SELECT id, process_id, body FROM commitments")).all():
        named = (body if isinstance(body, dict) else _json(body)).get("parties", [])
        binds = sorted(parties[(pid, n)] for n in (named if isinstance(named, list) else []) if (pid, n) in parties)
        conn.execute(sa.update(commitments).where(commitments.c.id == cid).values(binds=binds))


def _json(text: str | bytes) -> dict[str, object]:
    import json

    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    op.drop_index("ix_commitment_consents_commitment_id", table_name="commitment_consents")
    op.drop_table("commitment_consents")
    op.drop_table("party_keys")
    with op.batch_alter_table("commitments") as batch:
        for column in ("decided_at", "expires_at", "binds", "state", "amends", "change"):
            batch.drop_column(column)
