"""Read queries the pages need beyond :mod:`detente.db.verification`: every list is filtered in SQL by the
labels the caller may read (``WHERE label IN (...)``), so hidden records are neither returned nor counted."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.db.verification_models import (
    AssessmentRow,
    CommitmentRow,
    LedgerEntry,
    ReportRow,
    ViolationRow,
    ViolationTransitionRow,
)

__all__ = [
    "assessment_rows",
    "commitment_titles",
    "entry_bytes",
    "report_rows",
    "transition_rows",
    "violation_rows",
]


def report_rows(
    s: Session, process_id: int, labels: Collection[str], *, commitment_id: int | None = None
) -> Sequence[ReportRow]:
    query = select(ReportRow).where(ReportRow.process_id == process_id, ReportRow.label.in_(list(labels)))
    if commitment_id is not None:
        query = query.where(ReportRow.commitment_id == commitment_id)
    return s.scalars(query.order_by(ReportRow.id.desc())).all()


def assessment_rows(
    s: Session, process_id: int, labels: Collection[str], *, commitment_id: int | None = None
) -> Sequence[AssessmentRow]:
    query = select(AssessmentRow).where(AssessmentRow.process_id == process_id, AssessmentRow.label.in_(list(labels)))
    if commitment_id is not None:
        query = query.where(AssessmentRow.commitment_id == commitment_id)
    return s.scalars(query.order_by(AssessmentRow.created_at, AssessmentRow.id)).all()


def violation_rows(
    s: Session, process_id: int, labels: Collection[str], *, commitment_id: int | None = None
) -> Sequence[ViolationRow]:
    query = select(ViolationRow).where(ViolationRow.process_id == process_id, ViolationRow.label.in_(list(labels)))
    if commitment_id is not None:
        query = query.where(ViolationRow.commitment_id == commitment_id)
    return s.scalars(query.order_by(ViolationRow.id.desc())).all()


def transition_rows(s: Session, violation_id: int) -> Sequence[ViolationTransitionRow]:
    query = select(ViolationTransitionRow).where(ViolationTransitionRow.violation_id == violation_id)
    return s.scalars(query.order_by(ViolationTransitionRow.seq)).all()


def entry_bytes(s: Session, log_id: int, index: int) -> tuple[bytes, bytes] | None:
    """The stored entry bytes and leaf hash at *index*, or None."""
    row = s.execute(
        select(LedgerEntry.data, LedgerEntry.leaf_hash).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == index)
    ).one_or_none()
    return None if row is None else (bytes(row[0]), bytes(row[1]))


def commitment_titles(s: Session, process_id: int, labels: Collection[str]) -> dict[int, str]:
    query = select(CommitmentRow.id, CommitmentRow.title).where(
        CommitmentRow.process_id == process_id, CommitmentRow.label.in_(list(labels))
    )
    return {cid: title for cid, title in s.execute(query)}
