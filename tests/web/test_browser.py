"""Browser tests: Playwright's Python package driving Debian's Chromium against a real server on 127.0.0.1,
with a fresh workspace holding the demo events, a fictional process with two parties, and one account per role.

They skip when /usr/bin/chromium is absent, unless ``DETENTE_REQUIRE_BROWSER=1`` (CI), then they fail. Every
main page is saved as a screenshot to ``screenshots/`` (git-ignored) at 1280×800 and 1024×640.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from detente.access import Label, Role
from detente.config import Settings
from detente.db import notes as notes_db
from detente.db.processes import add_party, create_process, set_membership
from detente.db.users import AccountPolicy, create_user
from detente.events.demo_job import run_demo
from web.browser_support import SCREENSHOTS, SIZES, follow, launch, need_browser, serve, shot

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSWORD = "fictional demo password"


@dataclass
class Site:
    url: str
    process_id: int
    other_process_id: int
    party_a: int
    party_b: int
    notes: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    need_browser()
    from argon2 import PasswordHasher

    from detente.web.app import WebOptions, create_app

    ws = tmp_path_factory.mktemp("browser") / "ws"
    run_demo(ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy, login_attempts_per_minute=100))
    with app.state.ctx.db.transaction() as s:
        process = create_process(
            s,
            "Arcadia–Borealis talks",
            description="Fictional demo process.",
            fictional=True,
            clock=app.state.ctx.clock,
        )
        other = create_process(s, "Coastal water commission", fictional=True, clock=app.state.ctx.clock)
        a = add_party(s, process.id, "Arcadia", clock=app.state.ctx.clock)
        b = add_party(s, process.id, "Borealis", clock=app.state.ctx.clock)
        roles = {
            "mediator": (Role.MEDIATOR, None),
            "analyst": (Role.ANALYST, None),
            "observer": (Role.OBSERVER, None),
            "rep-arcadia": (Role.PARTY_REPRESENTATIVE, a.id),
            "rep-borealis": (Role.PARTY_REPRESENTATIVE, b.id),
            "viewer": (Role.VIEWER, None),
        }
        create_user(
            s,
            "admin",
            PASSWORD,
            is_admin=True,
            display_name="Instance administrator",
            policy=policy,
            clock=app.state.ctx.clock,
        )
        users = {}
        for name, (role, party) in roles.items():
            users[name] = create_user(s, name, PASSWORD, policy=policy, clock=app.state.ctx.clock).id
            set_membership(s, process.id, users[name], role, party_id=party, clock=app.state.ctx.clock)
        set_membership(s, other.id, users["mediator"], Role.MEDIATOR, clock=app.state.ctx.clock)
        site = Site("", process.id, other.id, a.id, b.id)
        for key, label in (("party_a", Label.party(a.id)), ("party_b", Label.party(b.id))):
            note = notes_db.create_note(
                s,
                process.id,
                f"Position paper {key}",
                f"confidential words of {key}",
                label,
                author_id=users["mediator"],
                clock=app.state.ctx.clock,
            )
            site.notes[key] = note.id
    with serve(app) as url:
        site.url = url
        yield site
    app.state.ctx.db.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    with launch() as b:
        yield b


@pytest.fixture(scope="module", autouse=True)
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def _page(browser: Any, size: tuple[int, int] = SIZES[0]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _sign_in(page: Any, site: Site, username: str, next_path: str = "/processes") -> None:
    page.goto(f"{site.url}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    follow(page, "button[type=submit]")
    assert "/login" not in page.url, page.content()[:2000]


def test_sign_in_page_and_a_failed_then_good_sign_in(browser: Any, site: Site) -> None:
    for size in SIZES:
        page = _page(browser, size)
        page.goto(f"{site.url}/login")
        assert page.locator("h1").inner_text() == "Sign in"
        shot(page, "01-sign-in")
        page.context.close()
    page = _page(browser)
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", "mediator")
    page.fill("input[name=password]", "wrong password")
    follow(page, "button[type=submit]")
    assert page.locator(".error").count() == 1
    _sign_in(page, site, "mediator")
    assert page.url.endswith("/processes")
    page.context.close()


def test_screenshots_of_processes_process_and_user_admin(browser: Any, site: Site) -> None:
    for size in SIZES:
        page = _page(browser, size)
        _sign_in(page, site, "admin")
        page.goto(f"{site.url}/processes")
        shot(page, "02-processes")
        page.goto(f"{site.url}/admin/users")
        assert page.locator("table").count() >= 1
        shot(page, "04-user-admin")
        page.context.close()
        page = _page(browser, size)
        _sign_in(page, site, "mediator")
        page.goto(f"{site.url}/processes/{site.process_id}")
        assert "Arcadia" in page.content()
        shot(page, "03-process")
        page.context.close()


def test_a_party_representative_cannot_reach_the_other_partys_pages(browser: Any, site: Site) -> None:
    page = _page(browser)
    _sign_in(page, site, "rep-arcadia")
    own = page.goto(f"{site.url}/processes/{site.process_id}/notes/{site.notes['party_a']}")
    assert own is not None and own.status == 200 and "confidential words of party_a" in page.content()
    missing = page.goto(f"{site.url}/processes/{site.process_id}/notes/999999")
    assert missing is not None and missing.status == 404
    missing_text = page.locator("main").inner_text()
    other = page.goto(f"{site.url}/processes/{site.process_id}/notes/{site.notes['party_b']}")
    assert other is not None and other.status == 404
    assert "confidential words of party_b" not in page.content() and "party_b" not in page.content()
    assert page.locator("main").inner_text() == missing_text  # exactly as for a note that does not exist
    shot(page, "05-representative-refused")
    elsewhere = page.goto(f"{site.url}/processes/{site.other_process_id}")
    assert elsewhere is not None and elsewhere.status == 404
    page.goto(f"{site.url}/processes/{site.process_id}")
    assert "Position paper party_b" not in page.content()
    page.context.close()


def test_event_explorer_filter_map_timeline_and_export(browser: Any, site: Site) -> None:
    for size in SIZES:
        page = _page(browser, size)
        _sign_in(page, site, "analyst", "/events")
        assert page.url.endswith("/events")
        page.wait_for_selector("#explorer[data-enhanced='1']")
        assert page.locator("svg.ex-map path.country").count() >= 2
        assert page.locator("svg.ex-map .cell").count() > 10  # 20,000 events: aggregated to cells
        assert page.locator("svg.ex-timeline .bar").count() > 40
        assert page.locator("svg.ex-timeline text", has_text="2022").count() >= 1
        shot(page, "06-explorer")
        page.context.close()

    page = _page(browser)
    _sign_in(page, site, "analyst", "/events")
    page.wait_for_selector("#explorer[data-enhanced='1']")
    page.select_option("select[name=country]", "XAR")
    page.select_option("select[name=category]", "battle")
    page.fill("input[name=start]", "2023-06-01")
    page.click("form.ex-filters button[type=submit]")
    page.wait_for_url("**/events?*country=XAR*")
    page.wait_for_selector("#explorer[data-enhanced='1']")
    summary = page.locator(".ex-summary strong").inner_text()
    matching = int(summary.replace(",", ""))
    assert 0 < matching < 1500
    assert page.locator("svg.ex-map path.country[data-iso3='XAR']").count() == 1
    assert page.locator("svg.ex-map path.mark").count() == matching  # few enough: one mark per event
    assert page.locator("svg.ex-map path.mark.g-violence").count() == matching
    assert page.locator("svg.ex-timeline .bar").count() > 3
    cells = page.locator(".ex-table tbody tr td:nth-child(2)").all_inner_texts()
    assert cells and set(cells) == {"XAR"}
    page.hover("svg.ex-map path.mark >> nth=0")
    assert "battle" in page.locator(".ex-readout").inner_text()
    shot(page, "07-explorer-filtered")

    with page.expect_download() as info:
        page.click(".ex-export a:has-text('CSV')")
    download = info.value
    target = Path(download.path())
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == matching
    assert {r["country_iso3"] for r in rows} == {"XAR"} and {r["category"] for r in rows} == {"battle"}
    assert min(r["date_end"] for r in rows) >= "2023-06-01"
    shutil.copy(target, SCREENSHOTS / "07-explorer-filtered-export.csv")

    page.click("svg.ex-timeline .bar >> nth=0")  # a bar narrows the dates to its period
    page.wait_for_url("**end=*")
    page.wait_for_selector("#explorer[data-enhanced='1']")
    narrowed = int(page.locator(".ex-summary strong").inner_text().replace(",", ""))
    assert 0 < narrowed <= matching
    page.context.close()


def test_explorer_works_without_javascript(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, site, "viewer", "/events")
    page.select_option("select[name=country]", "XBO")
    page.click("form.ex-filters button[type=submit]")
    page.wait_for_url("**country=XBO*")
    assert page.locator("svg.ex-map path.country[data-iso3='XBO']").count() == 1
    assert set(page.locator(".ex-table tbody tr td:nth-child(2)").all_inner_texts()) == {"XBO"}
    assert page.locator(".ex-export a").count() == 0  # viewers may look, not export
    shot(page, "08-explorer-no-script-viewer")
    context.close()
