"""The actors of the FICTIONAL demo: build the registry from the demo events and give the demo process a few
stakeholder profiles under each visibility label, and analyst relations. Idempotent: profiles already present are
kept, and the registry is only built when it has not been.

Written through the services (the operator builds the registry; the demo analyst and mediator write the profiles
their roles may write), so every profile is labelled, versioned and audited. Call after the demo events are
imported and the demo process exists::

    setup_demo_actors(app, process_id)
"""

from __future__ import annotations

from datetime import date

from detente.actors import Attitude, Evidenced, Position, Registry, RelationKind, StakeholderProfile
from detente.db import actors as actors_db
from detente.errors import ActorNotFoundError
from detente.services import actors
from detente.services.accounts import caller_by_name
from detente.services.actors import EntryInput, ProfileInput, RelationInput
from detente.services.caller import operator
from detente.services.context import AppContext

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


def setup_demo_actors(app: AppContext, process_id: int) -> int:
    """Build the registry (once) and store the demo profiles and relations that are missing; return how many."""
    with app.db.transaction() as s:
        built = actors_db.load_sources(s) is not None
    if not built:
        actors.build(app, operator("demo"))
    analyst = caller_by_name(app, "analyst", via="demo", ip="demo")
    mediator = caller_by_name(app, "mediator", via="demo", ip="demo")
    scope = actors.open_scope(app, mediator, process_id)
    parties = sorted(scope.parties)
    if len(parties) < 2:
        return 0
    reg = scope.registry
    ids = {name: _find(reg, name) for name in _NAMES}
    have = {(lb.label, aid) for lb in actors.books(app, scope) for aid in lb.book.profiles}
    added = 0
    for label, name, profile in _profiles(parties[0], parties[1]):
        aid = ids.get(name)
        if aid is None or (label, aid) in have:
            continue
        who = analyst if label == "all_parties" else mediator
        data = ProfileInput(label, profile.attitude.value, profile.attitude_evidence, profile.attitude_date,
                            profile.power, profile.interest)  # fmt: skip
        actors.set_profile(app, who, process_id, aid, data)
        entries = [EntryInput(label, "interest", e.text, e.evidence, e.date) for e in profile.interests]
        entries += [EntryInput(label, "position", x.stance, x.evidence, x.date, x.issue) for x in profile.positions]
        if profile.contribution is not None:
            c = profile.contribution
            entries.append(EntryInput(label, "contribution", c.text, c.evidence, c.date))
        if name == "Arcadian Defence Forces" and ids["Lowvale Militia"]:
            over = (str(ids["Lowvale Militia"]),)
            entries.append(EntryInput(label, "leverage", "Supplies and pay", "Field report 9 (fictional)", _DAY,
                                      over=over))  # fmt: skip
        for entry in entries:
            actors.add_entry(app, who, process_id, aid, entry)
        added += 1
    relations = [r for lb in actors.books(app, scope, ["all_parties"]) for r in lb.book.relations]
    if not relations:
        for a, b, kind, strength in _RELATIONS:
            source, target = ids.get(a), ids.get(b)
            if source is None or target is None:
                continue
            relation = RelationInput("all_parties", source, target, kind.value, strength, 0.6,
                                     "Mediators' mapping workshop (fictional)", _DAY)  # fmt: skip
            actors.add_relation(app, analyst, process_id, relation)
            added += 1
    return added
