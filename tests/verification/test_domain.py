"""Pure domain: commitments, evidence, report signatures, assessments and scores, violations, track record, zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import ibis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.path import Path as MplPath

from detente.cbm import ComplianceRecord, Outcome, TrustState
from detente.errors import InputError
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.verification.assessments import Assessment, aggregate, latest_scores, score_for
from detente.verification.commitments import Category, Commitment, Indicator, Schedule
from detente.verification.evidence import DEFAULT_MAX_BYTES, EvidenceStore
from detente.verification.geo import GeoScope, candidate_violations, point_in_polygon
from detente.verification.ledger import generate_key
from detente.verification.reports import Report, sign_report, verify_report_signature
from detente.verification.track_record import AssessedOutcome, compliance_records, plot_track_record, track_record
from detente.verification.violations import DEFAULT_PROCEDURE, IllegalTransition, apply, overdue, replay, start
from support import sealed_evidence_store

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _commitment(**kw: object) -> Commitment:
    base: dict[str, object] = {
        "title": "Release of detainees",
        "text": "Each side releases 40 detainees through the ICRC.",
        "parties": ("North", "South"),
        "category": "detainee_release",
        "schedule": Schedule(deadline=T0 + timedelta(days=30)),
        "methods": ("third_party_observer",),
        "verifier": "ICRC",
        "label": "all_parties",
        "indicators": (Indicator("detainees released", "40 per side"),),
    }
    base.update(kw)
    return Commitment(**base)  # type: ignore[arg-type]


def test_commitment_body_is_float_free_and_complete() -> None:
    body = _commitment().to_body()
    assert body["category"] == "detainee_release" and body["schedule"] == {"deadline": "2026-03-31T00:00:00Z"}
    assert body["methods"] == ["third_party_observer"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"text": ""}, "text"),
        ({"parties": ()}, "parties"),
        ({"parties": ("North", "North")}, "parties"),
        ({"category": "bribery"}, "category/methods"),
        ({"methods": ()}, "methods"),
        ({"verifier": ""}, "verifier"),
    ],
)
def test_bad_commitments_are_refused_with_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        _commitment(**change)
    assert info.value.field == field


def test_schedules() -> None:
    recurring = Schedule(start=T0, period_days=7)
    assert recurring.period_of(T0 + timedelta(days=15)) == "P2"
    assert recurring.due("P2") == T0 + timedelta(days=21)
    with pytest.raises(InputError):
        Schedule()
    with pytest.raises(InputError):
        Schedule(deadline=T0, start=T0, period_days=3)
    with pytest.raises(InputError):
        Schedule(deadline=datetime(2026, 1, 1))  # naive
    with pytest.raises(InputError):
        Schedule(start=T0, period_days=0)


# --- evidence ---------------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def _store(root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> EvidenceStore:
    return sealed_evidence_store(root, max_bytes=max_bytes)


def test_evidence_is_content_addressed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = store.put(PNG, "photo.png")
    assert PNG not in store.path(first.sha256).read_bytes()  # stored sealed
    assert store.put(PNG, "same.png").sha256 == first.sha256
    assert first.media_type == "image/png" and store.get(first.sha256) == PNG
    assert store.put("rapport d'observation — 12 obus".encode(), "notes.txt").media_type == "text/plain"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "empty"),
        (b"x" * 101, "big.txt", "limit"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "tool.exe", "not an accepted type"),
        (b"PK\x03\x04\x14\x00", "report.docx", "not an accepted type"),
        (PNG, "photo.pdf", "the name says .pdf"),
        (b"%PDF-1.7", "../../etc/passwd", "plain name"),
    ],
)
def test_bad_evidence_is_refused(tmp_path: Path, data: bytes, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _store(tmp_path, max_bytes=100).put(data, name)


def test_altered_evidence_on_disk_is_detected(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ref = store.put(b"%PDF-1.7 original", "r.pdf")
    store.path(ref.sha256).write_bytes(b"%PDF-1.7 changed!")
    with pytest.raises(InputError, match="altered"):
        store.get(ref.sha256)


# --- report signatures --------------------------------------------------------------------------------------------


def test_report_signature_covers_every_field(tmp_path: Path) -> None:
    key = generate_key("detente-user-1", seed=bytes(32))
    ev = _store(tmp_path).put(PNG, "crossing.png")
    body = Report("observer.amina", T0, "Crossing 3", "Crossing opened at 08:00.", "all_parties", 4, (ev,)).to_body()
    sig = sign_report(body, key)
    assert verify_report_signature(body, sig, key.public)
    assert not verify_report_signature({**body, "place": "Crossing 4"}, sig, key.public)
    assert not verify_report_signature(body, sig, generate_key("detente-user-2", seed=b"\x01" * 32).public)
    assert not verify_report_signature(body, "not base64!", key.public)


# --- assessments and scores ------------------------------------------------------------------------------------------


def test_pam_scores_follow_the_status() -> None:
    assert score_for(Outcome.COMPLIANT, None) == 3
    assert score_for(Outcome.PARTIALLY_COMPLIANT, 1) == 1
    assert score_for(Outcome.NON_COMPLIANT, None) == 0
    assert score_for(Outcome.PENDING, None) is None
    for status, score in ((Outcome.COMPLIANT, 2), (Outcome.PARTIALLY_COMPLIANT, 3), (Outcome.NOT_VERIFIABLE, 1)):
        with pytest.raises(InputError):
            score_for(status, score)


def test_a_judgement_needs_reports_and_a_rationale() -> None:
    with pytest.raises(InputError, match="at least one report"):
        Assessment(1, "deadline", Outcome.COMPLIANT, "seen", "obs", T0, "all_parties")
    with pytest.raises(InputError, match="rationale"):
        Assessment(1, "deadline", Outcome.PENDING, " ", "obs", T0, "all_parties")
    assert Assessment(1, "deadline", Outcome.PENDING, "awaiting ICRC", "obs", T0, "all_parties").score is None


def test_aggregates_per_party_and_process() -> None:
    scores = latest_scores([(1, T0, 1), (1, T0 + timedelta(days=1), 3), (2, T0, 0), (3, T0, None)])
    assert scores == {1: 3, 2: 0}
    process, parties = aggregate({1: ["North", "South"], 2: ["North"], 3: ["South"]}, scores)
    assert (process.commitments, process.scored, process.total) == (3, 2, 3)
    assert parties["North"].ratio == 0.5 and parties["South"].ratio == 1.0 and parties["South"].commitments == 2


# --- violations -----------------------------------------------------------------------------------------------------


def test_violation_procedure_runs_to_resolution_with_who_and_why() -> None:
    p = DEFAULT_PROCEDURE
    state, _ = start(p, "party.north", "shelling reported in zone A", T0)
    for to in ("under_review", "confirmed", "step:notification", "step:joint_commission_meeting"):
        state, _ = apply(p, state, to, "mediator.lea", f"moving to {to}", T0)
    state, _ = apply(p, state, "step:public_statement", "mediator.lea", "meeting held", T0)
    state, _ = apply(p, state, "step:sanction", "mediator.lea", "statement issued", T0)
    state, _ = apply(p, state, "resolved", "mediator.lea", "sanction applied", T0)
    assert state.final and [t.to_state for t in state.history][-1] == "resolved"
    assert replay(p, state.history) == state


def test_illegal_transitions_are_refused_clearly() -> None:
    state, _ = start(DEFAULT_PROCEDURE, "a", "why", T0)
    with pytest.raises(IllegalTransition, match="cannot go from 'alleged' to 'confirmed'; allowed: under_review"):
        apply(DEFAULT_PROCEDURE, state, "confirmed", "a", "skip", T0)
    state, _ = apply(DEFAULT_PROCEDURE, state, "under_review", "a", "ok", T0)
    state, _ = apply(DEFAULT_PROCEDURE, state, "dismissed", "a", "no evidence", T0)
    with pytest.raises(IllegalTransition, match="final"):
        apply(DEFAULT_PROCEDURE, state, "under_review", "a", "reopen", T0)
    with pytest.raises(InputError, match="reason"):
        start(DEFAULT_PROCEDURE, "a", "", T0)


def test_overdue_states_escalate_only_when_late() -> None:
    state, _ = start(DEFAULT_PROCEDURE, "a", "why", T0)
    assert overdue(state, T0 + timedelta(days=3)) is None
    with pytest.raises(IllegalTransition, match="not overdue"):
        apply(DEFAULT_PROCEDURE, state, "escalate", "system", "late?", T0 + timedelta(days=1))
    late = T0 + timedelta(days=4)
    assert overdue(state, late) == timedelta(days=1)
    escalated, _ = apply(DEFAULT_PROCEDURE, state, "escalate", "system", "review not opened", late)
    assert escalated.state == "alleged" and escalated.escalations == 1


# --- track record -----------------------------------------------------------------------------------------------------


def _outcomes() -> list[AssessedOutcome]:
    seq = [Outcome.COMPLIANT, Outcome.COMPLIANT, Outcome.NON_COMPLIANT, Outcome.PENDING, Outcome.PARTIALLY_COMPLIANT]
    return [
        AssessedOutcome(i, ("North",), o, T0 + timedelta(days=7 * i), "third_party_observer", None, f"week {i}")  # type: ignore[arg-type]
        for i, o in enumerate(seq)
    ]


def test_track_record_is_a_beta_posterior(tmp_path: Path) -> None:
    points = track_record(_outcomes())["North"]
    assert len(points) == 4  # pending is not informative
    last = points[-1]
    assert (last.alpha, last.beta) == (3.5, 2.5) and last.low < last.mean < last.high
    assert points[0].high - points[0].low > last.high - last.low  # more evidence, narrower interval
    for suffix in (".png", ".svg"):
        out = plot_track_record({"North": points}, tmp_path / f"chart{suffix}")
        assert out.stat().st_size > 1000
    with pytest.raises(InputError):
        plot_track_record({}, tmp_path / "chart.jpg")


def test_compliance_records_feed_the_trust_model() -> None:
    records = compliance_records(_outcomes())
    assert all(isinstance(r, ComplianceRecord) for r in records) and len(records) == 5
    before = TrustState.start(["North", "South"])
    after = before.apply_all(records)
    assert after.belief("South", "North") != before.belief("South", "North")


# --- zones ----------------------------------------------------------------------------------------------------------


@given(st.floats(-5, 5), st.floats(-5, 5))
def test_point_in_polygon_agrees_with_matplotlib(x: float, y: float) -> None:
    ring = [(0.0, 0.0), (4.0, 0.5), (3.0, 4.0), (1.0, 2.0), (-2.0, 3.0)]
    if any(abs(x - a) < 1e-6 or abs(y - b) < 1e-6 for a, b in ring):
        return
    assert point_in_polygon((x, y), ring) == MplPath(ring).contains_point((x, y))


def test_zone_check_on_demo_events_surfaces_candidates_only() -> None:
    events, rejects = finalize(generate_demo_events(months=12, scale=1.0), import_batch="demo")
    assert not rejects
    ring = (("-125", "-33"), ("-118", "-34"), ("-119", "-27.5"), ("-124", "-28"))
    scope = GeoScope(ring, date(2000, 1, 1), date(2100, 1, 1), ("battle", "remote_violence"))
    found = candidate_violations(scope, ibis.memtable(events))
    path = MplPath([(float(a), float(b)) for a, b in ring])
    expected = sorted(
        r["event_id"]
        for r in events.to_pylist()
        if r["category"] in scope.categories
        and r["longitude"] is not None
        and path.contains_point((r["longitude"], r["latitude"]))
    )
    assert sorted(c.event_id for c in found) == expected and expected


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ((("0", "0"), ("1", "1")), "three"),
        ((("0", "0"), ("1", "1"), ("x", "2")), "not a coordinate"),
        ((("0", "0"), ("1", "1"), ("0", "95")), "outside"),
        ((("-170", "0"), ("170", "1"), ("170", "2")), "antimeridian"),
    ],
)
def test_bad_zones_are_refused(ring: tuple[tuple[str, str], ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        GeoScope(ring, date(2026, 1, 1), date(2026, 2, 1), ("battle",))


def test_only_ceasefires_carry_zones() -> None:
    zone = GeoScope((("0", "0"), ("1", "0"), ("1", "1")), date(2026, 1, 1), date(2026, 2, 1), ("battle",))
    assert _commitment(category=Category.CEASEFIRE, geo=zone).to_body()["geo"]["polygon"][0] == ["0", "0"]
    with pytest.raises(InputError, match="zone"):
        _commitment(geo=zone)


@given(
    start_day=st.integers(0, 3000),
    period_days=st.integers(1, 120),
    offset_hours=st.integers(0, 24 * 2000),
    assessed_last=st.booleans(),
)
def test_an_owed_period_ended_before_now_and_before_the_next_due_date(
    start_day: int, period_days: int, offset_hours: int, assessed_last: bool
) -> None:
    """The board never shows "overdue" next to a date that lies ahead: the owed period's own end is in the past."""
    from detente.verification.board import due_of

    start = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=start_day)
    schedule = Schedule(start=start, period_days=period_days)
    now = start + timedelta(hours=offset_hours)
    current = int(schedule.period_of(now)[1:])
    assessed = {f"P{current - 1}"} if assessed_last else set()
    due = due_of(schedule, assessed, now)
    if due.owed_period is None:
        assert due.owed_due is None and (current == 0 or assessed_last)
    else:
        assert due.owed_period == f"P{current - 1}" and due.owed_due is not None
        assert due.owed_due <= now
        assert due.next_due is None or due.owed_due < due.next_due
