"""The CBM pages in a real browser (Playwright on Debian's Chromium) against a real server holding the fictional
Arcadia–Borealis demo with its CBM data: screenshots of every CBM page at 1280×800 and 1024×640, the plan builder
and "make this step a commitment" driven by clicks, and a party representative kept out of the plans.

Skipped without /usr/bin/chromium unless ``DETENTE_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from detente.config import Settings
from detente.db.users import AccountPolicy
from web.browser_support import SIZES, follow, launch, need_browser, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@dataclass
class Demo:
    url: str
    process_id: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    need_browser()
    from argon2 import PasswordHasher

    from detente.services.demo import setup_cbm_demo, setup_demo_process
    from detente.web.app import WebOptions, create_app

    ws = tmp_path_factory.mktemp("browser-cbm") / "ws"
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy, login_attempts_per_minute=100))
    pid = setup_demo_process(app.state.ctx)
    assert setup_cbm_demo(app.state.ctx, pid)
    with serve(app) as url:
        yield Demo(url, pid)
    app.state.ctx.db.close()


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Any]:
    with launch() as b:
        yield b


PASSWORDS = {"mediator": "demo-good-offices", "rep-borealis": "borealis-demo-password"}


def _page(browser: Any, demo: Demo, user: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{demo.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    follow(page, "button[type=submit]")
    assert "/login" not in page.url
    return page


def test_cbm_pages_in_a_browser(browser: Any, demo: Demo) -> None:
    base = f"{demo.url}/processes/{demo.process_id}/cbm"
    page = _page(browser, demo, "mediator", SIZES[0])
    # the builder: one click plans, then one click makes the first step a commitment
    page.goto(f"{base}/plans")
    page.fill("input[name=horizon]", "6")
    # measures are left out by name, ticked in a list grouped by domain (no ids typed by hand)
    page.click(".measure-picker summary")
    first = page.locator(".measure-picker input[name=exclude]").first
    left_out = first.get_attribute("value")
    name = page.locator(".measure-picker label.check").first.inner_text().strip()
    first.check()
    page.click("form.js-busy button[type=submit]")
    page.wait_for_url("**/plans/2?done=plan_saved")
    assert "P(goal)" in page.inner_text(".pgoal")
    text = page.inner_text("main")
    assert left_out and left_out not in text and f"left out: {name}" in text  # named, not by its id
    page.goto(f"{base}/plans")
    assert page.locator(f".measure-picker input[value='{left_out}']").is_checked()  # the next plan starts from it
    assert "1 left out" in page.inner_text(".measure-picker summary")
    page.goto(f"{base}/plans/2")
    assert page.locator("svg.cbm-chart polyline.pair").count() == 2
    page.click("#step-1 button[type=submit]")
    page.wait_for_url("**/plans/2?done=commitment_made")
    assert page.locator("#step-1 .linked").count() == 1
    # the words filter works in the page before the form is sent
    page.goto(f"{base}/catalogue")
    before = page.locator("table.cbm-measures tbody tr:visible").count()
    page.fill("input[name=q]", "hotline")
    after = page.locator("table.cbm-measures tbody tr:visible").count()
    assert 0 < after < before
    page.context.close()

    shots = [
        ("catalogue?domain=humanitarian&domain=communication", "cbm-01-catalogue"),
        ("catalogue/unilateral_detainee_release", "cbm-02-measure"),
        ("trust", "cbm-03-trust"),
        ("plans", "cbm-04-plans"),
        ("plans/2", "cbm-05-plan"),
    ]
    for size in SIZES:
        page = _page(browser, demo, "mediator", size)
        for path, name in shots:
            response = page.goto(f"{base}/{path}")
            assert response is not None and response.status == 200, path
            shot(page, name)
        page.context.close()

    # plans are for the mediators: a party representative gets the page for a missing thing
    page = _page(browser, demo, "rep-borealis", SIZES[1])
    response = page.goto(f"{base}/plans/1")
    assert response is not None and response.status == 404
    response = page.goto(f"{base}/catalogue")
    assert response is not None and response.status == 200
    assert page.locator("#add-measure").count() == 0
    page.context.close()
