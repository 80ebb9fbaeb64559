"""Fictional verification records for the demo process (Arcadia and Borealis do not exist): three commitments,
reports with an evidence file, assessments and one violation under review, all in the transparency log with a
signed checkpoint. Idempotent: nothing is added when the process has commitments already.

Call it after :func:`detente.web.demo.setup_demo_process`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from detente.cbm.evidence import Outcome
from detente.db import Database
from detente.db.processes import list_parties
from detente.db.users import get_user_by_username
from detente.db.verification import (
    allege_violation,
    create_commitment,
    ensure_log,
    file_report,
    record_assessment,
    sign_log_checkpoint,
    transition_violation,
)
from detente.db.verification_models import CommitmentRow
from detente.verification.assessments import Assessment
from detente.verification.commitments import Category, Commitment, Indicator, Schedule, VerificationMethod
from detente.verification.evidence import EvidenceStore
from detente.verification.geo import GeoScope
from detente.verification.keys import KeyVault, load_vault_secret
from detente.verification.reports import Report

__all__ = ["add_demo_verification"]

_EVIDENCE = (
    b"FICTIONAL demo evidence. Observer log, Cinder Plain crossing, 2024-03-02.\n"
    b"08:05 gate opened; 08:05-16:00 212 civilians crossed; 16:02 gate closed.\n"
)


def _fixed(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def _user(session: object, name: str) -> int:
    user = get_user_by_username(session, name)  # type: ignore[arg-type]
    if user is None:
        raise LookupError(f"the demo account {name!r} is missing: run setup_demo_process first")
    return int(user.id)


def add_demo_verification(db: Database, workspace: Path, process_id: int) -> bool:
    """Add the fictional records; False when the process has commitments already (nothing changed)."""
    vault = KeyVault(load_vault_secret(workspace))
    clock = db.clock
    with db.transaction() as s:
        if s.scalars(select(CommitmentRow.id).where(CommitmentRow.process_id == process_id)).first() is not None:
            return False
        arcadia, borealis = (p.name for p in list_parties(s, process_id)[:2])
        mediator, observer = _user(s, "mediator"), _user(s, "observer")
        ensure_log(s, process_id, vault, clock=clock)
        now = clock()
        ceasefire = Commitment(
            title="Ceasefire along the Lowvale–Cinder Plain line",
            text="No shelling, air strikes or armed clashes within the agreed zone along the line of contact.",
            parties=(arcadia, borealis),
            category=Category.CEASEFIRE,
            schedule=Schedule(start=datetime(2024, 2, 1, tzinfo=UTC), period_days=30),
            methods=(VerificationMethod.THIRD_PARTY_OBSERVER, VerificationMethod.EVENT_DATA_CHECK),
            verifier="Joint observer mission (fictional)",
            label="all_parties",
            indicators=(Indicator("incidents in the zone", "0 per period"),),
            geo=GeoScope(
                ring=(("-124.5", "-32.0"), ("-120.5", "-32.0"), ("-120.5", "-29.0"), ("-124.5", "-29.0")),
                start=date(2024, 2, 1),
                end=date(2024, 12, 31),
                categories=("battle", "remote_violence"),
            ),
        )
        release = Commitment(
            title="Release of the Kestrel Bay detainees",
            text="Borealis releases the 40 detainees on the agreed list to the humanitarian agency.",
            parties=(borealis,),
            category=Category.DETAINEE_RELEASE,
            schedule=Schedule(deadline=now - timedelta(days=10)),
            methods=(VerificationMethod.THIRD_PARTY_OBSERVER,),
            verifier="Humanitarian agency (fictional)",
            label="all_parties",
            indicators=(Indicator("detainees released", "40"),),
        )
        hotline = Commitment(
            title="Joint military hotline staffed daily",
            text="Both sides staff the hotline 24 hours a day and answer test calls within 5 minutes.",
            parties=(arcadia, borealis),
            category=Category.COMMUNICATION_CHANNEL,
            schedule=Schedule(start=now - timedelta(days=45), period_days=30),
            methods=(VerificationMethod.SELF_REPORT, VerificationMethod.COUNTERPART_OBSERVATION),
            verifier="Mediation team (fictional)",
            label="public",
        )
        ids = [
            create_commitment(s, process_id, c, actor_id=mediator, clock=clock).id
            for c in (ceasefire, release, hotline)
        ]
        proof = EvidenceStore(workspace).put(_EVIDENCE, "observer-log.txt")
        report = file_report(
            s,
            process_id,
            Report("observer", now - timedelta(days=12), "Kestrel Bay", "31 of the 40 listed detainees were "
                   "handed over; 9 names were not produced.", "all_parties", ids[1], (proof,)),
            author_id=observer,
            vault=vault,
            clock=clock,
        )  # fmt: skip
        hotline_report = file_report(
            s,
            process_id,
            Report("observer", now - timedelta(days=16), "Hotline office", "All 30 test calls answered within "
                   "3 minutes by both sides.", "public", ids[2]),
            author_id=observer,
            vault=vault,
            clock=clock,
        )  # fmt: skip
        for cid, rid, status, period, why, label in (
            (ids[1], report.id, Outcome.PARTIALLY_COMPLIANT, "deadline", "31 of 40 released.", "all_parties"),
            (ids[2], hotline_report.id, Outcome.COMPLIANT, "P0", "Every test call answered in time.", "public"),
        ):
            at = now - timedelta(days=9 if period == "deadline" else 14)
            assessment = Assessment(cid, period, status, why, "observer", at, label, (rid,))
            record_assessment(s, process_id, assessment, actor_id=observer, clock=_fixed(at))
        violation = allege_violation(
            s, process_id, ids[0], "Shelling reported near Cinder Plain inside the zone (fictional).",
            label="all_parties", actor_id=observer, actor="observer", at=now - timedelta(days=2),
        )  # fmt: skip
        transition_violation(
            s, violation.id, "under_review", "Observer team dispatched to the site.",
            actor_id=mediator, actor="mediator", at=now - timedelta(days=1),
        )  # fmt: skip
        from detente.db.verification import get_log

        sign_log_checkpoint(s, get_log(s, process_id).id, vault, clock=clock)
    return True
