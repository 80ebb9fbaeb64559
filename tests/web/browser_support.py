"""What every browser test needs: Debian's Chromium through Playwright, a real server on a free loopback port,
the demo workspace, and screenshots in the git-ignored ``screenshots/`` folder."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SCREENSHOTS",
    "SIZES",
    "demo_server",
    "follow",
    "free_port",
    "launch",
    "need_browser",
    "serve",
    "shot",
    "sign_in",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SIZES = ((1280, 800), (1024, 640))


def need_browser() -> Any:
    """Playwright's ``sync_playwright``; skip (or fail under DETENTE_REQUIRE_BROWSER=1) without Chromium."""
    required = os.environ.get("DETENTE_REQUIRE_BROWSER") == "1"
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is not installed"
    if problem is not None:
        if required:
            pytest.fail(f"DETENTE_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    return sync_playwright


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: Any, name: str = "uvicorn") -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _watch_csp(browser: Any, violations: list[str]) -> None:
    """Record every Content-Security-Policy violation that a page of *browser* reports on its console."""

    def listen(page: Any) -> Any:
        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        return page

    open_page, open_context = browser.new_page, browser.new_context

    def new_page(*args: Any, **kwargs: Any) -> Any:
        return listen(open_page(*args, **kwargs))

    def new_context(*args: Any, **kwargs: Any) -> Any:
        context = open_context(*args, **kwargs)
        context.on("page", listen)
        return context

    browser.new_page, browser.new_context = new_page, new_context


@contextmanager
def launch() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright. The test fails if any page it opened reported a
    Content-Security-Policy violation (an inline script or style, a foreign source)."""
    sync_playwright = need_browser()
    violations: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        _watch_csp(browser, violations)
        try:
            yield browser
        finally:
            browser.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def shot(page: Any, name: str, *, full: bool = False) -> Path:
    """Save a screenshot named after the page and the viewport size."""
    SCREENSHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


def follow(page: Any, target: Any) -> None:
    """Click ``target`` (a selector or a locator) and return only once the page it leads to has loaded.

    ``page.click`` returns as soon as the navigation has started; reading the page then races the load and can
    see an empty document. Every click that leaves the page goes through here."""
    with page.expect_navigation(wait_until="load"):
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()


@contextmanager
def demo_server(root: Path, *, verification: bool = False) -> Iterator[tuple[str, int, Any]]:
    """The fictional demo (events, process, accounts; with *verification*, its commitments too) served on a free
    loopback port: yields the base URL, the demo process's id and the application context."""
    from argon2 import PasswordHasher

    from detente.config import Settings
    from detente.db.users import AccountPolicy
    from detente.events.demo_job import run_demo
    from detente.services.demo import add_demo_verification, setup_demo_process
    from detente.web.app import WebOptions, create_app

    need_browser()
    ws = root / "ws"
    run_demo(ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy, login_attempts_per_minute=100))
    ctx = app.state.ctx
    pid = setup_demo_process(ctx)
    if verification:
        assert add_demo_verification(ctx, pid) is True
        assert add_demo_verification(ctx, pid) is False  # idempotent
    try:
        with serve(app) as url:
            yield url, pid, ctx
    finally:
        ctx.db.close()


def sign_in(browser: Any, url: str, username: str, password: str) -> Any:
    """A new page, in a browser context of its own (its own cookies and IndexedDB), signed in as *username*."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    follow(page, "button[type=submit]")
    page.wait_for_url(f"{url}/processes")
    return page
