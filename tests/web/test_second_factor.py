"""Second factor (TOTP, RFC 6238, with recovery codes) over HTTP, on SQLite and PostgreSQL, with the app's fake
clock: set-up through the API, the two steps of a sign-in through the login forms, replays, the ±1 step window,
recovery codes, the lock-out, the half session that grants nothing, DETENTE_REQUIRE_SECOND_FACTOR, the
administrator's reset, disabling, new recovery codes, tokens, and every kind of malformed code.

Codes are computed by the test from the secret the server showed, as an authenticator app would."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from detente.config import Settings
from detente.db.models import AuditEvent, RecoveryCode, SecondFactor
from detente.db.users import AccountPolicy
from detente.web.app import WebOptions, create_app
from sweep import get_routes, urls_of
from web.conftest import PASSWORD, FakeClock, World, bearer, sign_in
from web.second_factor_support import CODE_PAGE, app_code, code_step, enrol, password_step, sign_in_with_code


@pytest.fixture
def fast_policy() -> AccountPolicy:
    """As the web suite's, with five failures to a lock-out (the ASVS default the product ships)."""
    return AccountPolicy(
        max_failures=5,
        lockout=timedelta(minutes=10),
        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )


@pytest.fixture
def app(database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy) -> Iterator[FastAPI]:
    """The workbench with a roomy sign-in limit, so that the tests that sign in often meet the lock-out, not the
    limit (the limit has its own test)."""
    settings = Settings(workspace=workspace, database_url=database_url)
    application = create_app(
        settings, clock=clock, options=WebOptions(policy=fast_policy, login_attempts_per_minute=50)
    )
    yield application
    application.state.ctx.db.close()


def _csrf(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


def _actions(app: FastAPI) -> list[str]:
    with app.state.ctx.db.transaction() as s:
        return [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _enrolled(client: TestClient, clock: FakeClock, username: str) -> tuple[str, list[str]]:
    """Sign ``username`` in by password, set up the authenticator, and sign out again (a fresh browser)."""
    csrf = sign_in(client, username)
    secret, codes = enrol(client, csrf, clock())
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    clock.advance(seconds=30)  # the confirming code's step is used up
    return secret, codes


# --- set-up and sign-in ----------------------------------------------------------------------------------------------


def test_set_up_then_sign_in_with_a_code(app: FastAPI, client: TestClient, world: World, clock: FakeClock) -> None:
    csrf = sign_in(client, "viewer")
    started = client.post("/api/v1/account/second-factor", headers=_csrf(csrf))
    assert started.status_code == 201
    secret = started.json()["secret"]
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20  # 160 random bits, shown once as base32
    assert started.json()["otpauth_uri"] == (
        f"otpauth://totp/D%C3%A9tente:viewer?digits=6&secret={secret}&algorithm=SHA1&issuer=D%C3%A9tente&period=30"
    )
    # not on until confirmed: a sign-in elsewhere still needs the password only
    with TestClient(app, base_url="http://testserver") as other:
        assert password_step(other, "viewer") == (303, "/processes")
    wrong = client.post("/api/v1/account/second-factor/confirm", json={"code": "000000"}, headers=_csrf(csrf))
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "code"
    confirmed = client.post(
        "/api/v1/account/second-factor/confirm", json={"code": app_code(secret, clock())}, headers=_csrf(csrf)
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 29 and c.count("-") == 5 for c in codes)  # 24 characters of base32: 120 bits
    status = client.get("/api/v1/account/second-factor").json()
    assert status["enrolled"] and status["recovery_codes_left"] == 10 and not status["required"]
    assert client.get("/api/v1/me").json()["second_factor"] == "enrolled"  # this session stays
    # at rest: the seed sealed (not the secret, not its base32), the recovery codes as SHA-256 digests only
    with app.state.ctx.db.transaction() as s:
        row = s.get(SecondFactor, world.users["viewer"])
        assert row is not None and row.enrolled_at is not None
        assert base64.b32decode(secret) not in row.sealed_secret and secret.encode() not in row.sealed_secret
        digests = set(s.scalars(select(RecoveryCode.digest)))
        assert len(digests) == 10 and not any(c.replace("-", "") in d for c in codes for d in digests)
    assert "second_factor.enrolled" in _actions(app)

    client.cookies.clear()
    clock.advance(seconds=30)
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    pending = client.cookies["detente_session"]
    assert client.get("/login/code").status_code == 200
    assert code_step(client, app_code(secret, clock())) == (303, "/processes")
    whole = client.cookies["detente_session"]
    assert whole != pending  # a new session id: nothing fixed before the second factor survives it
    assert client.get("/api/v1/me").status_code == 200
    client.cookies.set("detente_session", pending)
    assert client.get("/api/v1/me").status_code == 401
    login = [e for e in _audit(app, "auth.login") if e.actor_id == world.users["viewer"]][-1]
    assert login.detail == {"second_factor": "totp"}


def _audit(app: FastAPI, action: str) -> list[AuditEvent]:
    with app.state.ctx.db.transaction() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_used_code_is_refused(client: TestClient, world: World, clock: FakeClock) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    code = app_code(secret, clock())
    sign_in_with_code(client, "viewer", code)
    client.cookies.clear()
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    assert code_step(client, code)[0] == 401  # same step, same code: replay
    assert code_step(client, app_code(secret, clock(), steps=-1))[0] == 401  # an earlier step after a later one
    clock.advance(seconds=30)
    assert code_step(client, app_code(secret, clock())) == (303, "/processes")


def test_one_step_of_drift_either_way_is_accepted_two_are_not(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    for steps in (-2, 2):
        client.cookies.clear()
        assert password_step(client, "viewer") == (303, CODE_PAGE)
        assert code_step(client, app_code(secret, clock(), steps=steps))[0] == 401, steps
    for steps in (-1, 1):
        clock.advance(minutes=5)
        client.cookies.clear()
        sign_in_with_code(client, "viewer", app_code(secret, clock(), steps=steps))


def test_a_recovery_code_works_once(app: FastAPI, client: TestClient, world: World, clock: FakeClock) -> None:
    _, codes = _enrolled(client, clock, "viewer")
    typed = codes[3].upper().replace("-", " ")  # read aloud, typed in capitals with spaces: still the code
    csrf = sign_in_with_code(client, "viewer", typed)
    assert client.get("/api/v1/account/second-factor").json()["recovery_codes_left"] == 9
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    assert code_step(client, codes[3])[0] == 401
    used = _audit(app, "second_factor.recovery_code_used")
    assert len(used) == 1 and used[0].detail == {"left": 9}
    assert _audit(app, "auth.login")[-1].detail == {"second_factor": "recovery_code"}


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock, fast_policy: AccountPolicy
) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    token = world.tokens["viewer"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    for _ in range(fast_policy.max_failures - 1):
        assert code_step(client, "123456")[0] == 401
    # a right password in between does not reset the count: only a complete sign-in does
    client.cookies.clear()
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    assert code_step(client, "654321")[0] == 401  # the last failure: locked, the half session ended
    assert code_step(client, app_code(secret, clock())) == (303, "/login")  # no half session left
    assert _audit(app, "auth.locked_out")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401  # the lock-out ended the token
    assert password_step(client, "viewer")[0] == 401  # locked: the same answer as a wrong password
    clock.advance(minutes=11)  # the lock is over
    client.cookies.clear()
    sign_in_with_code(client, "viewer", app_code(secret, clock()))


def test_code_guesses_are_rate_limited_with_sign_ins(
    database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy, world: World
) -> None:
    settings = Settings(workspace=workspace, database_url=database_url)
    limited = create_app(settings, clock=clock, options=WebOptions(policy=fast_policy, login_attempts_per_minute=5))
    try:
        with TestClient(limited, base_url="http://testserver") as client:
            secret, _ = _enrolled(client, clock, "viewer")
            clock.advance(minutes=2)
            assert password_step(client, "viewer") == (303, CODE_PAGE)  # attempt 1 of the minute on the account
            assert code_step(client, "111111")[0] == 401  # 2
            assert code_step(client, "222222")[0] == 401  # 3
            sign_in_with_code(client, "viewer", app_code(secret, clock()))  # 4 and 5
            client.cookies.clear()
            assert password_step(client, "viewer")[0] == 429  # a sixth: code guesses count with sign-ins
            clock.advance(minutes=1, seconds=1)
            assert password_step(client, "viewer") == (303, CODE_PAGE)
    finally:
        limited.state.ctx.db.close()


def test_the_half_session_ends_after_five_minutes(client: TestClient, world: World, clock: FakeClock) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    clock.advance(minutes=5, seconds=1)
    assert client.get("/login/code", follow_redirects=False).headers["location"] == "/login"
    assert code_step(client, app_code(secret, clock())) == (303, "/login")


def test_the_half_session_grants_nothing(app: FastAPI, client: TestClient, world: World, clock: FakeClock) -> None:
    """Every GET route of the application, asked with a half session, answers exactly as to nobody."""
    _enrolled(client, clock, "viewer")
    ids = {"note": list(world.notes.values()), "measure": ["x"], "actor": [1], "revision": [1], "sha256": ["0" * 64]}
    routes = [r for r in get_routes(app, leave_out=()) if r != "/login/code"]
    assert len(routes) > 40
    with TestClient(app, base_url="http://testserver") as nobody:
        assert password_step(client, "viewer") == (303, CODE_PAGE)
        asked = 0
        for path in routes:
            for url in urls_of(path, world.process_id, ids):
                for accept in ("application/json", "text/html"):
                    half = client.get(url, headers={"Accept": accept}, follow_redirects=False)
                    anon = nobody.get(url, headers={"Accept": accept}, follow_redirects=False)
                    assert half.status_code in (303, 401), (url, half.status_code)
                    assert (half.status_code, half.content) == (anon.status_code, anon.content), url
                    asked += 1
        assert asked > 80
        assert client.get("/login/code").status_code == 200  # the one thing it reaches


# --- who must have one -----------------------------------------------------------------------------------------------


@pytest.fixture
def strict_app(
    database_url: str, workspace: Path, clock: FakeClock, fast_policy: AccountPolicy, world: World
) -> Iterator[FastAPI]:
    settings = Settings(workspace=workspace, database_url=database_url, require_second_factor="admin,mediator")
    application = create_app(
        settings, clock=clock, options=WebOptions(policy=fast_policy, login_attempts_per_minute=50)
    )
    yield application
    application.state.ctx.db.close()


@pytest.mark.parametrize("username", ["mediator", "instance-admin"])
def test_the_setting_holds_admins_and_mediators_to_setting_one_up(
    strict_app: FastAPI, world: World, clock: FakeClock, username: str
) -> None:
    name = {"instance-admin": "instance_admin"}.get(username, username)
    with TestClient(strict_app, base_url="http://testserver") as client:
        csrf = sign_in(client, username)  # the password signs in; the session can only set up a second factor
        me = client.get("/api/v1/me").json()
        assert me["second_factor"] == "required"
        page = client.get("/processes", headers={"Accept": "text/html"}, follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/account/second-factor")
        api = client.get("/api/v1/processes")
        assert api.status_code == 403 and api.json()["error"]["code"] == "second_factor_required"
        note = client.post(f"/api/v1/processes/{world.process_id}/notes", json={"title": "t", "label": "public"},
                           headers=_csrf(csrf))  # fmt: skip
        assert note.status_code == 403 and note.json()["error"]["code"] == "second_factor_required"
        token = client.get("/api/v1/processes", headers=bearer(world.tokens[name]))
        assert token.status_code == 403 and token.json()["error"]["code"] == "second_factor_required"
        assert client.get("/account/second-factor").status_code == 200
        assert client.get("/api/v1/account/second-factor").json()["required"] is True
        enrol(client, csrf, clock())
        assert client.get("/api/v1/processes").status_code == 200
        assert client.get("/processes").status_code == 200
        assert client.get("/api/v1/processes", headers=bearer(world.tokens[name])).status_code == 200


def test_the_setting_leaves_analysts_alone(strict_app: FastAPI, world: World) -> None:
    with TestClient(strict_app, base_url="http://testserver") as client:
        sign_in(client, "analyst")
        assert client.get("/api/v1/me").json()["second_factor"] == "none"
        assert client.get("/api/v1/processes").status_code == 200
        assert client.get("/processes").status_code == 200


def test_the_setting_is_validated() -> None:
    from detente.config import load_settings
    from detente.errors import ConfigError

    assert load_settings(require_second_factor="Mediator, admin").require_second_factor == "admin,mediator"
    assert load_settings(require_second_factor="none").second_factor_groups == frozenset()
    with pytest.raises(ConfigError, match=r"DETENTE_REQUIRE_SECOND_FACTOR.*'analyst'"):
        load_settings(require_second_factor="admin,analyst")


# --- an administrator's reset ----------------------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_second_factor(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock
) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    viewer = TestClient(app, base_url="http://testserver")
    sign_in_with_code(viewer, "viewer", app_code(secret, clock()))
    token = world.tokens["viewer"]
    assert viewer.get("/api/v1/me").status_code == 200 and client.get("/api/v1/me", headers=bearer(token)).is_success
    refused = client.delete(
        f"/api/v1/users/{world.users['viewer']}/second-factor", headers=bearer(world.tokens["analyst"])
    )
    assert refused.status_code == 403
    admin = sign_in(client, "instance-admin")
    users = {u["username"]: u for u in client.get("/api/v1/users").json()["users"]}
    assert users["viewer"]["second_factor"] is True and users["analyst"]["second_factor"] is False
    assert (
        client.delete(f"/api/v1/users/{world.users['viewer']}/second-factor", headers=_csrf(admin)).status_code == 204
    )
    assert viewer.get("/api/v1/me").status_code == 401  # the account's sessions ended
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401  # and its tokens
    again = client.delete(f"/api/v1/users/{world.users['viewer']}/second-factor", headers=_csrf(admin))
    assert again.status_code == 409
    reset = _audit(app, "second_factor.reset")
    assert len(reset) == 1 and reset[0].actor_id == world.users["instance_admin"]
    assert reset[0].target == f"user:{world.users['viewer']}"
    viewer.cookies.clear()
    assert password_step(viewer, "viewer") == (303, "/processes")  # the password alone, as before the set-up
    viewer.close()


def test_the_users_page_resets_a_second_factor(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock
) -> None:
    _enrolled(client, clock, "viewer")
    admin = sign_in(client, "instance-admin")
    page = client.get("/admin/users")
    action = f"/admin/users/{world.users['viewer']}/second-factor/reset"
    assert action in page.text
    done = client.post(action, data={"csrf_token": admin}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/admin/users?done=second_factor_reset")
    assert action not in client.get("/admin/users").text
    assert _audit(app, "second_factor.reset")


# --- disabling, new recovery codes, tokens ---------------------------------------------------------------------------


def test_disabling_needs_the_password_and_a_code(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock
) -> None:
    secret, codes = _enrolled(client, clock, "viewer")
    csrf = sign_in_with_code(client, "viewer", app_code(secret, clock()))
    clock.advance(seconds=30)
    url = "/api/v1/account/second-factor/disable"
    wrong_password = client.post(url, json={"password": "not my password", "code": app_code(secret, clock())},
                                 headers=_csrf(csrf))  # fmt: skip
    assert wrong_password.status_code == 422 and wrong_password.json()["error"]["field"] == "current_password"
    wrong_code = client.post(url, json={"password": PASSWORD, "code": "000000"}, headers=_csrf(csrf))
    assert wrong_code.status_code == 422 and wrong_code.json()["error"]["field"] == "code"
    assert client.get("/api/v1/account/second-factor").json()["enrolled"] is True
    done = client.post(url, json={"password": PASSWORD, "code": codes[0]}, headers=_csrf(csrf))  # a recovery code
    assert done.status_code == 204
    assert client.get("/api/v1/account/second-factor").json() == {
        "enrolled": False, "enrolled_at": None, "required": False, "recovery_codes_left": 0,
    }  # fmt: skip
    assert "second_factor.disabled" in _actions(app)
    client.cookies.clear()
    assert password_step(client, "viewer") == (303, "/processes")


def test_new_recovery_codes_replace_the_old_ones(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock
) -> None:
    secret, old = _enrolled(client, clock, "viewer")
    csrf = sign_in_with_code(client, "viewer", app_code(secret, clock()))
    url = "/api/v1/account/second-factor/recovery-codes"
    assert client.post(url, json={"code": "000000"}, headers=_csrf(csrf)).status_code == 422
    replay = client.post(url, json={"code": app_code(secret, clock())}, headers=_csrf(csrf))  # used to sign in
    assert replay.status_code == 422
    clock.advance(seconds=30)
    fresh = client.post(url, json={"code": app_code(secret, clock())}, headers=_csrf(csrf))
    assert fresh.status_code == 200
    new = fresh.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert "second_factor.recovery_codes_regenerated" in _actions(app)
    client.cookies.clear()
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    assert code_step(client, old[0])[0] == 401
    assert code_step(client, new[0]) == (303, "/processes")


def test_tokens_of_an_account_with_a_second_factor_come_from_a_full_session(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    body = {"name": "script", "scopes": ["read"]}
    by_token = client.post("/api/v1/tokens", json=body, headers=bearer(world.tokens["viewer"]))
    assert by_token.status_code == 403 and "second factor" in by_token.json()["error"]["message"]
    csrf = sign_in_with_code(client, "viewer", app_code(secret, clock()))
    issued = client.post("/api/v1/tokens", json=body, headers=_csrf(csrf))
    assert issued.status_code == 201
    client.cookies.clear()
    # the token is a credential of its own: no second factor is asked of it
    assert client.get("/api/v1/me", headers=bearer(issued.json()["secret"])).status_code == 200
    # and nothing of the second factor is managed with a token
    managed = client.post("/api/v1/account/second-factor/recovery-codes", json={"code": "123456"},
                          headers=bearer(world.tokens["viewer"]))  # fmt: skip
    assert managed.status_code == 403


# --- malformed codes -------------------------------------------------------------------------------------------------

BAD_CODES = {
    "empty": ("", "enter"),
    "blank": ("   ", "enter"),
    "too short": ("12345", "6 digits"),
    "too many digits": ("1234567", "6 digits"),
    "not digits": ("12a456", "6 digits"),
    "too long": ("1" * 65, "too long"),
    "far too long": ("1" * 201, "at most 200"),
    "not a code": ("abcdefghijklmnopqrstuvwxyz", "not a code"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CODES))
def test_a_malformed_code_is_refused_naming_the_field(
    client: TestClient, world: World, clock: FakeClock, kind: str
) -> None:
    secret, _ = _enrolled(client, clock, "viewer")
    text, words = BAD_CODES[kind]
    csrf = sign_in_with_code(client, "viewer", app_code(secret, clock()))
    for url, extra in (
        ("/api/v1/account/second-factor/recovery-codes", {}),
        ("/api/v1/account/second-factor/disable", {"password": PASSWORD}),
    ):
        answer = client.post(url, json={"code": text, **extra}, headers=_csrf(csrf))
        error = answer.json()["error"]
        assert (answer.status_code, error["field"]) == (422, "code"), (url, answer.text)
        assert words in error["message"], (url, error)
    client.cookies.clear()
    assert password_step(client, "viewer") == (303, CODE_PAGE)
    status, _ = code_step(client, text)
    assert status == 422, kind
    form = {"code": text, "csrf_token": client.cookies["detente_csrf"]}
    page = client.post("/login/code", data=form, headers={"Accept": "text/html"})
    assert page.status_code == 422 and words in page.text and "(field: code)" in page.text, page.text
    # malformed codes are no guesses: the account is not locked by them
    assert code_step(client, app_code(secret, clock(), steps=1)) == (303, "/processes")


def test_a_malformed_confirmation_code_is_refused_naming_the_field(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "viewer")
    client.post("/api/v1/account/second-factor", headers=_csrf(csrf))
    for text in ("", "12345", "12a456", "aaaa-bbbb-cccc-dddd-eeee-ffff"):
        answer = client.post("/api/v1/account/second-factor/confirm", json={"code": text}, headers=_csrf(csrf))
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "code", (text, answer.text)
    missing = client.post("/api/v1/account/second-factor/confirm", json={}, headers=_csrf(csrf))
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "code"


# --- the pages -------------------------------------------------------------------------------------------------------


def test_the_account_pages_set_up_renew_and_turn_off(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock
) -> None:
    csrf = sign_in(client, "viewer")
    account = client.get("/account")
    assert "Set up the second factor" in account.text and "Off: signing in needs your password only." in account.text
    started = client.post("/account/second-factor/start", data={"csrf_token": csrf})
    assert started.status_code == 200
    assert '<svg width="' in started.text and 'class="qr"' in started.text and "style=" not in started.text
    secret = started.text.split('id="totp-secret">')[1].split("<")[0]
    wrong = client.post("/account/second-factor/confirm", data={"csrf_token": csrf, "code": "000000"})
    assert wrong.status_code == 422 and "(field: code)" in wrong.text and secret not in wrong.text  # shown once
    confirmed = client.post(
        "/account/second-factor/confirm", data={"csrf_token": csrf, "code": app_code(secret, clock())}
    )
    assert confirmed.status_code == 200 and confirmed.text.count("<li><code>") == 10
    assert "Set up a second factor" not in confirmed.text  # the header shows the account as it is now
    clock.advance(seconds=30)
    renewed = client.post(
        "/account/second-factor/recovery-codes", data={"csrf_token": csrf, "code": app_code(secret, clock())}
    )
    assert renewed.status_code == 200 and renewed.text.count("<li><code>") == 10
    clock.advance(seconds=30)
    refused = client.post(
        "/account/second-factor/disable",
        data={"csrf_token": csrf, "current_password": "not my password", "code": app_code(secret, clock())},
    )
    assert refused.status_code == 422 and "(field: current_password)" in refused.text
    off = client.post(
        "/account/second-factor/disable",
        data={"csrf_token": csrf, "current_password": PASSWORD, "code": app_code(secret, clock())},
        follow_redirects=False,
    )
    assert (off.status_code, off.headers["location"]) == (303, "/account/second-factor?done=second_factor_disabled")
    assert "Off: signing in needs your password only." in client.get("/account").text
    assert [a for a in _actions(app) if a.startswith("second_factor.")] == [
        "second_factor.enrolled",
        "second_factor.recovery_codes_regenerated",
        "second_factor.disabled",
    ]
