"""The application's tables, as SQLAlchemy 2 typed models.

The migrations in ``detente/db/migrations/versions`` create exactly this schema; a conformance test compares them.
Constraint names follow :data:`NAMING_CONVENTION` so both backends carry the same names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from detente.db.sealed import Sealed, SealedJSON
from detente.db.types import UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "ROLE_VALUES",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Membership",
    "Party",
    "Process",
    "RateLimitHit",
    "RecoveryCode",
    "SecondFactor",
    "User",
    "WebSession",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: the stored role names, the values of :class:`detente.access.Role` (frozen here: a new role needs a migration)
ROLE_VALUES = ("administrator", "analyst", "mediator", "observer", "party_representative", "viewer")

_JSON = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: set while the account is deactivated: it cannot sign in, and its sessions and tokens are refused
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: raised by every password change, reset, lock-out and deactivation: a token issued under an older one is dead
    credentials_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    """A script's credential. Only the SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the owner's ``credentials_generation`` when the token was issued (a different one now: the token is dead)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebSession(Base):
    """A signed-in browser. The cookie holds a random id; the table holds its SHA-256 only."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the last request made with the session (the idle timeout counts from here; None: never used since sign-in)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a half session: the password was right, the second factor is still to come (it grants nothing but that step)
    awaiting_second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SecondFactor(Base):
    """A user's TOTP authenticator (RFC 6238). The seed is sealed with the workspace's key vault (purpose
    ``totp:<user_id>``); until ``enrolled_at`` is set the enrolment is only started (the user has not yet shown a
    code from it) and the account signs in without it."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the latest time step whose code was accepted: that code and every earlier one are refused (no replay)
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """One single-use recovery code of an enrolled user; only its SHA-256 is stored (the code has 120 random
    bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RateLimitHit(Base):
    """One counted attempt (a sign-in, a current-password check, a bad token) under a key such as ``ip:…`` or
    ``user:…``. Shared by every server process on the database; rows older than the longest window are pruned."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"), Index("ix_rate_limit_hits_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Process(Base):
    __tablename__ = "processes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    fictional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Party(Base):
    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("process_id", "name"),
        # target of the memberships' (party_id, process_id) key: a representative's party is of the same process
        UniqueConstraint("id", "process_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "process_id"),
        ForeignKeyConstraint(
            ["party_id", "process_id"], ["parties.id", "parties.process_id"], name="fk_memberships_party_process"
        ),
        CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLE_VALUES)), name="role"),
        CheckConstraint(
            "(role = 'party_representative' AND party_id IS NOT NULL)"
            " OR (role <> 'party_representative' AND party_id IS NULL)",
            name="party_binding",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Sealed, Base):
    """One security-relevant action. ``actor_name`` keeps the username as typed (e.g. a failed sign-in)."""

    __tablename__ = "audit_events"
    __sealed__: ClassVar[dict[str, str]] = {"detail": "audit_events.detail"}
    __table_args__ = (Index("ix_audit_events_occurred_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(SealedJSON("audit_events.detail"))
    ip: Mapped[str | None] = mapped_column(String(64))
    #: what the event is about: a process and the visibility label of the record (None: not a labelled record)
    process_id: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(40))
