"""The actor pages in a real browser (Playwright on Debian's Chromium) against a real server with the FICTIONAL demo:
the network's filters and hover, the grid, a rejection and its undo from the suggestions page; a screenshot of each
page at 1280×800 and 1024×640 in ``screenshots/``. Skips without /usr/bin/chromium unless DETENTE_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from detente.config import Settings
from detente.events.demo_job import run_demo
from detente.events.ingest import ingest_files
from web.browser_support import SCREENSHOTS, SIZES, follow, launch, need_browser, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSWORD = "demo-early-warning"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[tuple[str, int]]:
    need_browser()
    from argon2 import PasswordHasher

    from detente.db.users import AccountPolicy
    from detente.services.demo import setup_demo_actors, setup_demo_process
    from detente.web.app import WebOptions, create_app

    ws = tmp_path_factory.mktemp("browser-actors") / "ws"
    run_demo(ws)
    # the demo names each actor once, so it holds nothing to merge: three real samples add actors that other sources
    # name too (the governments of India, the United States and Yemen in UCDP GED and in GDELT)
    ingest_files(ws, [shared_data / "ucdp_ged/ged231_global_random_sample_1000.csv",
                      shared_data / "gdelt/gdelt1_events_sample100.tsv",
                      shared_data / "gdelt/gdelt2_events_sample100.export.tsv"])  # fmt: skip
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy, login_attempts_per_minute=100))
    process_id = setup_demo_process(app.state.ctx)
    setup_demo_actors(app.state.ctx, process_id)
    with serve(app) as url:
        yield url, process_id
    app.state.ctx.db.close()


@pytest.fixture(scope="module")
def browser(demo_site: tuple[str, int]) -> Iterator[Any]:
    with launch() as b:
        yield b


def _page(browser: Any, size: tuple[int, int], url: str) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    follow(page, "button[type=submit]")
    assert "/login" not in page.url
    return page


def test_network_page_filters_and_highlights_then_screenshots(browser: Any, demo_site: tuple[str, int]) -> None:
    url, pid = demo_site
    base = f"{url}/processes/{pid}/actors"
    page = _page(browser, SIZES[0], url)
    page.goto(f"{url}/processes/{pid}")
    follow(page, "text=Actors and stakeholders")
    follow(page, "nav.ac-tabs >> text=Network")
    assert page.locator("svg.ac-net .node").count() >= 5
    assert page.locator("svg.ac-net .tie.cooperative").count() > 0
    # hovering an actor shows only its ties and marks its row in the table
    first = page.locator("svg.ac-net .node").first
    first.hover()
    assert "focus" in (page.locator("svg.ac-net").get_attribute("class") or "")
    assert page.locator(".ac-short tr.hl").count() == 1
    # filters: hostile ties only, at least 100 events
    page.select_option("select[name=layer]", "hostile")
    page.fill("input[name=min_weight]", "100")
    follow(page, ".ac-filter button[type=submit]")
    assert "layer=hostile" in page.url
    assert page.locator("svg.ac-net .tie.cooperative").count() == 0
    assert page.locator("svg.ac-net .tie.hostile").count() > 0
    follow(page, page.locator("svg.ac-net .node").first)
    assert "/actors/act_" in page.url and page.locator("h2", has_text="Recent events").count() == 1
    # a rejection from the suggestions page, and its undo from the log
    page.goto(f"{base}/suggestions")
    rows = page.locator("table.ac-sugg tbody tr")
    before = rows.count()
    rows.first.locator("input[name=note]").fill("different countries")
    follow(page, rows.first.locator("button[value=reject]"))
    assert "rejected" in page.locator(".flash").inner_text()
    assert page.locator("table.ac-sugg tbody tr").count() == before - 1
    follow(page, page.locator("button[value=undo]").first)
    assert page.locator("table.ac-sugg tbody tr").count() == before
    page.context.close()

    lowvale = ""
    for size in SIZES:
        page = _page(browser, size, url)
        page.goto(base)
        assert page.locator("table.ac-matrix").count() == 1
        shot(page, "actors-1-matrix")
        if not lowvale:
            lowvale = page.locator("a", has_text="Lowvale Militia").first.get_attribute("href") or ""
        page.goto(f"{url}{lowvale}")
        shot(page, "actors-2-actor")
        page.goto(f"{base}/grid")
        assert page.locator("svg.ac-grid .pt").count() >= 5
        shot(page, "actors-3-grid")
        page.goto(f"{base}/network")
        shot(page, "actors-4-network")
        page.goto(f"{base}/suggestions")
        shot(page, "actors-5-suggestions")
        page.context.close()
    assert all((SCREENSHOTS / f"actors-1-matrix-{w}x{h}.png").exists() for w, h in SIZES)
    assert isinstance(SCREENSHOTS, Path)


def test_influence_paths_and_what_changed_pages_then_screenshots(browser: Any, demo_site: tuple[str, int]) -> None:
    url, pid = demo_site
    base = f"{url}/processes/{pid}/actors"
    for i, size in enumerate(SIZES):
        page = _page(browser, size, url)
        page.goto(base)
        follow(page, "nav.ac-tabs >> text=Influence paths")
        page.fill("input[name=target]", "Borealis Republican Army")
        page.fill("textarea[name=access]", "Arcadian Defence Forces, Cinder Guard")
        follow(page, ".ac-wb-form button[type=submit]")
        assert "target=Borealis" in page.url
        assert page.locator("ol.ac-paths > li").count() >= 1
        assert "can reach Borealis Republican Army" in page.locator("ol.ac-paths").inner_text()
        shot(page, "actors-6-paths")
        follow(page, "nav.ac-tabs >> text=What changed")
        assert page.locator("table.ac-turned").count() == 1 and page.locator("table.ac-ended").count() == 1
        shot(page, "actors-7-changes")
        if i == 0:
            page.fill("input[name=before_end]", "2020-01-01")
            page.fill("input[name=before_start]", "2020-06-01")
            follow(page, ".ac-wb-form button[type=submit]")
            assert "before end" in page.locator("p.error").inner_text()
            assert page.locator("input[name=before_end][aria-invalid=true]").count() == 1
        page.context.close()
    assert all((SCREENSHOTS / f"actors-7-changes-{w}x{h}.png").exists() for w, h in SIZES)
