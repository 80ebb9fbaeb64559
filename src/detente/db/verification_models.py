"""Tables of the verification capability: the durable transparency log and the records it logs.

Created by migration ``0004``. Domain records keep their full canonical body (the JSON that was logged) next to the
columns that lists filter on, and the index of their log entry, so a record and its entry can be compared.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from detente.db.models import Base
from detente.db.sealed import Sealed, SealedBytes, SealedJSON, SealedText, process_domain
from detente.db.types import UTCDateTime

__all__ = [
    "AssessmentRow",
    "CommitmentRow",
    "ConsentRow",
    "LedgerCheckpoint",
    "LedgerCosignature",
    "LedgerEntry",
    "LedgerLog",
    "LedgerSubtree",
    "LedgerWitnessHead",
    "LedgerWitnessPolicy",
    "LedgerWitnessRow",
    "PartyKeyRow",
    "ReportRow",
    "UserKey",
    "ViolationProcedureRow",
    "ViolationRow",
    "ViolationTransitionRow",
]

_JSON = JSON().with_variant(JSONB(), "postgresql")


class LedgerLog(Base):
    """One transparency log per process: its origin, public key, sealed private key, witnesses and size."""

    __tablename__ = "ledger_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), unique=True)
    origin: Mapped[str] = mapped_column(String(200), unique=True)
    vkey: Mapped[str] = mapped_column(String(400))
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    witness_keys: Mapped[list[str]] = mapped_column(_JSON)
    quorum: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntry(Sealed, Base):
    __tablename__ = "ledger_entries"
    __sealed__: ClassVar[dict[str, str]] = {"data": "ledger_entries.data"}

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id", ondelete="CASCADE"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(SealedBytes("ledger_entries.data"))  # sealed by append_entries
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    def sealing_domain(self, connection: Connection) -> str:
        """An entry is sealed with the key of its log's process (appends seal it in ``append_entries``)."""
        process_id = connection.execute(select(LedgerLog.process_id).where(LedgerLog.id == self.log_id)).scalar_one()
        return process_domain(process_id)


class LedgerSubtree(Base):
    """Hash of the complete subtree ``(level, idx)``, ``level >= 1``."""

    __tablename__ = "ledger_subtrees"

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerCosignature(Base):
    __tablename__ = "ledger_cosignatures"

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerWitnessHead(Base):
    """A witness's memory: the last (size, root) it cosigned for an origin (witness state kept in SQL)."""

    __tablename__ = "ledger_witness_heads"

    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    origin: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerWitnessPolicy(Base):
    """How many witness cosignatures a checkpoint of the log needs; ``rule`` ``majority`` recomputes it from the
    number of witness slots whenever one is added or removed, ``fixed`` keeps the number set."""

    __tablename__ = "ledger_witness_policies"

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id", ondelete="CASCADE"), primary_key=True)
    quorum: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerWitnessRow(Base):
    """One witness of a log: its slot (``party:<id>``, ``observer`` or ``extra:<name>``) and, once known, the
    witness's name, verifier key and the URL of its add-checkpoint endpoint."""

    __tablename__ = "ledger_witnesses"
    __table_args__ = (UniqueConstraint("log_id", "name", name="uq_ledger_witnesses_log_id_name"),)

    log_id: Mapped[int] = mapped_column(ForeignKey("ledger_logs.id", ondelete="CASCADE"), primary_key=True)
    slot: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    vkey: Mapped[str | None] = mapped_column(String(400), nullable=True)
    url: Mapped[str | None] = mapped_column(String(400), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserKey(Base):
    """A user's report-signing key: public verifier key and the sealed private key."""

    __tablename__ = "user_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(400))
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommitmentRow(Sealed, Base):
    """A commitment, or a proposal to amend or withdraw one: binding nobody until each bound party accepts it.

    ``change`` is ``new``, ``amendment`` (of ``amends``, with a new text) or ``withdrawal`` (of ``amends``);
    ``state`` is ``proposed``, ``accepted``, ``declined``, ``superseded`` (by an accepted amendment) or ``withdrawn``
    (by an accepted withdrawal); a proposal past ``expires_at`` reads as expired. ``binds`` lists the ids of the
    parties whose consent it needs.
    """

    __tablename__ = "commitments"
    __sealed__: ClassVar[dict[str, str]] = {"body": "commitments.body"}
    __table_args__ = (Index("ix_commitments_process_id_label", "process_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(SealedJSON("commitments.body"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(12))
    amends: Mapped[int | None] = mapped_column(Integer)  # a commitment of the same process (no FK: migration 0006)
    state: Mapped[str] = mapped_column(String(12))
    binds: Mapped[list[int]] = mapped_column(_JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PartyKeyRow(Base):
    """A public key a party's representative signs its consent with (the private key never reaches the server)."""

    __tablename__ = "party_keys"
    __table_args__ = (UniqueConstraint("process_id", "vkey"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    vkey: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)


class ConsentRow(Sealed, Base):
    """One party's signed acceptance or refusal of a proposal, as logged."""

    __tablename__ = "commitment_consents"
    __sealed__: ClassVar[dict[str, str]] = {
        "reason": "commitment_consents.reason",
        "statement": "commitment_consents.statement",
    }
    __table_args__ = (UniqueConstraint("commitment_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="RESTRICT"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    key_id: Mapped[int] = mapped_column(ForeignKey("party_keys.id", ondelete="RESTRICT"))
    decision: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(SealedText("commitment_consents.reason"))
    statement: Mapped[str] = mapped_column(SealedText("commitment_consents.statement"))
    signature: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)


class ReportRow(Sealed, Base):
    __tablename__ = "reports"
    __sealed__: ClassVar[dict[str, str]] = {"body": "reports.body"}
    __table_args__ = (Index("ix_reports_process_id_label", "process_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id", ondelete="RESTRICT"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(SealedJSON("reports.body"))
    signature: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)


class AssessmentRow(Sealed, Base):
    __tablename__ = "assessments"
    __sealed__: ClassVar[dict[str, str]] = {"body": "assessments.body"}
    __table_args__ = (Index("ix_assessments_commitment_id_period", "commitment_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    score: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(SealedJSON("assessments.body"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)


class ViolationProcedureRow(Base):
    """The violation procedure agreed for a process (steps and deadlines)."""

    __tablename__ = "violation_procedures"

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(_JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)


class ViolationRow(Sealed, Base):
    __tablename__ = "violations"
    __sealed__: ClassVar[dict[str, str]] = {"summary": "violations.summary"}
    __table_args__ = (Index("ix_violations_process_id_label", "process_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="RESTRICT"))
    label: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(SealedText("violations.summary"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ViolationTransitionRow(Sealed, Base):
    __tablename__ = "violation_transitions"
    __sealed__: ClassVar[dict[str, str]] = {"body": "violation_transitions.body"}
    __table_args__ = (UniqueConstraint("violation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(SealedJSON("violation_transitions.body"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    log_index: Mapped[int] = mapped_column(Integer)

    def sealing_domain(self, connection: Connection) -> str:
        """A transition is sealed with the key of its violation's process."""
        process_id = connection.execute(
            select(ViolationRow.process_id).where(ViolationRow.id == self.violation_id)
        ).scalar_one()
        return process_domain(process_id)
