"""The event explorer in-process: the JSON API (list, timeline, map, facets, export) and the page, over the
demo events of a real workspace, through the real app with real sign-in and tokens."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.access import Role
from detente.config import Settings
from detente.db.audit import list_audit_events
from detente.db.processes import add_party, create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.errors import InputError
from detente.events import EventFilter, open_store
from detente.events.demo_job import run_demo
from detente.events.explore import MAP_POINT_CAP, EventQueries, choose_bucket, choose_cell_size
from detente.events.explore_query import MAX_PAGE_SIZE, parse_query
from detente.web.app import WebOptions, create_app
from detente.web.explorer.boundaries import boundaries_available, load_boundaries, simplify_ring
from web.conftest import PASSWORD, bearer, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo events, generated once per module; each test copies the workspace."""
    ws = tmp_path_factory.mktemp("demo") / "ws"
    run_demo(ws)
    return ws


@pytest.fixture
def ex_app(demo_events: Path, tmp_path: Path) -> Iterator[FastAPI]:
    from argon2 import PasswordHasher

    ws = tmp_path / "ws"
    shutil.copytree(demo_events, ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy))
    db = app.state.ctx.db
    with db.transaction() as s:
        process = create_process(s, "Arcadia-Borealis talks", fictional=True, clock=app.state.ctx.clock)
        a = add_party(s, process.id, "Arcadia", clock=app.state.ctx.clock)
        add_party(s, process.id, "Borealis", clock=app.state.ctx.clock)
        tokens = {}
        for name, role in (("mediator", Role.MEDIATOR), ("viewer", Role.VIEWER), ("rep", Role.PARTY_REPRESENTATIVE)):
            user = create_user(s, name, PASSWORD, policy=policy, clock=app.state.ctx.clock)
            set_membership(
                s,
                process.id,
                user.id,
                role,
                party_id=a.id if role is Role.PARTY_REPRESENTATIVE else None,
                clock=app.state.ctx.clock,
            )
            tokens[name] = create_token(s, user.id, "t", ["read"], clock=app.state.ctx.clock).secret
        loner = create_user(s, "loner", PASSWORD, policy=policy, clock=app.state.ctx.clock)
        tokens["loner"] = create_token(s, loner.id, "t", ["read"], clock=app.state.ctx.clock).secret
        admin = create_user(s, "admin", PASSWORD, is_admin=True, policy=policy, clock=app.state.ctx.clock)
        tokens["admin"] = create_token(s, admin.id, "t", ["read"], clock=app.state.ctx.clock).secret
    app.state.test_tokens = tokens
    yield app
    db.close()


@pytest.fixture
def api(ex_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(ex_app) as c:
        c.headers.update(bearer(ex_app.state.test_tokens["mediator"]))
        yield c


def test_list_pages_in_a_stable_order_and_filters(api: TestClient, demo_events: Path) -> None:
    everything = api.get("/api/v1/events", params={"page_size": 500}).json()
    total = open_store(demo_events).count()
    assert everything["total"] == total and len(everything["events"]) == 500
    keys = [(e["date_start"], e["event_id"]) for e in everything["events"]]
    assert keys == sorted(keys, key=lambda k: (-int(k[0].replace("-", "")), k[1]))
    second = api.get("/api/v1/events", params={"page_size": 250, "page": 2}).json()
    assert [e["event_id"] for e in second["events"]] == [e["event_id"] for e in everything["events"][250:]]
    one = api.get("/api/v1/events", params={"country": "XAR", "category": "battle", "start": "2023-01-01"}).json()
    assert one["total"] > 0
    for e in one["events"]:
        assert e["country_iso3"] == "XAR" and e["category"] == "battle" and e["date_end"] >= "2023-01-01"
    both = api.get("/api/v1/events", params=[("country", "XAR"), ("country", "XBO")]).json()
    assert both["total"] == api.get("/api/v1/events", params={"country": "XAR,XBO"}).json()["total"] == total


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"country": "Arcadia"}, "country"),
        ({"category": "picnic"}, "category"),
        ({"start": "2023-13-01"}, "start"),
        ({"start": "2024-01-01", "end": "2023-01-01"}, "end"),
        ({"page": "0"}, "page"),
        ({"page_size": str(MAX_PAGE_SIZE + 1)}, "page_size"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "10,0,-10,5"}, "bbox"),
        ({"actor": "x" * 201}, "actor"),
    ],
)
def test_bad_filters_answer_the_error_shape_naming_the_field(
    api: TestClient, params: dict[str, str], field: str
) -> None:
    for path in ("", "/timeline", "/map", "/facets", "/export.csv"):
        r = api.get("/api/v1/events" + path, params=params)
        assert r.status_code == 422, (path, r.text)
        body = r.json()
        assert set(body) == {"error"} and body["error"]["field"] == field, (path, body)
        assert body["error"]["code"] in ("input_error", "invalid_input")


def test_sql_filter_means_what_event_filter_means(demo_events: Path) -> None:
    store = open_store(demo_events)
    queries = EventQueries(store)
    table = store.table()
    cases = [
        [],
        [("country", "xbo")],
        [("actor", "MILITIA"), ("end", "2022-06-30")],
        [("category", "protest,riot"), ("source", "demo"), ("start", "2021")],
        [("bbox", "-125,-33,-121,-28")],
    ]
    for items in cases:
        q = parse_query(items)
        expected = int(q.event_filter().apply(table).count().execute())
        assert queries.page(q).total == expected, items
        assert sum(n for _, _, n in queries.timeline(q).counts) == expected, items
    queries.close()


def test_timeline_buckets_follow_the_span(api: TestClient) -> None:
    assert api.get("/api/v1/events/timeline").json()["bucket"] == "month"
    year = api.get("/api/v1/events/timeline", params={"start": "2023-01-01", "end": "2023-12-31"}).json()
    assert year["bucket"] == "week"
    month = api.get("/api/v1/events/timeline", params={"start": "2023-05-01", "end": "2023-05-31"}).json()
    assert month["bucket"] == "day" and all(c["period"].startswith("2023-0") for c in month["counts"])
    assert (
        sum(c["count"] for c in month["counts"])
        == api.get("/api/v1/events", params={"start": "2023-05-01", "end": "2023-05-31"}).json()["total"]
    )
    from datetime import date

    assert choose_bucket(date(1990, 1, 1), date(2024, 1, 1)) == "year"


def test_map_points_when_few_cells_when_many(api: TestClient) -> None:
    few = api.get("/api/v1/events/map", params={"country": "XAR", "category": "battle", "start": "2023-06-01"}).json()
    assert few["mode"] == "points" and 0 < few["total"] <= MAP_POINT_CAP
    assert all(f["geometry"]["type"] == "Point" for f in few["features"])
    lon0, lat0, lon1, lat1 = few["bbox"]
    assert -128 <= lon0 <= lon1 <= -122.5 and -34 <= lat0 <= lat1 <= -30.5
    many = api.get("/api/v1/events/map").json()
    assert many["mode"] == "cells" and many["total"] > MAP_POINT_CAP
    assert sum(f["properties"]["count"] for f in many["features"]) == many["total"]
    assert choose_cell_size(360, 180) == 10.0 and choose_cell_size(0.2, 0.1) == 0.01


def test_facets_count_the_filtered_set(api: TestClient) -> None:
    f = api.get("/api/v1/events/facets", params={"country": "XBO"}).json()
    assert [c["iso3"] for c in f["countries"]] == ["XBO"]
    assert sum(c["count"] for c in f["categories"]) == f["total"] == f["countries"][0]["count"]
    assert f["sources"] == [{"source": "demo", "count": f["total"]}]


def test_csv_export_is_the_filtered_set_and_is_audited(api: TestClient, ex_app: FastAPI) -> None:
    params = {"country": "XBO", "category": "threat", "start": "2024-01-01"}
    r = api.get("/api/v1/events/export.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    listed = api.get("/api/v1/events", params={**params, "page_size": 500}).json()
    assert len(rows) == listed["total"] == int(r.headers["x-detente-count"]) > 0
    assert [row["event_id"] for row in rows] == [e["event_id"] for e in listed["events"]]
    assert {row["country_iso3"] for row in rows} == {"XBO"}
    geo = api.get("/api/v1/events/export.geojson", params=params)
    doc = json.loads(geo.content)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(rows)
    with ex_app.state.ctx.db.transaction() as s:
        audited = list_audit_events(s, action="events.exported")
        assert [(a.detail["format"], a.detail["count"]) for a in audited] == [
            ("geojson", len(rows)),
            ("csv", len(rows)),
        ]
        assert all("category=threat" in a.detail["filter"] for a in audited)


def test_who_may_explore_and_export(ex_app: FastAPI) -> None:
    tokens = ex_app.state.test_tokens
    with TestClient(ex_app) as c:
        assert c.get("/api/v1/events").status_code == 401
        assert c.get("/api/v1/events/export.csv").status_code == 401
        for name in ("mediator", "viewer", "rep", "loner", "admin"):
            assert c.get("/api/v1/events", headers=bearer(tokens[name])).status_code == 200, name
        for name, status in (("mediator", 200), ("rep", 200), ("admin", 200), ("viewer", 403), ("loner", 403)):
            r = c.get(
                "/api/v1/events/export.csv",
                params={"country": "XAR", "start": "2024-12-01"},
                headers=bearer(tokens[name]),
            )
            assert r.status_code == status, (name, r.text)
            if status == 403:
                assert r.json()["error"]["code"] == "forbidden"


def test_page_renders_filters_map_timeline_table_without_script(ex_app: FastAPI) -> None:
    with TestClient(ex_app) as c:
        first = c.get("/events", headers={"Accept": "text/html"}, follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].startswith("/login")
        sign_in(c, "viewer")
        page = c.get("/events", params={"country": "XAR", "category": "battle", "start": "2023-06-01"})
        assert page.status_code == 200
        html = page.text
        assert '<form class="ex-filters"' in html and 'name="country"' in html
        assert '<svg class="ex-map"' in html and 'data-iso3="XAR"' in html and 'class="mark g-violence"' in html
        assert '<svg class="ex-timeline"' in html and 'class="bar"' in html and "url(#pat-violence)" in html
        assert "Page 1 of" in html and "<td>XAR</td>" in html and "<td>XBO</td>" not in html
        assert "/api/v1/events/export.csv" not in html  # a viewer may not export
        assert "explorer.js" in html and "explorer.css" in html
        assert c.get("/static/explorer.js").status_code == 200
        # a bad date typed into the address keeps the page: said beside the filter, the rest of the filter applied
        bad = c.get("/events", params={"start": "yesterday", "country": "XAR"}, headers={"Accept": "text/html"})
        assert bad.status_code == 422 and 'id="filter-problem"' in bad.text
        assert "<strong>From</strong> “yesterday”" in bad.text and "shown without it" in bad.text
        assert '<form class="ex-filters"' in bad.text and '<nav aria-label="Main">' in bad.text
        assert "<td>XAR</td>" in bad.text and "<td>XBO</td>" not in bad.text  # the country filter still applies
        worse = c.get("/events", params={"start": "2023-13", "end": "soon", "category": "war"})
        assert (
            worse.status_code == 422 and "<strong>From</strong> “2023-13”" in worse.text and "Page 1 of" in worse.text
        )


def test_boundaries_are_real_and_simplified(tmp_path: Path) -> None:
    if not boundaries_available():
        pytest.skip("pyworldatlas-mapdata-overview (Natural Earth boundaries, CC0) is not installed")
    countries = {c.iso3: c for c in load_boundaries(tmp_path / "cache")}
    assert (tmp_path / "cache" / "boundaries-v2.json").is_file()
    assert len(countries) > 200 and {"GEO", "SYR", "COL", "XAR", "XBO"} <= set(countries)
    x0, y0, x1, y1 = countries["GEO"].bbox
    assert 39 < x0 < x1 < 47.5 and 40.5 < y0 < y1 < 44  # Georgia, the country
    assert sum(len(r) for r in countries["RUS"].rings) < 5000
    assert countries["XAR"].fictional and not countries["GEO"].fictional


def test_simplify_keeps_ends_and_drops_near_collinear_points() -> None:
    line = [(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (3.0, 1.0), (4.0, 0.0), (0.0, 0.0)]
    out = simplify_ring(line, 0.05)
    assert out[0] == line[0] and out[-1] == line[-1] and (1.0, 0.01) not in out and (3.0, 1.0) in out


def test_event_filter_and_explorer_agree_on_validation() -> None:
    with pytest.raises(InputError) as exc:
        parse_query([("category", "nope")])
    assert exc.value.field == "category"
    with pytest.raises(InputError) as direct:
        EventFilter(categories=["nope"])
    assert direct.value.field == "category"
