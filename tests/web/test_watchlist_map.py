"""The watchlist's map: every unit of the real watchlist document (fitted on the demo workspace with small models)
drawn at its place and coloured by its forecast probability, served as an SVG image the page includes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from detente.access import Role
from detente.config import Settings
from detente.db.processes import create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.events.demo import DEMO_COUNTRIES
from detente.events.demo_job import run_demo
from detente.warning.store_config import StoreConfig
from detente.web.app import WebOptions, create_app
from detente.web.explorer.boundaries import boundaries_available, load_boundaries
from detente.web.watchlist.map import watchlist_map_svg
from web.conftest import PASSWORD, bearer, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SVG = "{http://www.w3.org/2000/svg}"
SMALL = StoreConfig(origins=4, samples=200, n_estimators=40, folds=2)
#: the colour key of the page (templates/watchlist/_map.html), written out here: lowest probability → fill
KEY = ((0.8, "#b30000"), (0.5, "#e34a33"), (0.2, "#fc8d59"), (0.05, "#fdcc8a"), (0.0, "#fef0d9"))


def _expected_fill(p: float | None) -> str:
    if p is None:
        return "#d9d9d9"
    return next(fill for low, fill in KEY if p >= low)


@dataclass
class Demo:
    client: TestClient
    token: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    ws = tmp_path_factory.mktemp("wl-map") / "ws"
    run_demo(ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(
        Settings(workspace=ws),
        clock=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        options=WebOptions(policy=policy, login_attempts_per_minute=100),
    )
    app.state.ctx.extras["watchlist.config"] = SMALL
    with app.state.ctx.db.transaction() as s:
        process = create_process(s, "Arcadia–Borealis talks", fictional=True, clock=app.state.ctx.clock)
        user = create_user(s, "analyst", PASSWORD, policy=policy, clock=app.state.ctx.clock)
        set_membership(s, process.id, user.id, Role.ANALYST, clock=app.state.ctx.clock)
        token = create_token(s, user.id, "t", ["read"], clock=app.state.ctx.clock).secret
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, "analyst")
        yield Demo(client, token)
    app.state.ctx.db.close()


def test_every_unit_is_on_the_map_coloured_by_its_forecast(demo: Demo) -> None:
    doc = demo.client.get("/api/v1/watchlist", headers=bearer(demo.token)).json()
    units = doc["units"]
    assert doc["level"] == "admin1" and len(units) > 3
    r = demo.client.get("/watchlist/map.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(r.text)
    assert svg.get("data-units") == str(len(units)) and svg.get("data-on-map") == str(len(units))
    drawn = {g.get("data-unit"): g for g in svg.iterfind(f".//{SVG}g[@class='unit']")}
    assert set(drawn) == {u["unit"] for u in units}
    boxes = {c.iso3: c.bbox for c in DEMO_COUNTRIES}
    x0, _, _, y1 = (float(v) for v in svg.get("data-box", "").split(","))
    k, scale = float(svg.get("data-k", "0")), float(svg.get("data-scale", "0"))
    for u in units:
        circle = drawn[u["unit"]].find(f"{SVG}circle[@class='disc']")
        assert circle is not None and circle.get("fill") == _expected_fill(u["p_exceed"]), u["unit"]
        title = drawn[u["unit"]].find(f"{SVG}title")
        assert title is not None and f"rank {u['rank']}" in (title.text or "")
        # the unit's point (where a circle moved aside to stay visible, the end of its line) stands inside its
        # country: the demo's regions lie in their country's box
        line = drawn[u["unit"]].find(f"{SVG}line")
        px, py = (line.get("x1"), line.get("y1")) if line is not None else (circle.get("cx"), circle.get("cy"))
        lon = x0 + float(px or "nan") / (k * scale)
        lat = y1 - float(py or "nan") / scale
        bx0, by0, bx1, by1 = boxes[u["unit"].split(":")[0]]
        assert bx0 - 0.1 <= lon <= bx1 + 0.1 and by0 - 0.1 <= lat <= by1 + 0.1, (u["unit"], lon, lat)
    first = min(units, key=lambda u: u["rank"])
    text = drawn[first["unit"]].find(f"{SVG}text")
    assert text is not None and text.text == str(first["rank"])
    assert drawn[first["unit"]].find(f"{SVG}line") is None  # the first rank keeps its place
    circles = [(float(c.get("cx", 0)), float(c.get("cy", 0)), float(c.get("r", 0))) for c in
               (g.find(f"{SVG}circle[@class='disc']") for g in drawn.values()) if c is not None]  # fmt: skip
    assert len(circles) == len(units)
    for i, (ax, ay, ar) in enumerate(circles):  # no circle hides another
        for bx, by, br in circles[i + 1 :]:
            assert ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 >= ar + br


def test_the_page_includes_the_map_and_its_key(demo: Demo) -> None:
    html = demo.client.get("/watchlist").text
    assert '<img src="/watchlist/map.svg"' in html and "watchlist-map.css" in html
    assert html.count('class="wl-key"') == 5
    assert demo.client.get("/static/watchlist-map.css").status_code == 200
    as_of = demo.client.get("/watchlist", params={"as_of": "2025-11"}).text
    assert '<img src="/watchlist/map.svg?as_of=2025-11"' in as_of


def test_country_units_are_filled_outlines(tmp_path_factory: pytest.TempPathFactory) -> None:
    if not boundaries_available():
        pytest.skip("pyworldatlas-mapdata-overview (Natural Earth boundaries, CC0) is not installed")
    countries = load_boundaries(tmp_path_factory.mktemp("wl-bounds") / "cache")
    units = [
        {"unit": "GEO", "unit_name": "Georgia", "rank": 1, "p_exceed": 0.61, "forecast": 40.0},
        {"unit": "ARM", "unit_name": "Armenia", "rank": 2, "p_exceed": 0.03, "forecast": 1.0},
        {"unit": "AZE", "unit_name": "Azerbaijan", "rank": 3, "p_exceed": None, "forecast": None},
    ]
    svg = ET.fromstring(watchlist_map_svg(units, countries, {}, threshold=25))
    fills = {p.get("data-unit"): p.get("fill") for p in svg.iterfind(f".//{SVG}path[@data-unit]")}
    assert fills == {"GEO": "#e34a33", "ARM": "#fef0d9", "AZE": "#d9d9d9"}
    assert svg.get("data-on-map") == "3"
    titles = [t.text for t in svg.iterfind(f".//{SVG}path[@data-unit='GEO']/{SVG}title")]
    assert titles == ["Georgia: 61 %"]
