"""Tables of the planning and actor state: what earlier releases kept in workspace files, now in SQL (revision 0005).

CBM: each process's settings (the labels its trust state and plans may be shown under, at most), its own measures, the
revisions of its trust state and of its plans (never overwritten), and the links from planned steps to the
commitments made of them. Actors: the source actors of the last registry build, the registry's decision log, and
each process's stakeholder profiles and analyst relations (one per actor and label).

Derived records (trust states, plans) keep ``inputs_label``: the narrowest label of the records they were computed
from (``detente.access.narrowest``). They are shown under the narrower of it and the process's setting.
Rows that are edited in place carry a ``version`` compared on update, so concurrent edits never overwrite each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Float, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from detente.db.models import Base
from detente.db.sealed import Sealed, SealedJSON
from detente.db.types import UTCDateTime

__all__ = [
    "ActorBuildRow",
    "ActorDecisionRow",
    "ActorProfileRow",
    "ActorRelationRow",
    "ActorSourceRow",
    "CbmMeasureRow",
    "CbmPlanRow",
    "CbmSettingsRow",
    "CbmStepLinkRow",
    "CbmTrustRow",
]

_JSON = JSON().with_variant(JSONB(), "postgresql")


class CbmSettingsRow(Base):
    __tablename__ = "cbm_settings"

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    trust_label: Mapped[str] = mapped_column(String(40))
    plan_label: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CbmMeasureRow(Base):
    """A measure a process added to its catalogue (the measure's JSON as validated when it was added)."""

    __tablename__ = "cbm_measures"

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    measure_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(_JSON)


class CbmTrustRow(Base):
    """One revision of a process's trust state (the whole state with its history, as ``TrustState.to_json``)."""

    __tablename__ = "cbm_trust_states"

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    inputs_label: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CbmPlanRow(Base):
    """One plan revision: the plan, the trust state it was made from, and what triggered it."""

    __tablename__ = "cbm_plans"

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    supersedes: Mapped[int | None] = mapped_column(Integer)
    inputs_label: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # PlanRevision JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CbmStepLinkRow(Base):
    """A planned step made a commitment of the verification capability."""

    __tablename__ = "cbm_step_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["process_id", "revision"],
            ["cbm_plans.process_id", "cbm_plans.revision"],
            name="fk_cbm_step_links_plan",
            ondelete="CASCADE",
        ),
    )

    process_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), unique=True)


class ActorBuildRow(Base):
    """When the registry's source actors were last collected, and from what."""

    __tablename__ = "actor_builds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inputs: Mapped[list[str]] = mapped_column(_JSON)
    actors: Mapped[int] = mapped_column(Integer)


class ActorSourceRow(Base):
    """One actor as one source names it (replaced as a whole by each build)."""

    __tablename__ = "actor_sources"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40))
    country_iso3: Mapped[str | None] = mapped_column(String(3))
    aliases: Mapped[list[str]] = mapped_column(_JSON)
    parents: Mapped[list[str]] = mapped_column(_JSON)
    events: Mapped[int] = mapped_column(Integer)
    ids: Mapped[list[str]] = mapped_column(_JSON)


class ActorDecisionRow(Base):
    """One entry of the registry's append-only decision log (merge, reject, undo)."""

    __tablename__ = "actor_decisions"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(200))
    into: Mapped[str | None] = mapped_column(String(300))
    other: Mapped[str | None] = mapped_column(String(300))
    target: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ActorProfileRow(Sealed, Base):
    """A process's stakeholder profile of one actor under one label (``StakeholderProfile`` as JSON)."""

    __tablename__ = "actor_profiles"
    __sealed__: ClassVar[dict[str, str]] = {"body": "actor_profiles.body"}

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(40), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(SealedJSON("actor_profiles.body"))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ActorRelationRow(Sealed, Base):
    """An analyst's relation between two actors in a process, under a label (``AnalystRelation`` as JSON)."""

    __tablename__ = "actor_relations"
    __sealed__: ClassVar[dict[str, str]] = {"body": "actor_relations.body"}
    __table_args__ = (Index("ix_actor_relations_process_id_label", "process_id", "label"),)

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(SealedJSON("actor_relations.body"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
