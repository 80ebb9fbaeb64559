"""Rate limits shared by every server process, keyed on the account and on a client address that a client cannot
choose (issue 12), and the current-password check of a password change: rate-limited, and counted towards the
account's lock-out. On SQLite and PostgreSQL."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.config import Settings
from detente.db.users import AccountPolicy
from detente.web.app import WebOptions, create_app
from web.conftest import PASSWORD, FakeClock, World, sign_in

PROXY = ipaddress.ip_network("10.0.0.0/24")


def _attempt(client: TestClient, username: str, **headers: str) -> int:
    if "detente_csrf" not in client.cookies:
        client.get("/login")
    data = {"username": username, "password": "not the password", "csrf_token": client.cookies["detente_csrf"]}
    return client.post("/login", data=data, headers=headers).status_code


@pytest.fixture
def second_app(
    database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy, world: World
) -> Iterator[FastAPI]:
    """Another server process on the same database (its own limiters, nothing shared in memory)."""
    settings = Settings(workspace=workspace, database_url=database_url)
    application = create_app(settings, clock=clock, options=WebOptions(policy=fast_policy, login_attempts_per_minute=5))
    yield application
    application.state.ctx.db.close()


def test_two_server_processes_share_the_login_limit(client: TestClient, second_app: FastAPI, world: World) -> None:
    other = TestClient(second_app, base_url="http://testserver")
    statuses = [_attempt(client if i % 2 else other, f"nobody{i}") for i in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]


def test_the_limit_is_per_account_too(client: TestClient, app: FastAPI, world: World) -> None:
    # five addresses, one account: the account's limit holds although each address is fresh
    statuses = []
    for i in range(6):
        c = TestClient(app, base_url="http://testserver", client=(f"192.0.2.{i + 1}", 5000))
        statuses.append(_attempt(c, "nobody-in-particular"))
    assert statuses[:5] == [401] * 5 and statuses[5] == 429


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_reset_the_limit(
    client: TestClient, world: World
) -> None:
    statuses = [_attempt(client, f"nobody{i}", **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(7)]
    assert statuses[5:] == [429, 429]


def test_a_trusted_proxy_forwards_the_client_address(
    database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy, world: World
) -> None:
    settings = Settings(workspace=workspace, database_url=database_url)
    options = WebOptions(policy=fast_policy, login_attempts_per_minute=5, trusted_proxies=[PROXY])
    app = create_app(settings, clock=clock, options=options)
    proxy = TestClient(app, base_url="http://testserver", client=("10.0.0.7", 5000))
    try:
        # a client's own X-Forwarded-For entries stay on the left; the proxy appends the real peer
        first = [_attempt(proxy, f"a{i}", **{"X-Forwarded-For": f"1.2.3.{i}, 198.51.100.1"}) for i in range(6)]
        assert first[5] == 429  # one client, whatever it wrote itself
        second = _attempt(proxy, "b0", **{"X-Forwarded-For": "198.51.100.2"})
        assert second == 401  # another client behind the same proxy is not limited
        assert proxy.get("/login", headers={"X-Forwarded-Proto": "https"}).status_code == 200
    finally:
        app.state.ctx.db.close()


def test_settings_refuse_a_bad_trusted_proxy() -> None:
    from detente.config import load_settings
    from detente.errors import ConfigError

    with pytest.raises(ConfigError, match="DETENTE_TRUSTED_PROXIES"):
        load_settings(trusted_proxies="10.0.0.0/24, not-an-address")
    assert load_settings(trusted_proxies="10.0.0.1, ::1").trusted_proxies == "10.0.0.1, ::1"


def test_guessing_the_current_password_locks_the_account_instead_of_taking_it(
    app: FastAPI, client: TestClient, world: World
) -> None:
    app.state.ctx.password_limiter = None  # the lock-out alone, without the rate limit
    csrf = sign_in(client, "viewer")
    statuses = []
    for i in range(20):
        guess = client.post(
            "/account/password",
            data={
                "current_password": f"guess number {i}",
                "new_password": "the attacker's own one",
                "csrf_token": csrf,
            },
            headers={"Accept": "application/json"},
        )
        statuses.append(guess.status_code)
    assert statuses[:3] == [422] * 3  # the tests' policy locks after 3 wrong passwords
    assert set(statuses[3:]) <= {401, 403}  # the lock-out ended the guesser's session (no session, no CSRF token)
    right = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "the attacker's own one", "csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert right.status_code in (401, 403)
    fresh = TestClient(app, base_url="http://testserver")
    fresh.get("/login")
    data = {"username": "viewer", "password": "the attacker's own one", "csrf_token": fresh.cookies["detente_csrf"]}
    assert fresh.post("/login", data=data).status_code == 401


def test_the_current_password_check_is_rate_limited(app: FastAPI, client: TestClient, world: World) -> None:
    from datetime import timedelta

    from detente.services.rate_limits import SharedRateLimiter

    ctx = app.state.ctx
    ctx.password_limiter = SharedRateLimiter(ctx.db, "password", 2, timedelta(minutes=1), ctx.clock)
    csrf = sign_in(client, "viewer")
    statuses = [
        client.post(
            "/account/password",
            data={"current_password": f"guess {i}", "new_password": "another passphrase", "csrf_token": csrf},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [422, 422, 429]


def test_old_attempts_are_pruned(app: FastAPI, world: World, clock: FakeClock) -> None:
    from datetime import timedelta

    from sqlalchemy import func, select

    from detente.db.models import RateLimitHit
    from detente.errors import RateLimited
    from detente.services.rate_limits import SharedRateLimiter

    ctx = app.state.ctx
    limiter = SharedRateLimiter(ctx.db, "prune-test", 3, timedelta(minutes=1), clock)
    for i in range(3):
        limiter.hit(f"ip:192.0.2.{i}", "user:someone")
    with pytest.raises(RateLimited):
        limiter.check("user:someone")
    clock.advance(minutes=2)
    limiter.hit("ip:192.0.2.9")
    with ctx.db.transaction() as s:
        left = s.scalar(
            select(func.count()).select_from(RateLimitHit).where(RateLimitHit.key.startswith("prune-test:"))
        )
    assert left == 1  # only the attempt inside the window remains
