"""Storage of each process's planning state: settings, process measures, trust revisions, plan revisions and the
links from planned steps to commitments (tables in :mod:`detente.db.state_models`).

Revisions are inserted, never updated: two writers that both start from revision *n* both try to insert *n* + 1, and
the primary key lets only one succeed (the other gets :class:`~detente.errors.ConflictError` and retries from the
new state). Settings carry a version compared on update. These functions store; they do not decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from detente.cbm.measure import Measure
from detente.cbm.process_state import CbmSettings, PlanRevision, StoredMeasure
from detente.cbm.trust import TrustState
from detente.db.state_models import CbmMeasureRow, CbmPlanRow, CbmSettingsRow, CbmStepLinkRow, CbmTrustRow
from detente.errors import ConflictError, StaleState, StoreError

__all__ = [
    "StoredPlan",
    "StoredTrust",
    "add_measure",
    "add_plan",
    "add_step_link",
    "add_trust",
    "get_settings",
    "latest_plan",
    "latest_trust",
    "list_measures",
    "plan_history",
    "save_settings",
    "step_link",
    "step_links",
]


def get_settings(s: Session, process_id: int) -> tuple[CbmSettings, int]:
    """The process's settings and their version (0: never saved, the defaults)."""
    row = s.get(CbmSettingsRow, process_id, populate_existing=True)
    if row is None:
        return CbmSettings(), 0
    return CbmSettings(trust_label=row.trust_label, plan_label=row.plan_label), row.version


def save_settings(s: Session, process_id: int, settings: CbmSettings, *, expected: int, at: datetime) -> int:
    """Store new settings made from version ``expected``; :class:`ConflictError` if they changed meanwhile."""
    if expected == 0:
        if s.get(CbmSettingsRow, process_id) is not None:
            raise StaleState("the settings changed meanwhile; reload and retry")
        s.add(
            CbmSettingsRow(
                process_id=process_id,
                trust_label=settings.trust_label,
                plan_label=settings.plan_label,
                version=1,
                updated_at=at,
            )
        )
        s.flush()  # a concurrent first save collides on the primary key
        return 1
    result = s.execute(
        update(CbmSettingsRow)
        .where(CbmSettingsRow.process_id == process_id, CbmSettingsRow.version == expected)
        .values(trust_label=settings.trust_label, plan_label=settings.plan_label, version=expected + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleState("the settings changed meanwhile; reload and retry")
    return expected + 1


def list_measures(s: Session, process_id: int) -> list[StoredMeasure]:
    rows = s.scalars(
        select(CbmMeasureRow)
        .where(CbmMeasureRow.process_id == process_id)
        .order_by(CbmMeasureRow.added_at, CbmMeasureRow.measure_id)
    ).all()
    return [
        StoredMeasure(label=r.label, added_by=r.added_by, added_at=r.added_at, measure=Measure.model_validate(r.body))
        for r in rows
    ]


def add_measure(s: Session, process_id: int, stored: StoredMeasure) -> None:
    if s.get(CbmMeasureRow, (process_id, stored.measure.id)) is not None:
        raise ConflictError(f"the process has a measure {stored.measure.id!r} already")
    s.add(
        CbmMeasureRow(
            process_id=process_id,
            measure_id=stored.measure.id,
            label=stored.label,
            added_by=stored.added_by,
            added_at=stored.added_at,
            body=stored.measure.model_dump(mode="json"),
        )
    )
    s.flush()


@dataclass(frozen=True)
class StoredTrust:
    revision: int
    state: TrustState
    inputs_label: str


def latest_trust(s: Session, process_id: int) -> StoredTrust | None:
    row = s.scalars(
        select(CbmTrustRow).where(CbmTrustRow.process_id == process_id).order_by(CbmTrustRow.revision.desc()).limit(1)
    ).first()
    if row is None:
        return None
    try:
        state = TrustState.from_json(row.state)
    except ValueError as exc:
        raise StoreError(f"process {process_id}: trust revision {row.revision} is unreadable ({exc})") from exc
    return StoredTrust(row.revision, state, row.inputs_label)


def add_trust(
    s: Session,
    process_id: int,
    state: TrustState,
    *,
    expected: int | None,
    inputs_label: str,
    at: datetime,
    by: int | None,
) -> int:
    """Insert the revision after ``expected`` (None: the first); a concurrent writer makes it a ConflictError."""
    current = s.scalar(select(func.max(CbmTrustRow.revision)).where(CbmTrustRow.process_id == process_id))
    if current != expected:
        raise StaleState("the trust state changed meanwhile; reload and retry")
    number = (expected or 0) + 1
    s.add(
        CbmTrustRow(
            process_id=process_id,
            revision=number,
            inputs_label=inputs_label,
            state=state.to_json(),
            created_at=at,
            created_by=by,
        )
    )
    s.flush()
    return number


@dataclass(frozen=True)
class StoredPlan:
    revision: PlanRevision
    inputs_label: str
    created_at: datetime
    created_by: int | None


def _plan(row: CbmPlanRow) -> StoredPlan:
    try:
        revision = PlanRevision.model_validate_json(row.body)
    except ValueError as exc:
        raise StoreError(f"process {row.process_id}: plan revision {row.revision} is unreadable ({exc})") from exc
    return StoredPlan(revision, row.inputs_label, row.created_at, row.created_by)


def plan_history(s: Session, process_id: int) -> list[StoredPlan]:
    rows = s.scalars(select(CbmPlanRow).where(CbmPlanRow.process_id == process_id).order_by(CbmPlanRow.revision))
    return [_plan(r) for r in rows]


def latest_plan(s: Session, process_id: int) -> StoredPlan | None:
    row = s.scalars(
        select(CbmPlanRow).where(CbmPlanRow.process_id == process_id).order_by(CbmPlanRow.revision.desc()).limit(1)
    ).first()
    return None if row is None else _plan(row)


def add_plan(
    s: Session, revision: PlanRevision, *, process_id: int, inputs_label: str, at: datetime, by: int | None
) -> None:
    """Insert a plan revision (its number follows the latest: a concurrent writer makes it a ConflictError)."""
    current = s.scalar(select(func.max(CbmPlanRow.revision)).where(CbmPlanRow.process_id == process_id))
    if revision.revision != (current or 0) + 1 or revision.supersedes != current:
        raise StaleState("another plan was saved meanwhile; reload and retry")
    s.add(
        CbmPlanRow(
            process_id=process_id,
            revision=revision.revision,
            supersedes=revision.supersedes,
            inputs_label=inputs_label,
            body=revision.model_dump_json(indent=2),
            created_at=at,
            created_by=by,
        )
    )
    s.flush()


def step_link(s: Session, process_id: int, revision: int, position: int) -> int | None:
    row = s.get(CbmStepLinkRow, (process_id, revision, position))
    return None if row is None else row.commitment_id


def step_links(s: Session, process_id: int, revision: int) -> dict[int, int]:
    """Position -> commitment id for the steps of one revision made commitments."""
    rows = s.execute(
        select(CbmStepLinkRow.position, CbmStepLinkRow.commitment_id).where(
            CbmStepLinkRow.process_id == process_id, CbmStepLinkRow.revision == revision
        )
    )
    return {int(pos): int(cid) for pos, cid in rows}


def add_step_link(s: Session, process_id: int, revision: int, position: int, commitment_id: int) -> None:
    if s.get(CbmStepLinkRow, (process_id, revision, position)) is not None:
        raise ConflictError("this step is already a commitment")
    s.add(CbmStepLinkRow(process_id=process_id, revision=revision, position=position, commitment_id=commitment_id))
    s.flush()


def plan_revisions(s: Session, process_id: int) -> Sequence[int]:
    return s.scalars(
        select(CbmPlanRow.revision).where(CbmPlanRow.process_id == process_id).order_by(CbmPlanRow.revision)
    ).all()
