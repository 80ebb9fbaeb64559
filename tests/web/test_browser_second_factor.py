"""The second factor in Chromium, against a real server on 127.0.0.1 whose clock the test moves: a mediator held to
it by DETENTE_REQUIRE_SECOND_FACTOR is sent to the set-up, reads the secret off the page (a QR code drawn as inline
SVG beside it), confirms with the code an authenticator app would show, keeps the recovery codes, then signs in with
password and code; an administrator resets it from the Users page. No CSP violation on the way (``launch``).
Screenshots go to ``screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from detente.access import Role
from detente.config import Settings
from detente.db.processes import create_process, set_membership
from detente.db.users import AccountPolicy, create_user
from support import FakeClock
from web.browser_support import follow, launch, need_browser, serve, shot
from web.second_factor_support import app_code

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSWORD = "fictional demo password"


@dataclass
class Site:
    url: str
    clock: FakeClock


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    need_browser()
    from argon2 import PasswordHasher

    from detente.web.app import WebOptions, create_app

    ws = tmp_path_factory.mktemp("browser-2fa") / "ws"
    clock = FakeClock()
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    settings = Settings(workspace=ws, require_second_factor="mediator")
    app = create_app(settings, clock=clock, options=WebOptions(policy=policy, login_attempts_per_minute=100))
    with app.state.ctx.db.transaction() as s:
        process = create_process(s, "Arcadia–Borealis talks", fictional=True, clock=clock)
        create_user(s, "admin", PASSWORD, is_admin=True, policy=policy, clock=clock)
        mediator = create_user(s, "mediator", PASSWORD, policy=policy, clock=clock)
        set_membership(s, process.id, mediator.id, Role.MEDIATOR, clock=clock)
    try:
        with serve(app) as url:
            yield Site(url, clock)
    finally:
        app.state.ctx.db.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    with launch() as b:
        yield b


def _page(browser: Any) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(15_000)
    return page


def _password(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    follow(page, "button[type=submit]")


def test_set_up_in_the_browser_then_sign_in_with_a_code(browser: Any, site: Site) -> None:
    page = _page(browser)
    _password(page, site, "mediator")
    assert page.url == f"{site.url}/account/second-factor"  # held to the set-up: nothing else opens
    assert "asks your account to have a second factor" in page.locator("main").inner_text()
    page.goto(f"{site.url}/processes")
    assert page.url == f"{site.url}/account/second-factor"
    shot(page, "2fa-01-required")

    follow(page, "button:has-text('Set up a second factor')")
    assert page.locator("svg.qr").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) == 32
    assert f"secret={secret}" in (page.locator("#totp-uri").text_content() or "")
    shot(page, "2fa-02-secret-and-qr")

    page.fill("input[name=code]", app_code(secret, site.clock()))
    follow(page, "button:has-text('Turn on the second factor')")
    codes = page.locator("#recovery-codes li")
    assert codes.count() == 10
    recovery = codes.nth(0).inner_text().strip()
    shot(page, "2fa-03-recovery-codes")
    follow(page, "a:has-text('I have kept them')")
    assert "Recovery codes left: 10" in page.locator("main").inner_text()
    page.goto(f"{site.url}/processes")
    assert page.url.endswith("/processes") and "Arcadia" in page.content()
    follow(page, "button:has-text('Sign out')")

    site.clock.advance(seconds=30)
    _password(page, site, "mediator")
    assert "/login/code" in page.url
    shot(page, "2fa-04-code-step")
    page.fill("input[name=code]", "000000")
    follow(page, "button:has-text('Sign in')")
    assert "The code is wrong" in page.locator(".error").inner_text()
    page.fill("input[name=code]", app_code(secret, site.clock()))
    follow(page, "button:has-text('Sign in')")
    assert page.url.endswith("/processes")
    follow(page, "button:has-text('Sign out')")

    _password(page, site, "mediator")  # a lost phone: a recovery code, typed as it was shown
    page.fill("input[name=code]", recovery)
    follow(page, "button:has-text('Sign in')")
    assert page.url.endswith("/processes")
    page.goto(f"{site.url}/account/second-factor")
    assert "Recovery codes left: 9" in page.locator("main").inner_text()
    page.context.close()

    admin = _page(browser)
    _password(admin, site, "admin")  # the setting names mediators only: the administrator signs in by password
    admin.goto(f"{site.url}/admin/users")
    row = admin.locator("tr", has_text="mediator")
    assert row.locator("td").nth(5).inner_text().startswith("yes")
    follow(admin, row.locator("button[aria-label='Reset the second factor of mediator']"))
    assert "second factor is removed" in admin.locator(".flash").inner_text()
    shot(admin, "2fa-05-reset-by-admin")
    admin.context.close()

    again = _page(browser)
    _password(again, site, "mediator")
    assert again.url == f"{site.url}/account/second-factor"  # password alone, then straight to a new set-up
    again.context.close()


def test_screens_of_the_second_factor_fit_a_small_laptop(browser: Any, site: Site) -> None:
    page = browser.new_context(viewport={"width": 1024, "height": 640}).new_page()
    page.goto(f"{site.url}/login")
    shot(page, "2fa-06-login-small")
    assert Path(page.url).name == "login"
    page.context.close()
