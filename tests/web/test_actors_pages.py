"""The actor pages and their API over HTTP: every role against every action, hidden profiles answering exactly like
missing ones, CSRF on forms, audited registry decisions and exports, and the network filters.

The workspace holds a small FICTIONAL demo event store (Arcadia and Borealis, 18 months), built once per session
and copied into each test's workspace.
"""

from __future__ import annotations

import html
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from detente.actors import (
    AnalystRelation,
    Attitude,
    Registry,
    RelationSet,
    StakeholderProfile,
    Window,
    WindowDiff,
)
from detente.actors.network import InfluencePath
from detente.actors.profiles import RelationKind
from detente.db import actors as actors_db
from detente.db.audit import list_audit_events
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.events.ingest import ingest_files
from detente.services import actors
from detente.services.caller import operator
from detente.services.context import AppContext
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


class ActorBench:
    """The workspace's actors through the services and the repositories (what the old file-backed service did)."""

    def __init__(self, app: AppContext, process_id: int) -> None:
        self.app, self.process_id = app, process_id

    def registry(self) -> Registry:
        return actors.registry(self.app)

    def relations(self, window: Window | None) -> RelationSet:
        return actors.engine(self.app).relations(self.registry(), window)

    def influence_paths(self, rs: RelationSet, starts: list[str], target: str) -> list[InfluencePath]:
        return actors.engine(self.app).influence_paths(rs, self.registry(), starts, target)

    def diff(self, before: Window, after: Window, *, min_events: int = 3) -> WindowDiff:
        return actors.engine(self.app).diff(self.registry(), before, after, min_events=min_events)

    def save_profile(self, profile: StakeholderProfile) -> None:
        with self.app.db.transaction() as s:
            actors_db.save_profile(s, self.process_id, profile, expected=None, at=self.app.clock(), by=None)

    def add_relation(self, relation: AnalystRelation) -> None:
        with self.app.db.transaction() as s:
            actors_db.add_relation(s, self.process_id, relation, at=self.app.clock(), by=None)


@pytest.fixture
def svc(app: FastAPI, world: World) -> ActorBench:
    actors.build(app.state.ctx, operator("test"))
    return ActorBench(app.state.ctx, world.process_id)


@pytest.fixture
def army(svc: ActorBench, world: World) -> str:
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
        svc.save_profile(profile)
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
    # the demo names each actor once: the civilians of two countries are not one actor, nothing is suggested
    assert sugg.status_code == 200 and "Merge suggestions" in sugg.text and "Civilians (Arcadia)" not in sugg.text
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


def test_profile_writes_by_role(client: TestClient, world: World, army: str, svc: ActorBench) -> None:
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
    app: FastAPI, client: TestClient, world: World, svc: ActorBench
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
        actions = [
            e.action
            for e in list_audit_events(s, limit=50)
            if e.action.startswith(("actors.merge", "actors.reject", "actors.undo"))
        ]
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
    from detente.services.demo import setup_demo_actors

    first = setup_demo_actors(app.state.ctx, world.process_id)
    assert first >= 6
    assert setup_demo_actors(app.state.ctx, world.process_id) == 0  # idempotent


# -- the workbench pages: influence paths and what changed ------------------------------------------------------

HTML = {"Accept": "text/html"}
STARTS = ("Civilians (Arcadia)", ARMY, "Cinder Guard")


def _section(text: str, marker: str) -> str:
    return text.split(marker, 1)[1].split("</table>", 1)[0]


def test_influence_paths_page_shows_the_service_paths(client: TestClient, world: World, svc: ActorBench) -> None:
    sign_in(client, "mediator")
    target = "Borealis Republican Army"
    expected = svc.influence_paths(svc.relations(None), STARTS, target)
    assert expected  # the demo holds paths to this spoiler
    page = client.get(
        f"/processes/{world.process_id}/actors/paths",
        params={"target": target, "access": ", ".join(STARTS)},
        headers=HTML,
    )
    assert page.status_code == 200, page.text
    assert 'aria-current="page">Influence paths' in page.text and "What changed" in page.text
    shown = page.text.split('<ol class="ac-paths">', 1)[1]
    starts = [chunk.split('"', 1)[0] for chunk in shown.split('data-start="')[1:]]
    assert starts == [p.start for p in expected]
    for p in expected:
        for a, b, via in zip(p.names, p.names[1:], p.via, strict=False):
            assert f"{a}</a> → <a" in shown and f"{b}</a>: {via}" in shown
        assert f"{p.names[0]} can reach {target}" in shown
    # repeated access parameters (a multi-select) give the same answer
    multi = client.get(
        f"/processes/{world.process_id}/actors/paths", params={"target": target, "access": list(STARTS)}, headers=HTML
    )
    assert multi.status_code == 200 and multi.text.count("data-start=") == len(expected)
    # an empty form is a form, not an error
    empty = client.get(f"/processes/{world.process_id}/actors/paths", headers=HTML)
    assert empty.status_code == 200 and 'name="target"' in empty.text and "data-start=" not in empty.text


def test_influence_paths_read_analyst_relations_per_label(client: TestClient, world: World, svc: ActorBench) -> None:
    reg = svc.registry()
    src, dst = reg.resolve("Protesters (Borealis)").id, reg.resolve("Cinder Guard").id
    hidden = AnalystRelation(
        id="r00001", source=src, target=dst, kind=RelationKind.INFLUENCE_OVER, strength=1.0, confidence=1.0,
        label="mediators_only", evidence="back channel", date=date(2021, 5, 1), created_by="author",
    )  # fmt: skip
    svc.add_relation(hidden)
    params = {"target": "Cinder Guard", "access": "Protesters (Borealis)"}
    url = f"/processes/{world.process_id}/actors/paths"
    seen = client.get(url, params=params, headers={**bearer(world.tokens["mediator"]), **HTML})
    assert seen.status_code == 200 and "influence_over (analyst, strength 1.0)" in seen.text
    assert "Protesters (Borealis) can reach Cinder Guard directly" in seen.text
    unseen = client.get(url, params=params, headers={**bearer(world.tokens["analyst"]), **HTML})
    assert unseen.status_code == 200 and "influence_over" not in unseen.text
    # with a window where nothing cooperates, the analyst finds no path at all
    none = client.get(
        url, params={**params, "start": "2020-01-02", "end": "2020-01-02"},
        headers={**bearer(world.tokens["analyst"]), **HTML},
    )  # fmt: skip
    assert none.status_code == 200 and "No path found" in none.text


def test_what_changed_defaults_to_the_last_two_periods(client: TestClient, world: World, svc: ActorBench) -> None:
    sign_in(client, "mediator")
    # the demo store runs to 2021-06-30: two periods of 182 days end there
    before, after = Window.parse("2020-07-02..2020-12-30"), Window.parse("2020-12-31..2021-06-30")
    d = svc.diff(before, after)
    page = client.get(f"/processes/{world.process_id}/actors/changes", headers=HTML)
    assert page.status_code == 200, page.text
    assert f"Before: {before} · after: {after}." in page.text and 'aria-current="page">What changed' in page.text
    ended = _section(page.text, '<table class="ac-ended">')
    # the demo's flare-ups are regional but its actors act in every region of their state: between these half-years
    # (seed 7) no hostile tie began or ended and no actor turned hostile or went quiet, and the page says so (the
    # chosen windows of the next test hold each kind of change)
    assert d.ended_hostile_dyads == d.new_hostile_dyads == d.turned_hostile == d.went_quiet == ()
    assert '<td class="n">' not in ended and "No hostile tie ended." in ended


def test_what_changed_with_chosen_windows(client: TestClient, world: World, svc: ActorBench) -> None:
    sign_in(client, "mediator")
    before, after = Window.parse("2020-04-01..2020-06-30"), Window.parse("2021-01-01..2021-03-31")
    params = {"before_start": "2020-04-01", "before_end": "2020-06-30", "after_start": "2021-01-01",
              "after_end": "2021-03-31", "min_events": 3}  # fmt: skip
    d = svc.diff(before, after, min_events=3)
    # the demo (seed 7) has each kind of change between these quarters
    assert d.turned_hostile and d.went_quiet and d.ended_hostile_dyads
    page = client.get(f"/processes/{world.process_id}/actors/changes", params=params, headers=HTML)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    turned, quiet = _section(text, '<table class="ac-turned">'), _section(text, '<table class="ac-quiet">')
    new, ended = _section(text, '<table class="ac-new">'), _section(text, '<table class="ac-ended">')
    assert [(n, r) for _, n, r in d.turned_hostile] == _rows(turned)
    assert [(n, r) for _, n, r in d.went_quiet] == _rows(quiet)
    assert new.count('<td class="n">') == len(d.new_hostile_dyads)
    assert ended.count('<td class="n">') == len(d.ended_hostile_dyads)
    assert svc.registry().get(d.ended_hostile_dyads[0][0]).name in ended
    chart = page.text.split('<svg class="ac-changes"', 1)[1].split("</svg>", 1)[0]
    assert chart.count('class="bar after"') == 1 + len({a for a, _, _ in (*d.turned_hostile, *d.went_quiet)})


def _rows(table: str) -> list[tuple[str, str]]:
    """(name, reason) of each row of a two-column actor table."""
    out = []
    for chunk in table.split("<tr><td><a href=")[1:]:
        name = chunk.split(">", 1)[1].split("</a>", 1)[0]
        out.append((name, chunk.split("</a></td><td>", 1)[1].split("</td>", 1)[0]))
    return out


def test_workbench_pages_hide_the_process_from_non_members(client: TestClient, world: World) -> None:
    headers = {**bearer(world.tokens["non_member"]), **HTML}
    for suffix in ("paths?target=Cinder+Guard&access=Lowvale+Militia", "changes"):
        hidden = client.get(f"/processes/{world.process_id}/actors/{suffix}", headers=headers)
        missing = client.get(f"/processes/999999/actors/{suffix}", headers=headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


def _field_error(r: Response, field: str) -> None:
    assert r.status_code == 422, r.text
    assert f'data-field="{field}"' in r.text and f'name="{field}"' in r.text
    assert r.text.split(f'name="{field}"', 1)[1].split(">", 1)[0].count('aria-invalid="true"') == 1


def test_workbench_unknown_actor_names_the_field(client: TestClient, world: World) -> None:
    sign_in(client, "mediator")
    url = f"/processes/{world.process_id}/actors/paths"
    _field_error(client.get(url, params={"target": "Nobody At All", "access": ARMY}, headers=HTML), "target")
    r = client.get(url, params={"target": ARMY, "access": "Cinder Guard, Ghost Brigade"}, headers=HTML)
    _field_error(r, "access")
    assert "Ghost Brigade" in r.text
    _field_error(client.get(url, params={"target": ARMY}, headers=HTML), "access")


def test_workbench_bad_date_names_the_field(client: TestClient, world: World) -> None:
    sign_in(client, "mediator")
    base = f"/processes/{world.process_id}/actors"
    _field_error(client.get(f"{base}/paths", params={"target": ARMY, "access": "Cinder Guard",
                                                     "start": "2020-13-01"}, headers=HTML), "start")  # fmt: skip
    _field_error(client.get(f"{base}/changes", params={"after_end": "yesterday"}, headers=HTML), "after_end")


def test_workbench_window_ending_before_it_starts_names_the_field(client: TestClient, world: World) -> None:
    sign_in(client, "mediator")
    base = f"/processes/{world.process_id}/actors"
    backwards = {"target": ARMY, "access": "Cinder Guard", "start": "2021-01-01", "end": "2020-01-01"}
    _field_error(client.get(f"{base}/paths", params=backwards, headers=HTML), "end")
    changes = {"before_start": "2020-06-01", "before_end": "2020-02-01"}
    _field_error(client.get(f"{base}/changes", params=changes, headers=HTML), "before_end")
