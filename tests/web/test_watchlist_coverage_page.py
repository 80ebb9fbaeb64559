"""The watchlist page and API on real imports whose sources end at different months (UCDP GED Syria to 2019-11,
ACLED Argentina 2022-06): no data is shown as such, never as 0 %; each unit names its sources and their freshness;
the month selector switches the as-of month; a bad month is a clear error naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from detente.access import Role
from detente.config import Settings
from detente.db.processes import create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.events.ingest import ingest_files
from detente.warning.store_config import StoreConfig
from detente.web.app import WebOptions, create_app

SMALL = StoreConfig(origins=2, samples=200, n_estimators=30, folds=2)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Site:
    client: TestClient
    headers: dict[str, str]


@pytest.fixture(scope="module")
def site(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    ws = tmp_path_factory.mktemp("wl-coverage-page") / "ws"
    ingest_files(
        ws,
        [
            shared_data / "ucdp_ged" / "ged191_syria_2016-2019.parquet",
            shared_data / "acled" / "acled_argentina_2022-06_326.csv",
        ],
    )
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), clock=lambda: NOW, options=WebOptions(policy=policy))
    app.state.ctx.extras["watchlist.config"] = SMALL
    with app.state.ctx.db.transaction() as s:
        process = create_process(s, "Coverage check", fictional=True, clock=app.state.ctx.clock)
        user = create_user(s, "analyst", "fictional demo password", policy=policy, clock=app.state.ctx.clock)
        set_membership(s, process.id, user.id, Role.ANALYST, clock=app.state.ctx.clock)
        token = create_token(s, user.id, "tests", ["read"], clock=app.state.ctx.clock).secret
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(client, {"Authorization": f"Bearer {token}"})
    app.state.ctx.db.close()


def test_the_page_says_no_data_with_sources_and_freshness_never_zero(site: Site) -> None:
    page = site.client.get("/watchlist", headers=site.headers)
    assert page.status_code == 200, page.text
    html = page.text
    assert "from data up to the end of <strong>2022-06</strong> (the last month with data" in html
    assert "No region can be forecast as of 2022-06" in html
    assert len(re.findall(r'data-status="no data"', html)) == 14  # the Syrian governorates
    assert len(re.findall(r'data-status="too little data"', html)) >= 20  # one month of ACLED per province
    assert html.count("31 months before 2022-06") == 14 and "no source covers 2022-06" in html
    assert "<strong>0 %</strong>" not in html and 'class="pbar"' not in html  # no probability shown at all
    # the month selector offers the months with data, the default first, and says what ends when
    assert '<select id="as-of" name="as_of">' in html
    assert re.search(r'<option value="2022-06" selected>2022-06 \(latest with data\) — last month of acled', html)
    assert '<option value="2019-11">2019-11 — last month of ucdp_ged in Syria</option>' in html
    # and what every source covers
    assert '<details class="wl-coverage" id="coverage">' in html and "Syria (2016-01 to 2019-11)" in html
    assert "Argentina (2022-06 to 2022-06)" in html


def test_the_month_selector_shows_syria_when_it_had_data(site: Site) -> None:
    page = site.client.get("/watchlist", params={"as_of": "2019-11"}, headers=site.headers)
    assert page.status_code == 200, page.text
    html = page.text
    assert '<option value="2019-11" selected>' in html and 'href="/watchlist">back to 2022-06</a>' in html
    assert len(re.findall(r'<tr id="u-\d+-\d+" data-unit="SYR:', html)) == 14
    assert "ucdp_ged</abbr> 2016-01 to 2019-11 · current" in html
    sentences = re.findall(r"</span> ([^<]+— (?:raises|lowers) the risk)</li>", html)
    assert len(sentences) == 14 * 3
    assert all(re.search(r": [\d,.]+ \((high|medium|low|none)\) — ", s) for s in sentences)


def test_the_api_names_sources_per_unit_and_has_no_number_without_data(site: Site) -> None:
    doc = site.client.get("/api/v1/watchlist", headers=site.headers).json()
    assert doc["as_of"] == doc["default_as_of"] == "2022-06"
    for u in doc["units"]:
        assert u["sources"] and u["status"] in ("no data", "too little data")
        assert u["p_exceed"] is None and u["forecast"] is None and u["rank"] is None
    syria = next(u for u in doc["units"] if u["unit"].startswith("SYR:"))
    assert syria["sources"][0] | {"description": None} == {
        "source": "ucdp_ged",
        "description": None,
        "first_month": "2016-01",
        "last_month": "2019-11",
        "last_event": "2019-11-30",
        "months_behind": 31,
        "covers_as_of": False,
        "carries_deaths": True,
    }


def test_bad_months_are_clear_errors_naming_the_field(site: Site) -> None:
    late = site.client.get("/watchlist", params={"as_of": "2030-01"}, headers=site.headers)
    assert late.status_code == 422
    assert "field <code>as_of</code>" in late.text and "outside the data" in late.text
    api = site.client.get("/api/v1/watchlist", params={"as_of": "2030-01"}, headers=site.headers)
    assert api.status_code == 422 and api.json()["error"]["field"] == "as_of"
    malformed = site.client.get("/api/v1/watchlist", params={"as_of": "2022-1x"}, headers=site.headers)
    assert malformed.status_code == 422 and "as_of" in malformed.text


def test_the_model_page_works_when_no_unit_can_be_forecast(site: Site) -> None:
    page = site.client.get("/watchlist/model", headers=site.headers)
    assert page.status_code == 200, page.text
    assert "with data up to 2022-06" in page.text
