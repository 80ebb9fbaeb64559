"""Fictional verification records for the demo process (Arcadia and Borealis do not exist): three commitments
accepted by the parties they bind, one proposal still awaiting Borealis, one that Borealis declined, reports with an
evidence file, assessments and one violation under review — written through the services as the demo's people, so
each is logged with a signed checkpoint and audited. Idempotent: nothing is added when the process has commitments.

The representatives' signing keys are made here and forgotten once the demo is set up: in a real process each
representative makes and keeps its own (``detente keys new``, or the browser's key) and the server never sees it.

Call it after :func:`detente.services.demo.process.setup_demo_process`.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from detente.db.verification import has_commitments
from detente.services import consent, processes, verification
from detente.services.accounts import caller_by_name
from detente.services.caller import Caller, operator
from detente.services.context import AppContext
from detente.verification.ledger import KeyPair, generate_key

__all__ = ["add_demo_verification"]

_EVIDENCE = (
    b"FICTIONAL demo evidence. Observer log, Cinder Plain crossing, 2024-03-02.\n"
    b"08:05 gate opened; 08:05-16:00 212 civilians crossed; 16:02 gate closed.\n"
)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(app: AppContext, when: datetime) -> AppContext:
    """The application with a clock stopped at ``when`` (records the demo dates in the past)."""
    return dataclasses.replace(app, clock=lambda: when)


def _commitments(arcadia: str, borealis: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "title": "Ceasefire along the Lowvale–Cinder Plain line",
            "text": "No shelling, air strikes or armed clashes within the agreed zone along the line of contact.",
            "parties": [arcadia, borealis],
            "category": "ceasefire",
            "schedule": {"start": "2024-02-01T00:00:00Z", "period_days": 30},
            "methods": ["third_party_observer", "event_data_check"],
            "verifier": "Joint observer mission (fictional)",
            "label": "all_parties",
            "indicators": [{"name": "incidents in the zone", "target": "0 per period"}],
            "geo": {
                "polygon": [["-124.5", "-32.0"], ["-120.5", "-32.0"], ["-120.5", "-29.0"], ["-124.5", "-29.0"]],
                "start": "2024-02-01",
                "end": "2024-12-31",
                "categories": ["battle", "remote_violence"],
            },
        },
        {
            "title": "Release of the Kestrel Bay detainees",
            "text": "Borealis releases the 40 detainees on the agreed list to the humanitarian agency.",
            "parties": [borealis],
            "category": "detainee_release",
            "schedule": {"deadline": _iso(now - timedelta(days=10))},
            "methods": ["third_party_observer"],
            "verifier": "Humanitarian agency (fictional)",
            "label": "all_parties",
            "indicators": [{"name": "detainees released", "target": "40"}],
        },
        {
            "title": "Joint military hotline staffed daily",
            "text": "Both sides staff the hotline 24 hours a day and answer test calls within 5 minutes.",
            "parties": [arcadia, borealis],
            "category": "communication_channel",
            "schedule": {"start": _iso(now - timedelta(days=45)), "period_days": 30},
            "methods": ["self_report", "counterpart_observation"],
            "verifier": "Mediation team (fictional)",
            "label": "public",
        },
    ]


def _decide(app: AppContext, rep: Caller, key: KeyPair, process_id: int, cid: int, decision: str, reason: str) -> None:
    """What a representative's laptop does: fetch the statement, sign it with the party's key, submit."""
    text = consent.statement_for(app, rep, process_id, cid, decision=decision, reason=reason).statement
    signature = base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii")
    consent.decide(app, rep, process_id, cid, decision=decision, reason=reason, signature=signature)


def add_demo_verification(app: AppContext, process_id: int) -> bool:
    """Add the fictional records; False when the process has commitments already (nothing changed)."""
    with app.db.transaction() as s:
        if has_commitments(s, process_id):
            return False
    detail = processes.process_detail(app, operator("demo"), process_id)
    arcadia, borealis = (p.name for p in detail.parties[:2])
    mediator = caller_by_name(app, "mediator", via="demo", ip="demo")
    observer = caller_by_name(app, "observer", via="demo", ip="demo")
    now = app.clock()
    reps = {name: caller_by_name(app, name, via="demo", ip="demo") for name in ("rep-arcadia", "rep-borealis")}
    keys = {name: generate_key(f"{name}-demo") for name in reps}
    early = _at(app, now - timedelta(days=60))
    for name, rep in reps.items():
        consent.register_key(early, rep, process_id, keys[name].public.vkey)
    speaks_for = {arcadia: "rep-arcadia", borealis: "rep-borealis"}
    proposed = [consent.propose(early, mediator, process_id, c) for c in _commitments(arcadia, borealis, now)]
    for made in proposed:
        for party in made.awaiting:
            name = speaks_for[party]
            _decide(_at(app, now - timedelta(days=58)), reps[name], keys[name], process_id, made.id, "accept", "")
    ids = [made.id for made in proposed]
    release = {
        **_commitments(arcadia, borealis, now)[1],
        "title": "Reopen the Cinder Plain market crossing",
        "text": "Borealis reopens the market crossing on Tuesdays and Fridays, 08:00-14:00.",
        "category": "humanitarian_access",
        "schedule": {"deadline": _iso(now + timedelta(days=30))},
    }
    consent.propose(_at(app, now - timedelta(days=1)), reps["rep-arcadia"], process_id, release)  # awaits Borealis
    patrols = {
        **release,
        "title": "Joint patrols in the Lowvale valley",
        "parties": [arcadia, borealis],
        "text": "Mixed patrols of both forces in the valley every week.",
        "category": "other",
    }
    declined = consent.propose(_at(app, now - timedelta(days=20)), mediator, process_id, patrols).id
    _decide(
        _at(app, now - timedelta(days=18)),
        reps["rep-borealis"],
        keys["rep-borealis"],
        process_id,
        declined,
        "decline",
        "Too early: our commanders will not patrol with theirs before the hotline has run for a year.",
    )
    handed_over = "31 of the 40 listed detainees were handed over; 9 names were not produced."
    report = verification.file_report(
        app, observer, process_id, narrative=handed_over, place="Kestrel Bay", time=_iso(now - timedelta(days=12)),
        label="all_parties", commitment_id=ids[1], uploads=[("observer-log.txt", _EVIDENCE)],
    )  # fmt: skip
    hotline = verification.file_report(
        app, observer, process_id, narrative="All 30 test calls answered within 3 minutes by both sides.",
        place="Hotline office", time=_iso(now - timedelta(days=16)), label="public", commitment_id=ids[2], uploads=[],
    )  # fmt: skip
    for cid, rid, status, period, why, label in (
        (ids[1], report.id, "partially_compliant", "deadline", "31 of 40 released.", "all_parties"),
        (ids[2], hotline.id, "compliant", "P0", "Every test call answered in time.", "public"),
    ):
        at = now - timedelta(days=9 if period == "deadline" else 14)
        verification.assess(
            _at(app, at), observer, process_id, cid, period=period, status=status, rationale=why, label=label,
            report_ids=[rid],
        )  # fmt: skip
    violation = verification.allege(
        _at(app, now - timedelta(days=2)), observer, process_id, ids[0],
        summary="Shelling reported near Cinder Plain inside the zone (fictional).", label="all_parties",
    )  # fmt: skip
    verification.move(
        _at(app, now - timedelta(days=1)), mediator, process_id, violation.id, to="under_review",
        reason="Observer team dispatched to the site.",
    )  # fmt: skip
    verification.sign_checkpoint(app, mediator, process_id)
    return True
