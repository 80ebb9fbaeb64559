"""The watchlist over HTTP on the fictional demo workspace: real fits of small models, cached per store version
and as-of month, the previous run kept in the workspace, alerts citing their events, bounded waiting."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from detente.access import Role
from detente.config import Settings
from detente.db.processes import create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.events.demo_job import run_demo
from detente.events.store import open_store
from detente.services.watchlist import WatchlistService
from detente.warning.store_config import StoreConfig
from detente.web.app import WebOptions, create_app

#: small models so the suite stays fast; the defaults are larger (docs/watchlist.md)
SMALL = StoreConfig(origins=4, samples=200, n_estimators=40, folds=2)
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Demo:
    client: TestClient
    workspace: Path
    clock: Clock
    tokens: dict[str, str]
    app: object


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    ws = tmp_path_factory.mktemp("watchlist") / "ws"
    run_demo(ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    clock = Clock()
    app = create_app(Settings(workspace=ws), clock=clock, options=WebOptions(policy=policy))
    app.state.ctx.extras["watchlist.config"] = SMALL
    tokens: dict[str, str] = {}
    with app.state.ctx.db.transaction() as s:
        process = create_process(s, "Arcadia–Borealis talks", fictional=True, clock=app.state.ctx.clock)
        for name, role in (("analyst", Role.ANALYST), ("viewer", Role.VIEWER)):
            user = create_user(s, name, "fictional demo password", policy=policy, clock=app.state.ctx.clock)
            set_membership(s, process.id, user.id, role, clock=app.state.ctx.clock)
            tokens[name] = create_token(s, user.id, "tests", ["read"], clock=app.state.ctx.clock).secret
    with TestClient(app, base_url="http://testserver") as client:
        yield Demo(client, ws, clock, tokens, app)
    app.state.ctx.db.close()


def _auth(demo: Demo, who: str = "analyst") -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.tokens[who]}"}


def test_watchlist_api_ranks_every_region_with_forecast_interval_change_and_drivers(demo: Demo) -> None:
    r = demo.client.get("/api/v1/watchlist", headers=_auth(demo))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["as_of"] == "2025-12"  # the demo ends in December 2025; the clock is in March 2026
    assert doc["target"] == "fatalities in 2026-01" and doc["level"] == "admin1" and doc["threshold"] == 25
    assert doc["computed_at"] == NOW.isoformat()
    assert "model" not in doc
    units = doc["units"]
    assert [u["rank"] for u in units] == list(range(1, 9))
    assert {u["unit"].split(":")[0] for u in units} == {"XAR", "XBO"}
    probs = [u["p_exceed"] for u in units]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    for u in units:
        lo, hi = u["interval90"]
        assert 0 <= lo <= u["q50"] <= hi
        assert len(u["history"]) == 12 and u["history"][-1]["month"] == "2025-12"
        assert len(u["drivers"]) == 3 and all(
            d["text"].endswith(("raises the risk", "lowers the risk")) and d["value"] is not None for d in u["drivers"]
        )
        assert u["status"] == "forecast" and u["sources"][0]["source"] == "demo"
        assert u["events_query"] == {"country": u["unit"][:3], "start": "2025-01-01", "end": "2025-12-31"}
    # no earlier run: the run a month before was made and kept, and the change is measured against it
    assert doc["previous_run"]["as_of"] == "2025-11"
    runs = demo.workspace / "warning" / "runs"
    previous = pd.read_csv(runs / f"{doc['previous_run']['id']}.csv").set_index("unit")
    current = pd.read_csv(runs / f"{doc['run']}.csv").set_index("unit")
    for u in units:
        assert u["previous_mean"] == pytest.approx(previous.at[u["unit"], "mean"])
        assert u["change"] == pytest.approx(current.at[u["unit"], "mean"] - previous.at[u["unit"], "mean"], abs=1e-3)
    top = demo.client.get("/api/v1/watchlist?top=3", headers=_auth(demo)).json()
    assert [u["unit"] for u in top["units"]] == [u["unit"] for u in units[:3]]


def test_results_are_cached_per_store_version_and_as_of(demo: Demo) -> None:
    first = demo.client.get("/api/v1/watchlist", headers=_auth(demo)).json()
    demo.clock.now = NOW.replace(hour=15)
    started = time.monotonic()
    again = demo.client.get("/api/v1/watchlist", headers=_auth(demo)).json()
    assert time.monotonic() - started < 2
    assert again == first  # same store, same as-of month: not recomputed
    cache = list((demo.workspace / "warning" / "cache").glob("watchlist-2025-12-*.json"))
    assert len(cache) == 1
    version = first["store_version"]
    assert version in cache[0].name and first["run"] == f"2025-12_{version}"
    demo.clock.now = NOW


def test_alerts_cite_their_events_and_link_to_the_explorer(demo: Demo) -> None:
    r = demo.client.get("/api/v1/watchlist?as_of=2023-01", headers=_auth(demo))
    assert r.status_code == 200, r.text
    doc = r.json()
    flagged = [u for u in doc["units"] if u["alert"]]
    assert flagged, [u["level"] for u in doc["units"]]  # the demo's escalation starts in January 2023
    rule = doc["alert_rule"]
    assert 0 <= rule["false_alarm_rate"] < 0.05 and rule["detection_rate"] > 0
    events = open_store(demo.workspace).table().to_pandas().set_index("event_id")
    for u in flagged:
        alert = u["alert"]
        assert alert["exceedance_probability"] < rule["alpha"] and alert["value"] >= rule["min_count"]
        assert alert["level"] in ("surge", "sharp increase") and alert["month"] == "2023-01"
        assert alert["events_query"] == {"country": u["unit"][:3], "start": "2023-01-01", "end": "2023-01-31"}
        assert alert["events"] and len(alert["event_details"]) == len(alert["events"])
        country, region = u["unit"].split(":")
        for event_id in alert["events"]:
            e = events.loc[event_id]
            assert (e["country_iso3"], e["admin1"]) == (country, region)
            assert str(e["date_start"])[:7] == "2023-01" and e["fatalities_best"] > 0
    page = demo.client.get("/watchlist?as_of=2023-01", headers=_auth(demo))
    assert page.status_code == 200
    assert 'href="/events?country=XAR&amp;start=2023-01-01&amp;end=2023-01-31"' in page.text or (
        'href="/events?country=XBO&amp;start=2023-01-01&amp;end=2023-01-31"' in page.text
    )
    assert '<details class="wl-alert" id="alert-1" open>' in page.text
    assert flagged[0]["alert"]["events"][0] in page.text


def test_watchlist_page_has_a_row_sparkline_and_events_link_per_unit(demo: Demo) -> None:
    page = demo.client.get("/watchlist", headers=_auth(demo, "viewer"))  # viewers may look
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert len(re.findall(r'<tr id="u-\d+-\d+" data-unit=', html)) == 8
    assert html.count('<svg class="wl-spark"') == 8
    assert html.count('href="/events?country=') >= 8
    assert "Computed <time" in html and "2026-03-01 09:00 UTC" in html
    assert 'href="/watchlist/model"' in html and "P(≥ 25 deaths)" in html
    # each forecast beside the record of forecasts like it in the ranking model's own backtest
    api = demo.client.get("/api/v1/watchlist", headers=_auth(demo, "viewer")).json()
    for u in api["units"]:
        rate = u["backtest_rate"]
        assert f"forecasts like it came true {rate['hits']} of {rate['count']}" in html


def test_model_page_and_api_give_the_backtest_table_and_reliability_diagram(demo: Demo) -> None:
    api = demo.client.get("/api/v1/watchlist/model", headers=_auth(demo)).json()
    bt = api["backtest"]
    assert set(bt["models"]) == {"zero", "last_value", "historical_average", "conflictology", "detente_hurdle"}
    assert len(bt["protocol"]["origins"]) == SMALL.origins and bt["truncated"] is False
    for scores in bt["models"].values():
        assert scores["crps"] >= 0 and scores["n"] == 8 * SMALL.origins
    assert bt["protocol"]["origins"][-1] == "2025-11"  # the last origin whose next month is known by 2025-12
    page = demo.client.get("/watchlist/model", headers=_auth(demo))
    assert page.status_code == 200
    assert '<svg class="wl-reliability"' in page.text and "Détente (boosted hurdle model)" in page.text
    assert page.text.count("<tr") >= 6 and "perfect calibration" in page.text
    # the reliability rows: tenths of the scale (drawn), deciles and the highest 5 % (in the table, not the curve)
    rows = bt["reliability"]["detente_hurdle"]
    n = bt["models"]["detente_hurdle"]["n"]
    assert sum(r["count"] for r in rows if not r["top_share"] and not r["decile"]) == n
    assert sum(r["decile"] > 0 for r in rows) == min(10, n) and sum(r["top_share"] > 0 for r in rows) == 1
    assert "highest 5 %" in page.text and "decile 10" in page.text


def test_access_and_errors(demo: Demo) -> None:
    anonymous = demo.client.get("/api/v1/watchlist")
    assert anonymous.status_code == 401 and set(anonymous.json()["error"]) == {"code", "message", "field"}
    page = demo.client.get("/watchlist", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    bad = demo.client.get("/api/v1/watchlist?as_of=2025-1x", headers=_auth(demo))
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    early = demo.client.get("/api/v1/watchlist?as_of=2020-03", headers=_auth(demo))
    assert early.status_code == 422
    assert early.json()["error"]["field"] == "as_of" and "12 months" in early.json()["error"]["message"]


def test_a_slow_computation_answers_202_then_the_result(demo: Demo) -> None:
    ctx = demo.app.state.ctx  # type: ignore[attr-defined]
    original = ctx.extras.get("watchlist.service")  # made by the first request, when an earlier test ran here
    slow = WatchlistService(demo.workspace, demo.clock, config=SMALL, wait_seconds=0.0)
    ctx.extras["watchlist.service"] = slow
    try:
        r = demo.client.get("/api/v1/watchlist?as_of=2024-06", headers=_auth(demo))
        assert r.status_code == 202 and r.headers["Retry-After"] == "5"
        assert r.json()["status"] == "computing" and r.json()["started_at"] == NOW.isoformat()
        page = demo.client.get("/watchlist?as_of=2024-06", headers=_auth(demo))
        assert page.status_code == 200 and 'http-equiv="refresh"' in page.text and "being computed" in page.text
        slow.wait_seconds = 60.0
        done = demo.client.get("/api/v1/watchlist?as_of=2024-06", headers=_auth(demo))
        assert done.status_code == 200 and done.json()["as_of"] == "2024-06"
    finally:
        if original is None:
            ctx.extras.pop("watchlist.service")
        else:
            ctx.extras["watchlist.service"] = original


def test_the_pages_say_which_model_ranks_and_why(demo: Demo) -> None:
    doc = demo.client.get("/api/v1/watchlist", headers=_auth(demo)).json()
    ranked = doc["ranked_by"]
    assert ranked["chosen"] == "detente_hurdle" and ranked["verdict"] == "model"  # the demo's world is learnable
    page = demo.client.get("/watchlist", headers=_auth(demo)).text
    assert "<strong>Ranked by Détente&#39;s model</strong>." in page
    assert f"Détente&#39;s model beat the best baseline, {ranked['best_baseline'].replace('_', ' ')}," in page
    model = demo.client.get("/api/v1/watchlist/model", headers=_auth(demo)).json()
    assert model["ranked_by"] == ranked
    html = demo.client.get("/watchlist/model", headers=_auth(demo)).text
    row = re.search(r'<tr class="ours chosen">\s*<th scope="row">([^<]*) <span class="tag">ranks the watchlist', html)
    assert row is not None and row.group(1) == "Détente (boosted hurdle model)"
    assert html.count("ranks the watchlist</span>") == 1


def test_when_a_baseline_wins_the_pages_rank_by_it_and_say_why(demo: Demo) -> None:
    """At 1000 deaths no region-month reaches the threshold: Détente's model cannot beat the constant zero."""
    ctx = demo.app.state.ctx  # type: ignore[attr-defined]
    original = ctx.extras.get("watchlist.service")
    high = StoreConfig(threshold=1000, origins=2, samples=100, n_estimators=20, folds=2)
    ctx.extras["watchlist.service"] = WatchlistService(demo.workspace, demo.clock, config=high)
    try:
        doc = demo.client.get("/api/v1/watchlist?as_of=2024-09", headers=_auth(demo)).json()
        ranked = doc["ranked_by"]
        assert ranked["chosen"] == "zero" and ranked["verdict"] == "baseline"
        assert all(u["drivers"] == [] and u["p_exceed"] == 0 for u in doc["units"])
        page = demo.client.get("/watchlist?as_of=2024-09", headers=_auth(demo)).text
        assert "<strong>Ranked by zero</strong> (a baseline)." in page
        assert "No model beat the best baseline, zero: Détente&#39;s model was no better" in page
        assert page.count("(zero has no drivers)") == 8 and "the zero baseline at or above 1000" in page
        html = demo.client.get("/watchlist/model?as_of=2024-09", headers=_auth(demo)).text
        assert re.search(r'<tr class="chosen">\s*<th scope="row">Zero <span class="tag">ranks the watchlist', html)
        # every model's Brier score is 0 here: the "best" tag goes to the simpler model, as the rule's tie does
        brier_cells = re.findall(
            r'<th scope="row">([^<]*)(?:<span[^>]*>[^<]*</span>)?</th>'  # the model, then its fourth score
            r'(?:\s*<td[^>]*>.*?</td>){3}\s*<td class="num( best)?">',
            html,
            re.S,
        )
        assert brier_cells and [name.strip() for name, best in brier_cells if best] == ["Zero"]
    finally:
        if original is None:
            ctx.extras.pop("watchlist.service")
        else:
            ctx.extras["watchlist.service"] = original
