"""The watchlist in a real browser (Playwright on Debian's Chromium) against a real server on 127.0.0.1 with the
demo workspace; screenshots at 1280×800 and 1024×640 go to ``screenshots/`` (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from detente.access import Role
from detente.config import Settings
from detente.db.processes import create_process, set_membership
from detente.db.users import AccountPolicy, create_user
from detente.events.demo_job import run_demo
from detente.warning.store_config import StoreConfig
from web.browser_support import SIZES, follow, launch, need_browser, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSWORD = "fictional demo password"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    from argon2 import PasswordHasher

    from detente.web.app import WebOptions, create_app

    ws = tmp_path_factory.mktemp("watchlist-browser") / "ws"
    run_demo(ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy, login_attempts_per_minute=100))
    app.state.ctx.extras["watchlist.config"] = StoreConfig(origins=6, samples=300, n_estimators=40, folds=2)
    with app.state.ctx.db.transaction() as s:
        process = create_process(s, "Arcadia–Borealis talks", fictional=True, clock=app.state.ctx.clock)
        user = create_user(s, "analyst", PASSWORD, policy=policy, clock=app.state.ctx.clock)
        set_membership(s, process.id, user.id, Role.ANALYST, clock=app.state.ctx.clock)
    with serve(app) as url:
        yield url
    app.state.ctx.db.close()


@pytest.fixture(scope="module")
def browser(url: str) -> Iterator[Any]:
    with launch() as b:
        yield b


def _open(browser: Any, url: str, size: tuple[int, int], path: str) -> Any:
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{url}/login?next={path}")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    follow(page, "button[type=submit]")
    return page


def test_watchlist_pages_in_a_browser(browser: Any, url: str) -> None:
    for size in SIZES:
        page = _open(browser, url, size, "/watchlist")
        page.wait_for_selector("table.wl-table")
        assert page.locator("table.wl-ranked-table tbody tr").count() == 8
        assert page.locator("svg.wl-spark").count() == 8
        assert page.locator("nav a", has_text="Watchlist").count() == 1
        assert page.locator("#ranked-by").is_visible()  # which model ranks, and why, above the table
        assert page.locator("#ranked-by").inner_text().startswith("Ranked by ")
        shot(page, "20-watchlist")

        page.goto(f"{url}/watchlist?as_of=2023-01")
        page.wait_for_selector("table.wl-table")
        assert page.locator("details.wl-alert").count() >= 1
        assert page.locator("tr.has-alert").count() == page.locator("details.wl-alert").count()
        assert page.locator("details.wl-alert[open] table.cited tbody tr").count() >= 1
        shot(page, "21-watchlist-alert")
        page.locator("tr.has-alert a", has_text="evidence").first.click()
        assert page.url.endswith("#alert-1")

        page.click("a.button:has-text('Model and backtest')")
        page.wait_for_url("**/watchlist/model?as_of=2023-01")
        assert page.locator("svg.wl-reliability").count() == 1
        assert page.locator("table.wl-metrics tbody tr").count() == 5
        shot(page, "22-watchlist-model")

        page.goto(f"{url}/watchlist")
        link = page.locator("table.wl-ranked-table tbody tr >> nth=0").locator("a[href^='/events?country=']")
        link.click()
        page.wait_for_url("**/events?country=*")
        assert page.locator(".ex-summary strong").count() == 1
        page.context.close()


def test_the_month_selector_switches_the_as_of_month(browser: Any, url: str) -> None:
    page = _open(browser, url, SIZES[0], "/watchlist")
    page.wait_for_selector("table.wl-table")
    assert page.locator("select#as-of option[selected]").get_attribute("value") == "2025-12"
    page.select_option("select#as-of", "2025-06")
    follow(page, "form.wl-month button[type=submit]")
    page.wait_for_selector("table.wl-table")
    assert page.url.endswith("/watchlist?as_of=2025-06")
    assert page.locator("select#as-of option[selected]").get_attribute("value") == "2025-06"
    assert page.locator(".wl-lede strong", has_text="2025-06").count() == 1
    assert page.locator("table.wl-ranked-table tbody tr").count() == 8
    page.click("form.wl-month a:has-text('back to 2025-12')")
    page.wait_for_url(f"{url}/watchlist")
    page.context.close()
