"""The actor pages and their API over HTTP: every role against every action, hidden profiles answering exactly like
missing ones, CSRF on forms, audited registry decisions and exports, and the network filters.

The workspace holds a small FICTIONAL demo event store (Arcadia and Borealis, 18 months), built once per session
and copied into each test's workspace.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.actors import ActorService, Attitude, StakeholderProfile
from detente.db.audit import list_audit_events
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.events.ingest import ingest_files
from detente.web.actors.books import book_id
from detente.workspace import Workspace
from web.conftest import World, bearer, sign_in

ARMY = "Arcadian Defence Forces"
#: one profile of ARMY per label kind, each with a phrase only its readers may see
LABEL_KEYS = ("public", "all_parties", "party_a", "party_b", "mediators_only")
#: which of those each subject of the access table reads
READS = {
    "administrator": set(LABEL_KEYS),
    "mediator": set(LABEL_KEYS),
    "analyst": {"public", "all_parties"},
    "observer": {"public", "all_parties"},
    "representative_A": {"public", "all_parties", "party_a"},
    "viewer": {"public"},
    "instance_admin": {"public"},
    "instance_admin_as_rep_B": {"public", "all_parties", "party_b"},
}


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("actors-demo") / "ws"
    ws = Workspace.open(root, create=True)
    events, rejects = finalize(generate_demo_events(seed=7, months=18, scale=1.0), import_batch="actors-test")
    assert not rejects
    path = ws.root / "demo-events.parquet"
    write_events([events], "parquet", path)
    ingest_files(ws.root, [path])
    return root


@pytest.fixture
def workspace(tmp_path: Path, demo_store: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(demo_store, ws)
    return ws


def _label(world: World, key: str) -> str:
    return {"party_a": f"party:{world.party_a}", "party_b": f"party:{world.party_b}"}.get(key, key)


@pytest.fixture
def svc(workspace: Path) -> ActorService:
    s = ActorService.open(workspace)
    s.build()
    return s


@pytest.fixture
def army(svc: ActorService, world: World) -> str:
    """ARMY's canonical id, with one profile per label written by the mediator ``author``."""
    aid = svc.registry().resolve(ARMY).id
    for key in LABEL_KEYS:
        label = _label(world, key)
        profile = StakeholderProfile(
            actor_id=aid,
            label=label,
            attitude=Attitude.SCEPTIC,
            attitude_evidence=f"evidence phrase {key}",
            attitude_date=date(2021, 5, 1),
            updated_by="author",
        )
        svc.save_profile(book_id(world.process_id, label), profile)
    return aid


def _base(world: World) -> str:
    return f"/api/v1/processes/{world.process_id}/actors"


def test_pages_render_with_charts_for_a_member(client: TestClient, world: World, army: str) -> None:
    sign_in(client, "mediator")
    base = f"/processes/{world.process_id}/actors"
    html = {"Accept": "text/html"}
    matrix = client.get(base, headers=html)
    assert matrix.status_code == 200 and "Stakeholder matrix" in matrix.text and ARMY in matrix.text
    grid = client.get(f"{base}/grid", headers=html)
    assert grid.status_code == 200 and '<svg class="ac-grid"' in grid.text
    for quadrant in ("MANAGE CLOSELY", "KEEP SATISFIED", "KEEP INFORMED", "MONITOR"):
        assert quadrant in grid.text
    net = client.get(f"{base}/network?layer=hostile", headers=html)
    assert net.status_code == 200 and '<svg class="ac-net"' in net.text and "Legend" in net.text
    assert "tie cooperative" not in net.text.split('<svg class="ac-net"')[1].split("</svg>")[0]
    page = client.get(f"{base}/{army}", headers=html)
    assert page.status_code == 200 and "Recent events" in page.text and "/events?actor=" in page.text
    assert "evidence phrase mediators_only" in page.text
    sugg = client.get(f"{base}/suggestions", headers=html)
    assert sugg.status_code == 200 and "Civilians (Arcadia)" in sugg.text
    # the process page links to the actor pages
    assert f'href="{base}"' in client.get(f"/processes/{world.process_id}", headers=html).text


@pytest.mark.parametrize("who", sorted(READS))
def test_each_role_reads_exactly_the_profiles_its_labels_allow(
    client: TestClient, world: World, army: str, who: str
) -> None:
    headers = bearer(world.tokens[who])
    detail = client.get(f"{_base(world)}/{army}", headers=headers)
    assert detail.status_code == 200, detail.text
    seen = {p["attitude_evidence"].removeprefix("evidence phrase ") for p in detail.json()["profiles"]}
    assert seen == READS[who]
    # the same on the matrix page and in its API: hidden phrases never appear
    page = client.get(f"/processes/{world.process_id}/actors", headers={**headers, "Accept": "text/html"})
    assert page.status_code == 200
    for key in LABEL_KEYS:
        assert (f"evidence phrase {key}" in page.text) == (key in READS[who])
    rows = client.get(_base(world), params={"profiled": True}, headers=headers).json()["rows"]
    assert {r["profile"]["label"] for r in rows} == {_label(world, k) for k in READS[who]}


def test_a_non_member_gets_the_same_not_found_as_a_missing_process(client: TestClient, world: World) -> None:
    headers = {**bearer(world.tokens["non_member"]), "Accept": "application/json"}
    for suffix in ("", "/analysis", "/network", "/suggestions", "/decisions", "/export"):
        hidden = client.get(f"/api/v1/processes/{world.process_id}/actors{suffix}", headers=headers)
        missing = client.get(f"/api/v1/processes/999999/actors{suffix}", headers=headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


def test_profile_writes_by_role(client: TestClient, world: World, army: str, svc: ActorService) -> None:
    url = f"{_base(world)}/{army}/profile"
    body = {"attitude": "supporter", "attitude_evidence": "said so", "attitude_date": "2021-06-01"}
    no_profile = f"{_base(world)}/{svc.registry().resolve('Cinder Guard').id}/profile"

    def put(who: str, key: str, target: str = url) -> tuple[int, bytes]:
        r = client.put(target, json={**body, "label": _label(world, key)}, headers=bearer(world.tokens[who]))
        return r.status_code, r.content

    # the mediator's all_parties profile: editors may update it, its non-authors may not
    assert put("mediator", "all_parties")[0] == 200
    assert put("analyst", "all_parties")[0] == 403
    assert put("viewer", "public")[0] == 403
    # under a label one may not read, an existing profile answers exactly like one that does not exist
    hidden = put("representative_A", "party_b")
    absent = put("representative_A", "party_b", no_profile)
    assert hidden[0] == absent[0] == 404 and hidden[1] == absent[1]
    assert put("analyst", "mediators_only")[0] == 404
    # a new actor: the analyst creates an all_parties profile and, as its author, updates it
    other = svc.registry().resolve("Lowvale Militia").id
    new_url = f"{_base(world)}/{other}/profile"
    assert put("analyst", "all_parties", new_url)[0] == 200
    assert put("analyst", "all_parties", new_url)[0] == 200
    assert put("observer", "all_parties", new_url)[0] == 403  # not the author
    assert put("representative_A", "party_a", new_url)[0] == 200  # its own book beside the analysts'
    entry = client.post(
        f"{_base(world)}/{other}/entries",
        json={"label": "all_parties", "kind": "leverage", "text": "river crossings", "evidence": "field report",
              "date": "2021-06-02", "over": [ARMY]},
        headers=bearer(world.tokens["analyst"]),
    )  # fmt: skip
    assert entry.status_code == 201, entry.text
    shown = client.get(f"{_base(world)}/{other}", headers=bearer(world.tokens["observer"])).json()["profiles"]
    assert [p["leverage"][0]["over_names"] for p in shown] == [[ARMY]]
    # the analysts' book and party A's book both exist; the representative of B never sees party A's
    rep_b = client.get(f"{_base(world)}/{other}", headers=bearer(world.tokens["instance_admin_as_rep_B"])).json()
    assert [p["label"] for p in rep_b["profiles"]] == ["all_parties"]
    bad = client.put(url, json={**body, "label": "party:999"}, headers=bearer(world.tokens["mediator"]))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "label"


def test_forms_need_the_csrf_token_and_redirect(client: TestClient, world: World, army: str) -> None:
    csrf = sign_in(client, "mediator")
    url = f"/processes/{world.process_id}/actors/{army}/profile"
    form = {"label": "public", "attitude": "champion", "attitude_evidence": "opened the talks",
            "attitude_date": "2021-07-01", "power": "0.8", "interest": ""}  # fmt: skip
    refused = client.post(url, data=form, follow_redirects=False)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    done = client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=profile_saved")
    page = client.get(done.headers["location"], headers={"Accept": "text/html"})
    assert "The profile is saved." in page.text and "opened the talks" in page.text
    entry = {"label": "public", "kind": "interest", "text": "a quiet border", "evidence": "speech",
             "date": "2021-07-02", "csrf_token": csrf}  # fmt: skip
    added = client.post(f"/processes/{world.process_id}/actors/{army}/entries", data=entry, follow_redirects=False)
    assert added.status_code == 303
    assert "a quiet border" in client.get(f"/processes/{world.process_id}/actors", headers={"Accept": "text/html"}).text


def test_merge_reject_undo_by_curators_only_and_audited(
    app: FastAPI, client: TestClient, world: World, svc: ActorService
) -> None:
    reg = svc.registry()
    a, b = reg.resolve("Civilians (Arcadia)").id, reg.resolve("Civilians (Borealis)").id
    url = f"{_base(world)}/decisions"
    merge = {"kind": "merge", "a": a, "b": b, "note": "test"}
    for who, status in (("observer", 403), ("representative_A", 403), ("viewer", 403), ("non_member", 404),
                        ("instance_admin", 403)):  # fmt: skip
        assert client.post(url, json=merge, headers=bearer(world.tokens[who])).status_code == status, who
    assert client.get(url, headers=bearer(world.tokens["viewer"])).json() == []
    made = client.post(url, json=merge, headers=bearer(world.tokens["analyst"]))
    assert made.status_code == 201 and made.json()["into"] == a
    # the merged actor is gone from the registry; its page answers "not found"
    assert client.get(f"{_base(world)}/{b}", headers=bearer(world.tokens["analyst"])).status_code == 404
    merged = client.get(f"{_base(world)}/{a}", headers=bearer(world.tokens["analyst"])).json()["actor"]
    assert sorted(merged["source_keys"]) == ["demo:Civilians (Arcadia)", "demo:Civilians (Borealis)"]
    # undo through the page form (a session with its CSRF token)
    csrf = sign_in(client, "mediator")
    undo = client.post(
        f"/processes/{world.process_id}/actors/decisions",
        data={"kind": "undo", "target": made.json()["id"], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert undo.status_code == 303 and undo.headers["location"].endswith("done=undone")
    assert client.get(f"{_base(world)}/{b}").status_code == 200
    reject = client.post(
        f"/processes/{world.process_id}/actors/decisions",
        data={"kind": "reject", "a": a, "b": b, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert reject.status_code == 303
    log = client.get(url).json()
    assert [d["kind"] for d in log] == ["reject", "undo", "merge"] and not log[2]["active"]
    assert all(s["a"]["id"] != a for s in client.get(f"{_base(world)}/suggestions").json())
    again = client.post(url, json=merge, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409  # rejected pairs are not merged without undoing the rejection
    with app.state.ctx.db.transaction() as s:
        actions = [e.action for e in list_audit_events(s, limit=50) if e.action.startswith("actors.")]
    assert sorted(actions) == ["actors.merge", "actors.reject", "actors.undo"]


def test_exports_are_access_checked_and_audited(app: FastAPI, client: TestClient, world: World, army: str) -> None:
    url = f"{_base(world)}/export"
    assert client.get(url, headers=bearer(world.tokens["viewer"])).status_code == 403
    assert client.get(url, headers=bearer(world.tokens["non_member"])).status_code == 404
    graphml = client.get(url, headers=bearer(world.tokens["representative_A"]))
    assert graphml.status_code == 200 and graphml.headers["content-type"].startswith("application/graphml")
    root = ET.fromstring(graphml.content)
    assert root.tag.endswith("graphml") and graphml.content.count(b"<node ") >= 5
    csv_rel = client.get(
        url, params={"format": "relations.csv", "layer": "hostile"}, headers=bearer(world.tokens["mediator"])
    )
    assert csv_rel.status_code == 200 and csv_rel.text.startswith("source,target,source_name,target_name,events")
    with app.state.ctx.db.transaction() as s:
        exported = [e for e in list_audit_events(s, action="actors.exported", limit=10)]
    assert len(exported) == 2 and {e.detail["format"] for e in exported} == {"graphml", "relations.csv"}


def test_network_filters(client: TestClient, world: World, army: str) -> None:
    headers = bearer(world.tokens["analyst"])
    full = client.get(f"{_base(world)}/network", headers=headers).json()
    assert {e["layer"] for e in full["edges"]} == {"hostile", "cooperative"}
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in full["nodes"])
    hostile = client.get(f"{_base(world)}/network", params={"layer": "hostile", "min_weight": 20}, headers=headers)
    edges = hostile.json()["edges"]
    assert edges and all(e["layer"] == "hostile" and e["weight"] >= 20 for e in edges)
    few = client.get(f"{_base(world)}/network", params={"top": 3}, headers=headers).json()
    assert len(few["nodes"]) == 3
    window = client.get(f"{_base(world)}/network", params={"start": "2020-01-01", "end": "2020-03-31"}, headers=headers)
    assert window.json()["window"] == "2020-01-01..2020-03-31"
    xar = client.get(f"{_base(world)}/network", params={"country": "xar"}, headers=headers).json()
    names = {n["name"] for n in xar["nodes"]}
    assert "Civilians (Arcadia)" in names and "Civilians (Borealis)" not in names
    bad = client.get(f"{_base(world)}/network", params={"country": "1X"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "country"
    backwards = client.get(
        f"{_base(world)}/analysis", params={"start": "2021-01-01", "end": "2020-01-01"}, headers=headers
    )
    assert backwards.status_code == 422
    grid = client.get(f"{_base(world)}/analysis", headers=headers).json()
    assert grid["placements"] and all(p["reason"] for p in grid["placements"])


def test_the_demo_setup_builds_actors_and_profiles(app: FastAPI, workspace: Path, world: World) -> None:
    from detente.web.actors.demo import setup_demo_actors

    first = setup_demo_actors(workspace, app.state.ctx.db, world.process_id)
    assert first >= 6
    assert setup_demo_actors(workspace, app.state.ctx.db, world.process_id) == 0  # idempotent
