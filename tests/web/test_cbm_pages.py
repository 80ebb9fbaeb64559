"""The CBM pages and API through HTTP: catalogue filters and measure detail, process measures, trust with analyst
input (audited), the plan builder, saved plans, a step made a commitment, and replanning from verified outcomes —
each under the access rules (roles × actions, concealed denials answered exactly like missing records)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consenting import decide_for
from detente.db.audit import list_audit_events
from detente.db.models import Process
from detente.db.users import AccountPolicy
from detente.db.verification import file_report, list_commitments, record_assessment
from detente.verification.assessments import Assessment
from detente.verification.reports import Report
from support import FakeClock
from web.conftest import World, bearer, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROLES = ("administrator", "mediator", "analyst", "observer", "representative_A", "viewer", "non_member")
SMALL_PLAN = {"horizon": 4, "threshold": 0.6, "max_cost": 0.5, "max_risk": 0.5, "min_verifiability": 0.6}


def _api(process_id: int, path: str) -> str:
    return f"/api/v1/processes/{process_id}/cbm{path}"


def _get(client: TestClient, world: World, who: str, path: str) -> Any:
    return client.get(_api(world.process_id, path), headers=bearer(world.tokens[who]))


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(_api(world.process_id, path), json=body or {}, headers=bearer(world.tokens[who]))


def _missing_body(client: TestClient, world: World) -> Any:
    return client.get("/api/v1/processes/999999/cbm/trust", headers=bearer(world.tokens["mediator"])).json()


def test_catalogue_filters_and_measure_detail(client: TestClient, world: World) -> None:
    everything = _get(client, world, "viewer", "/catalogue").json()
    assert everything["total"] == len(everything["measures"]) >= 84
    some = _get(client, world, "observer", "/catalogue?domain=humanitarian&min_signal=0.5&reciprocity=unilateral")
    measures = some.json()["measures"]
    assert measures and all(
        m["domain"] == "humanitarian" and m["signal_strength"] >= 0.5 and not m["reciprocity_expected"]
        for m in measures
    )
    cheap = _get(client, world, "analyst", "/catalogue?max_cost=0.1&min_verifiability=0.9").json()["measures"]
    assert all(m["cost_to_initiator"] <= 0.1 and m["verifiability"] >= 0.9 for m in cheap)
    detail = _get(client, world, "representative_A", "/catalogue/unilateral_detainee_release").json()
    assert detail["examples"] and all(e["citation"] for e in detail["examples"])
    assert _get(client, world, "viewer", "/catalogue/no_such_measure").status_code == 404
    assert _get(client, world, "non_member", "/catalogue").json() == _missing_body(client, world)

    sign_in(client, "viewer")
    page = client.get(f"/processes/{world.process_id}/cbm/catalogue?domain=communication")
    assert page.status_code == 200 and "hotline" in page.text.lower()
    assert "Add a measure" not in page.text  # viewers may not add measures
    page = client.get(f"/processes/{world.process_id}/cbm/catalogue/buffer_zone")
    assert page.status_code == 200 and "Historical examples" in page.text and "<cite>" in page.text


def _measure(mid: str, **changes: Any) -> dict[str, Any]:
    base = {
        "id": mid,
        "name": "Weekly market-day crossing",
        "domain": "economic",
        "description": "The river crossing opens every Saturday for traders of both villages.",
        "cost_to_initiator": 0.15,
        "risk_to_initiator": 0.2,
        "signal_strength": 0.35,
        "reversibility": 0.8,
        "verifiability": 0.9,
        "verification_methods": ["counterpart_observation"],
        "time_to_implement_days": 14,
        "prerequisites": ["crossing_points"],
        "sovereignty_sensitivity": 0.3,
        "reciprocity_expected": True,
    }
    return {**base, **changes}


def test_process_measures_are_validated_and_labelled(client: TestClient, world: World) -> None:
    made = _post(client, world, "analyst", "/measures", {"label": "all_parties", "measure": _measure("market_day")})
    assert made.status_code == 201, made.text
    assert _get(client, world, "observer", "/catalogue/market_day").json()["source"] == "process"
    # validated like the built-in ones
    bad = _post(client, world, "analyst", "/measures", {"label": "all_parties", "measure": _measure("x_bad")})
    assert bad.status_code == 201  # a fine measure
    clash = _post(client, world, "mediator", "/measures", {"label": "all_parties", "measure": _measure("buffer_zone")})
    assert clash.status_code == 422
    unknown = _post(
        client, world, "mediator", "/measures", {"label": "all_parties", "measure": _measure("y", prerequisites=["zz"])}
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] is not None
    reserved = _post(client, world, "mediator", "/measures", {"label": "public", "measure": _measure("z_p1")})
    assert reserved.status_code == 422
    assert _post(client, world, "observer", "/measures", {"measure": _measure("obs_m1")}).status_code == 403
    assert _post(client, world, "representative_A", "/measures", {"measure": _measure("rep1")}).status_code == 403
    # a measure restricted to party A: A's representative sees it, nobody else but the mediators learns of it
    party_a = f"party:{world.party_a}"
    secret = _post(client, world, "mediator", "/measures", {"label": party_a, "measure": _measure("quiet_offer")})
    assert secret.status_code == 201
    sid = secret.json()["id"]
    assert _get(client, world, "representative_A", f"/catalogue/{sid}").status_code == 200
    for who in ("analyst", "observer", "viewer"):
        hidden = _get(client, world, who, f"/catalogue/{sid}")
        missing = _get(client, world, who, "/catalogue/quiet_offer_p999")
        assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
        assert sid not in {m["id"] for m in _get(client, world, who, "/catalogue").json()["measures"]}


def test_trust_and_plans_are_for_mediators_by_default(client: TestClient, world: World, app: FastAPI) -> None:
    missing = _missing_body(client, world)
    for who in ROLES:
        response = _get(client, world, who, "/trust")
        if who in ("administrator", "mediator"):
            assert response.status_code == 200, (who, response.text)
        else:
            assert (response.status_code, response.json()) == (404, missing), who
        plans = _get(client, world, who, "/plans")
        assert plans.status_code == (200 if who in ("administrator", "mediator") else 404), who
    nudge = {"truster": "Party A", "trustee": "Party B", "action": "nudge", "value": -0.5, "rationale": "shelling"}
    assert _post(client, world, "analyst", "/trust/inputs", nudge).status_code == 404
    # widening the trust label (before anything restricted went into it) lets analysts read and judge; party
    # representatives still may not judge
    assert client.put(
        _api(world.process_id, "/labels"), json={"trust_label": "all_parties"}, headers=bearer(world.tokens["analyst"])
    ).status_code in (403, 404)
    relabel = client.put(
        _api(world.process_id, "/labels"), json={"trust_label": "all_parties"}, headers=bearer(world.tokens["mediator"])
    )
    assert relabel.status_code == 200, relabel.text
    done = _post(client, world, "mediator", "/trust/inputs", nudge)
    assert done.status_code == 201, done.text
    update = done.json()["update"]
    assert update["after"] < update["before"] and "shelling" in update["explanation"]
    with app.state.ctx.db.transaction() as s:
        events = list_audit_events(s, action="cbm.trust_input")
        assert events and events[0].detail["rationale"] == "shelling"
    bad = {**nudge, "action": "set", "value": 1.5}
    assert _post(client, world, "mediator", "/trust/inputs", bad).status_code == 422
    same = {**nudge, "trustee": "Party A"}
    assert _post(client, world, "mediator", "/trust/inputs", same).status_code == 422
    assert _post(client, world, "analyst", "/trust/inputs", {**nudge, "rationale": "talks resumed"}).status_code == 201
    assert _post(client, world, "representative_A", "/trust/inputs", nudge).status_code == 403
    history = _get(client, world, "observer", "/trust").json()["history"]
    assert [h["evidence"]["rationale"] for h in history] == ["shelling", "talks resumed"]

    # a judgement made for the mediators only narrows the whole state: the parties no longer read it, and it may not
    # be widened again (its history now holds the mediators' rationale)
    private = client.put(
        _api(world.process_id, "/labels"),
        json={"trust_label": "mediators_only"},
        headers=bearer(world.tokens["mediator"]),
    )
    assert private.status_code == 200
    secret = {**nudge, "rationale": "the envoy's private read"}
    assert _post(client, world, "mediator", "/trust/inputs", secret).status_code == 201
    widen = client.put(
        _api(world.process_id, "/labels"), json={"trust_label": "all_parties"}, headers=bearer(world.tokens["mediator"])
    )
    assert widen.status_code == 422 and widen.json()["error"]["field"] == "trust_label"
    assert "mediators_only" in widen.json()["error"]["message"]
    assert _get(client, world, "observer", "/trust").status_code == 404


def _assess(
    app: FastAPI,
    world: World,
    commitment_id: int,
    status: str,
    clock: FakeClock,
    workspace: Path,
    label: str = "all_parties",
) -> None:
    vault = app.state.ctx.vault()  # the master key the application opens it with
    with app.state.ctx.db.transaction() as s:
        report = file_report(
            s,
            world.process_id,
            Report("observer", clock(), "Lowvale", f"observed: {status}", label, commitment_id=commitment_id),
            author_id=world.users["observer"],
            vault=vault,
            clock=clock,
        )
        record_assessment(
            s,
            world.process_id,
            Assessment(
                commitment_id,
                "deadline",
                status,
                "seen by the mission",
                "observer",
                clock(),
                label,
                report_ids=(report.id,),
            ),
            actor_id=world.users["observer"],
            clock=clock,
        )


def test_plan_commitment_and_replanning_from_verified_outcomes(
    client: TestClient, world: World, app: FastAPI, clock: FakeClock, workspace: Path
) -> None:
    assert _post(client, world, "representative_A", "/plans", SMALL_PLAN).status_code == 404
    assert _post(client, world, "mediator", "/plans/replan").status_code == 422  # nothing to replan yet
    first = _post(client, world, "mediator", "/plans", SMALL_PLAN)
    assert first.status_code == 201, first.text
    plan = first.json()
    assert plan["revision"] == 1 and 0.0 <= plan["p_goal"] <= 1.0 and plan["plan"]["fallback"]["text"]
    steps = plan["plan"]["steps"]
    assert steps and all(s["reason"] and s["announcement"] for s in steps)
    assert plan["plan"]["simulation"]["trajectory"]

    # one action: the first step becomes a commitment of the verification module, linked back to the plan
    step = steps[0]
    assert _post(client, world, "observer", "/plans/1/steps/1/commitment").status_code == 404  # cannot read plans
    made = _post(client, world, "mediator", "/plans/1/steps/1/commitment", {"label": "all_parties"})
    assert made.status_code == 201, made.text
    cid = made.json()["commitment_id"]
    decide_for(app.state.ctx, world.process_id, cid)  # the step's initiator accepts it, with its own key
    assert _post(client, world, "mediator", "/plans/1/steps/1/commitment").status_code == 409
    assert _post(client, world, "mediator", "/plans/1/steps/99/commitment").status_code == 404
    with app.state.ctx.db.transaction() as s:
        (row,) = [c for c in list_commitments(s, world.process_id, ["all_parties"]) if c.id == cid]
        assert row.body["measure_id"] == step["measure_id"] and row.body["parties"] == [step["initiator"]]
        assert row.body["methods"] and row.log_index >= 0 and row.label == "all_parties"
    assert _get(client, world, "mediator", "/plans/1").json()["commitments"] == {"1": cid}

    # verified compliance: trust moves, the measure is in place, the next recommended step changes
    clock.now += timedelta(days=3)
    _assess(app, world, cid, "compliant", clock, workspace)
    again = _post(client, world, "mediator", "/plans/replan")
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["revision"] == 2 and body["supersedes"] == 1 and body["records_applied"] == 1
    assert body["changes"]["trust_moves"] and "rose" in body["changes"]["trust_moves"][0]
    assert step["measure_id"] in body["plan"]["constraints"]["in_place"]
    assert body["next_step"] != plan["next_step"]
    assert _get(client, world, "mediator", "/plans").json()["plans"][1]["revision"] == 1  # the earlier plan is kept
    assert _post(client, world, "mediator", "/plans/replan").json()["records_applied"] == 0  # nothing new

    # a verified defection triggers the fallback
    second = _post(client, world, "mediator", "/plans/3/steps/1/commitment").json()["commitment_id"]
    decide_for(app.state.ctx, world.process_id, second)
    clock.now += timedelta(days=3)
    _assess(app, world, second, "non_compliant", clock, workspace)
    fell = _post(client, world, "mediator", "/plans/replan").json()
    assert fell["fallback"] and "Fallback" in fell["changes"]["fallback"]
    assert "fell" in fell["changes"]["trust_moves"][0]


def test_plan_label_for_one_party_hides_plans_from_the_other(client: TestClient, world: World) -> None:
    assert _post(client, world, "mediator", "/plans", {**SMALL_PLAN, "horizon": 2}).status_code == 201
    label = f"party:{world.party_a}"
    ok = client.put(
        _api(world.process_id, "/labels"), json={"plan_label": label}, headers=bearer(world.tokens["mediator"])
    )
    assert ok.status_code == 200
    assert _get(client, world, "representative_A", "/plans/1").status_code == 200
    hidden, missing = _get(client, world, "representative_A", "/plans/7"), _missing_body(client, world)
    assert hidden.status_code == 404
    for who in ("observer", "analyst", "viewer"):
        response = _get(client, world, who, "/plans/1")
        assert (response.status_code, response.json()) == (404, missing), who
    # the party's representative reads the plan but may not plan
    assert _post(client, world, "representative_A", "/plans", SMALL_PLAN).status_code == 403


def test_a_plan_computed_from_a_party_record_is_never_shown_wider_than_that_party(
    client: TestClient,
    world: World,
    app: FastAPI,
    clock: FakeClock,
    workspace: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from detente.cli.app import app as cli
    from detente.db import cbm as cbm_db

    party_a = f"party:{world.party_a}"

    def relabel(**body: str) -> Any:
        return client.put(_api(world.process_id, "/labels"), json=body, headers=bearer(world.tokens["mediator"]))

    # shown to both parties while nothing restricted went into them
    assert relabel(trust_label="all_parties", plan_label="all_parties").status_code == 200
    assert _post(client, world, "mediator", "/plans", SMALL_PLAN).status_code == 201
    made = _post(client, world, "mediator", "/plans/1/steps/1/commitment", {"label": party_a})
    cid = made.json()["commitment_id"]
    decide_for(app.state.ctx, world.process_id, cid)
    clock.now += timedelta(days=3)
    _assess(app, world, cid, "compliant", clock, workspace, label=party_a)
    assert _post(client, world, "mediator", "/plans/replan").json()["records_applied"] == 1
    with app.state.ctx.db.transaction() as s:
        plan, trust = cbm_db.latest_plan(s, world.process_id), cbm_db.latest_trust(s, world.process_id)
        assert plan is not None and trust is not None
        assert (plan.inputs_label, trust.inputs_label) == (party_a, party_a)  # derived data inherits the label
    for who in ("observer", "analyst", "instance_admin_as_rep_B"):  # no longer shown to them ...
        assert _get(client, world, who, "/plans/2").status_code == 404, who
        assert _get(client, world, who, "/trust").status_code == 404, who
    assert _get(client, world, "representative_A", "/plans/2").status_code == 200  # ... but still to party A
    for field, wider in (("plan_label", "all_parties"), ("plan_label", "public"), ("trust_label", "all_parties"),
                         ("plan_label", f"party:{world.party_b}")):  # fmt: skip
        refused = relabel(**{field: wider})
        assert refused.status_code == 422, (field, wider, refused.text)
        error = refused.json()["error"]
        assert error["field"] == field and party_a in error["message"], error
    with app.state.ctx.db.transaction() as s:
        settings, _ = cbm_db.get_settings(s, world.process_id)
        assert (settings.plan_label, settings.trust_label) == ("all_parties", "all_parties")  # nothing changed
    # the command line refuses it the same way, in one line with exit code 2
    monkeypatch.setenv("DETENTE_WORKSPACE", str(workspace))
    monkeypatch.setenv("DETENTE_DATABASE_URL", database_url)
    args = ["cbm", "labels", "--process", str(world.process_id), "--user", "mediator", "--plans", "all_parties"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "field 'plan_label'" in result.output and party_a in result.output
    # the party's own label, or the mediators', is accepted
    assert relabel(plan_label=party_a, trust_label="mediators_only").status_code == 200


def test_pages_forms_with_csrf(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "mediator")
    base = f"/processes/{world.process_id}/cbm"
    assert client.post(f"{base}/plans", data={"horizon": "2"}, follow_redirects=False).status_code == 403
    made = client.post(f"{base}/plans", data={"csrf_token": csrf, "horizon": "3"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith("/plans/1?done=plan_saved")
    page = client.get(f"{base}/plans/1")
    assert page.status_code == 200
    assert "<svg" in page.text and "P(goal)" in page.text and "Fallback rule" in page.text
    assert "Make this step a commitment" in page.text
    linked = client.post(f"{base}/plans/1/steps/1/commitment", data={"csrf_token": csrf, "label": "all_parties"})
    assert linked.status_code == 200 and "was made from this step" in linked.text
    judged = client.post(
        f"{base}/trust",
        data={"csrf_token": csrf, "pair": "Party B->Party A", "action": "set", "value": "0.35", "rationale": "x"},
    )
    assert judged.status_code == 200 and "0.35" in judged.text
    for path in ("", "/catalogue", "/trust", "/plans"):
        assert client.get(f"{base}{path}").status_code == 200, path
    other = client.get(f"/processes/{world.other_process_id}/cbm/plans", headers={"accept": "text/html"})
    assert other.status_code == 404


def test_demo_sets_trust_and_one_plan(app: FastAPI, fast_policy: AccountPolicy) -> None:
    from detente.db import cbm as cbm_db
    from detente.services.demo import setup_cbm_demo, setup_demo_process

    ctx = app.state.ctx
    pid = setup_demo_process(ctx)
    assert setup_cbm_demo(ctx, pid) is True
    assert setup_cbm_demo(ctx, pid) is False
    with ctx.db.transaction() as s:
        assert s.get(Process, pid) is not None
        stored = cbm_db.latest_plan(s, pid)
        trust = cbm_db.latest_trust(s, pid)
    assert stored is not None and stored.revision.revision == 1
    # the demo's trust judgements were made for the mediators only; the plan made from them is theirs too
    assert trust is not None and trust.inputs_label == "mediators_only" and stored.inputs_label == "mediators_only"
    assert not (Path(ctx.workspace) / "cbm").exists()  # nothing of the CBM state is a workspace file any more


def test_every_role_finds_its_way_into_the_cbm_pages(client: TestClient, world: World) -> None:
    """The process page's link leads every member somewhere they may be; tabs they may not follow are not shown;
    a page they may not see is the designed one: the navigation kept, and what to do instead."""
    pid = world.process_id
    process_page = client.get(f"/processes/{pid}", headers={**bearer(world.tokens["viewer"]), "accept": "text/html"})
    assert f'href="/processes/{pid}/cbm"' in process_page.text
    for who in ROLES:
        headers = {**bearer(world.tokens[who]), "accept": "text/html"}
        home = client.get(f"/processes/{pid}/cbm", headers=headers)
        if who == "non_member":  # not in the process: the designed page, still signed in
            assert home.status_code == 404 and '<nav aria-label="Main">' in home.text
            continue
        assert home.status_code == 200, (who, home.text[:300])
        mediator = who in ("administrator", "mediator")
        assert home.url.path.endswith("/cbm/plans" if mediator else "/cbm/catalogue"), who
        assert (f'href="/processes/{pid}/cbm/plans"' in home.text) == mediator, who
        assert (f'href="/processes/{pid}/cbm/trust"' in home.text) == mediator, who
        assert '<nav aria-label="Main">' in home.text
        if not mediator:
            denied = client.get(f"/processes/{pid}/cbm/plans", headers=headers)
            assert denied.status_code == 404 and '<nav aria-label="Main">' in denied.text, who
            assert "your processes" in denied.text and "Sign out" in denied.text, who
