"""Browser sessions (issue 12): an idle timeout and an absolute timeout enforced on the server, and the session
cookie named with the ``__Host-`` prefix over HTTPS (Secure, Path=/, no Domain), plainly over HTTP. Fake clock;
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.config import Settings
from detente.db.users import AccountPolicy
from detente.web.app import WebOptions, create_app
from web.conftest import PASSWORD, FakeClock, World, sign_in


def _me(client: TestClient) -> int:
    return client.get("/api/v1/me").status_code


def test_an_idle_session_ends_after_30_minutes(client: TestClient, world: World, clock: FakeClock) -> None:
    sign_in(client, "viewer")
    for _ in range(4):  # used every 29 minutes, it lives on past the idle timeout
        clock.advance(minutes=29)
        assert _me(client) == 200
    clock.advance(minutes=30)
    assert _me(client) == 401
    clock.advance(minutes=-30)
    assert _me(client) == 401  # ended for good: the server forgot it


def test_a_busy_session_ends_12_hours_after_sign_in(client: TestClient, world: World, clock: FakeClock) -> None:
    sign_in(client, "viewer")
    for _ in range(11 * 3):
        clock.advance(minutes=20)
        assert _me(client) == 200
    clock.advance(minutes=60)
    assert _me(client) == 401


def test_timeouts_come_from_the_settings(
    database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy, world: World
) -> None:
    settings = Settings(
        workspace=workspace, database_url=database_url, session_idle_minutes=5, session_absolute_hours=1
    )
    app = create_app(settings, clock=clock, options=WebOptions(policy=fast_policy))
    try:
        with TestClient(app, base_url="http://testserver") as client:
            sign_in(client, "viewer")
            clock.advance(minutes=4)
            assert _me(client) == 200
            clock.advance(minutes=6)
            assert _me(client) == 401
            sign_in(client, "viewer")
            for _ in range(14):
                clock.advance(minutes=4)
                assert _me(client) == 200
            clock.advance(minutes=4)
            assert _me(client) == 401
    finally:
        app.state.ctx.db.close()


def test_over_https_the_cookie_has_the_host_prefix(app: FastAPI, world: World) -> None:
    with TestClient(app, base_url="https://testserver") as tls:
        tls.get("/login")
        data = {"username": "viewer", "password": PASSWORD, "csrf_token": tls.cookies["detente_csrf"]}
        response = tls.post("/login", data=data, follow_redirects=False)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-detente_session=")
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie and "HttpOnly" in cookie
        assert _me(tls) == 200
        raw = tls.cookies["__Host-detente_session"]
        tls.cookies.clear()
        tls.cookies.set("detente_session", raw)  # the unprefixed name is not read over HTTPS
        assert _me(tls) == 401


def test_over_plain_http_the_cookie_has_the_plain_name(client: TestClient, world: World) -> None:
    client.get("/login")
    data = {"username": "viewer", "password": PASSWORD, "csrf_token": client.cookies["detente_csrf"]}
    cookie = client.post("/login", data=data, follow_redirects=False).headers["set-cookie"]
    assert cookie.startswith("detente_session=") and "Secure" not in cookie
