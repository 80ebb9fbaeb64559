"""The actors of the FICTIONAL demo: build the registry from the demo events and give the demo process a few
stakeholder profiles under each visibility label, and analyst relations. Idempotent: profiles already present are
kept, and the registry is only built when it has not been.

Call after the demo events are imported and the demo process exists::

    setup_demo_actors(workspace_path, db, process_id)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from detente.actors import (
    ActorService,
    AnalystRelation,
    Attitude,
    Evidenced,
    Leverage,
    Position,
    Registry,
    RelationKind,
    StakeholderProfile,
)
from detente.actors.errors import ActorNotFoundError
from detente.db import Database
from detente.db.processes import list_parties
from detente.web.actors.books import book_id

__all__ = ["setup_demo_actors"]

_DAY = date(2024, 3, 1)
_NAMES = (
    "Joint Ceasefire Commission (fictional)",
    "Arcadian Defence Forces",
    "Borealis Republican Army",
    "Lowvale Militia",
    "Free Coast Movement",
    "Cinder Guard",
)
_RELATIONS = (
    ("Joint Ceasefire Commission (fictional)", "Borealis Republican Army", RelationKind.INFLUENCE_OVER, 0.6),
    ("Arcadian Defence Forces", "Lowvale Militia", RelationKind.PATRON_OF, 0.7),
)


def _profiles(arcadia: int, borealis: int) -> list[tuple[str, str, StakeholderProfile]]:
    """(label, actor name, profile) — every name, quote and judgement is invented."""

    def prof(name: str, label: str, attitude: Attitude, why: str, **kw: object) -> tuple[str, str, StakeholderProfile]:
        p = StakeholderProfile(
            actor_id=name, label=label, attitude=attitude, attitude_evidence=why, attitude_date=_DAY,
            updated_by="analyst" if label == "all_parties" else "mediator", **kw,  # type: ignore[arg-type]
        )  # fmt: skip
        return label, name, p

    return [
        prof("Joint Ceasefire Commission (fictional)", "public", Attitude.CHAMPION,
             "Chairs the hotline working group (public communiqué, March 2024).",
             contribution=Evidenced("Verifies incidents along the line of contact", "Mandate letter", _DAY),
             power=0.7, interest=0.95),
        prof("Arcadian Defence Forces", "all_parties", Attitude.SCEPTIC,
             "Commanders questioned the hotline in round 2 (meeting minutes).",
             interests=(Evidenced("Keep positions around Lowvale", "Round 2 minutes", _DAY),),
             positions=(Position("Demining of Cinder Plain", "only after prisoner lists are agreed", "Round 3 agenda",
                                 _DAY),),
             power=0.9, interest=0.6),
        prof("Borealis Republican Army", "all_parties", Attitude.NEUTRAL,
             "Accepted the agenda of round 3 without comment (minutes).",
             positions=(Position("Prisoner exchange", "lists must include the Kestrel Bay detainees",
                                 "Borealis position paper", _DAY),)),
        prof("Lowvale Militia", "mediators_only", Attitude.SPOILER,
             "Attacked a monitoring team after the ceasefire (mediators' assessment).",
             interests=(Evidenced("Control of the Lowvale river crossings", "Field report 14", _DAY),),
             power=0.45, interest=0.8),
        prof("Free Coast Movement", f"party:{arcadia}", Attitude.SPOILER,
             "Arcadia holds it responsible for shelling in Port Amber (Arcadian note to the mediators)."),
        prof("Cinder Guard", f"party:{borealis}", Attitude.SUPPORTER,
             "Borealis reports the Guard observed the ceasefire since February (Borealis note)."),
    ]  # fmt: skip


def _find(reg: Registry, name: str) -> str | None:
    try:
        return reg.resolve(name).id
    except ActorNotFoundError:
        return None


def setup_demo_actors(workspace: Path | str, db: Database, process_id: int) -> int:
    """Build the registry (once) and store the demo profiles and relations that are missing; return how many."""
    svc = ActorService.open(workspace, clock=lambda: datetime.now(UTC))
    if svc.files.load_sources() is None:
        svc.build()
    reg = svc.registry()
    with db.transaction() as s:
        parties = [p.id for p in list_parties(s, process_id)]
    if len(parties) < 2:
        return 0
    ids = {name: _find(reg, name) for name in _NAMES}
    added = 0
    for label, name, profile in _profiles(parties[0], parties[1]):
        aid = ids.get(name)
        bid = book_id(process_id, label)
        if aid is None or aid in svc.book(bid, [label]).profiles:
            continue
        if name == "Arcadian Defence Forces" and ids["Lowvale Militia"]:
            lev = Leverage("Supplies and pay", (str(ids["Lowvale Militia"]),), "Field report 9 (fictional)", _DAY)
            profile = replace(profile, leverage=(lev,))
        svc.save_profile(bid, replace(profile, actor_id=aid))
        added += 1
    bid = book_id(process_id, "all_parties")
    if not svc.book(bid, ["all_parties"]).relations:
        for i, (a, b, kind, strength) in enumerate(_RELATIONS, start=1):
            source, target = ids.get(a), ids.get(b)
            if source is None or target is None:
                continue
            evidence = "Mediators' mapping workshop (fictional)"
            relation = AnalystRelation(
                f"r{i:05d}", source, target, kind, strength, 0.6, "all_parties", evidence, _DAY, created_by="analyst"
            )
            svc.add_relation(bid, relation)
            added += 1
    return added
