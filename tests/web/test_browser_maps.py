"""The explorer's map in a real browser (Playwright on Debian's Chromium, the demo workspace on 127.0.0.1): the
deaths/events toggle, the empty state, and the map as one tab stop moved with the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from web.browser_support import demo_server, launch, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("maps-browser")) as (base, _, _):
        yield base


@pytest.fixture(scope="module")
def browser(url: str) -> Iterator[Any]:
    with launch() as b:
        yield b


def test_toggle_deaths_and_the_empty_state(browser: Any, url: str) -> None:
    from detente.services.demo import demo_accounts

    analyst = next(a for a in demo_accounts() if a.username == "analyst")
    page = sign_in(browser, url, analyst.username, analyst.password)
    page.set_default_timeout(30_000)
    page.goto(f"{url}/events?country=XAR&start=2025-06-01")
    page.wait_for_selector("#explorer[data-enhanced='1']")
    assert page.locator("svg.ex-map").get_attribute("data-measure") == "events"
    events_meta = page.locator(".ex-map-meta").inner_text()

    page.click(".ex-measure a:has-text('Deaths')")  # loaded in place by the script, the URL updated
    page.wait_for_selector("svg.ex-map[data-measure='deaths']")
    page.wait_for_selector("#explorer[data-enhanced='1']")
    assert "measure=deaths" in page.url
    assert page.locator(".ex-measure a[aria-current='true']").inner_text() == "Deaths"
    assert "deaths among the" in page.locator(".ex-map-meta").inner_text() != events_meta
    marks = page.locator("svg.ex-map .mark, svg.ex-map .cell")
    assert marks.count() > 0
    if page.locator("svg.ex-map .mark").count():
        deaths = page.locator("svg.ex-map .mark").evaluate_all("ns => ns.map(n => +n.dataset.deaths)")
        assert min(deaths) > 0  # only events with deaths are drawn
    shot(page, "40-explorer-deaths")

    # the map is one tab stop: no mark or cell in the tab order; arrows move the view
    assert page.locator("svg.ex-map [tabindex]").count() == 0
    assert page.locator("svg.ex-map").get_attribute("tabindex") == "0"
    page.focus("svg.ex-map")
    before = page.locator("svg.ex-map").get_attribute("viewBox")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("b => document.querySelector('svg.ex-map').getAttribute('viewBox') !== b", arg=before)
    # the timeline's bars are one tab stop too (the latest bar); arrows move between them
    bars = page.locator("svg.ex-timeline .bar")
    assert page.locator("svg.ex-timeline .bar[tabindex='0']").count() == 1
    assert bars.last.get_attribute("tabindex") == "0"
    bars.last.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => document.activeElement === [...document.querySelectorAll('svg.ex-timeline .bar')].slice(-2)[0]"
    )
    assert page.locator("svg.ex-timeline .bar[tabindex='0']").count() == 1
    stops = page.evaluate(
        "() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, [tabindex]')]"
        ".filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length).length"
    )
    assert stops < 40, stops  # the map's marks and the timeline's bars were one each

    page.fill("input[name=actor]", "no such actor anywhere")
    page.click("form.ex-filters button[type=submit]")
    page.wait_for_selector(".ex-empty")
    assert page.locator(".ex-empty").inner_text() == "No events match this filter."
    assert "measure=deaths" in page.url  # the filter form kept the measure
    assert page.locator("svg.ex-map .empty-state").is_visible()
    labels = page.locator("svg.ex-map .graticule text").evaluate_all("ns => ns.map(n => n.textContent)")
    assert labels and not [t for t in labels if t[-1] in "NS" and float(t[:-2]) > 90]  # no "100°N"
    shot(page, "41-explorer-empty")
    page.context.close()
