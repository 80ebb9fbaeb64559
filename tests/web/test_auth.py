"""Accounts and sessions through HTTP: sign-in, cookies, CSRF, rate limit, lock-out, logout, password change,
API tokens (scoped, revocable, audited) and the audit trail."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from web.conftest import PASSWORD, FakeClock, World, bearer, sign_in


def _audit_actions(client: TestClient, world: World) -> list[str]:
    events = client.get("/api/v1/audit", params={"limit": 1000}, headers=bearer(world.tokens["instance_admin"]))
    assert events.status_code == 200
    return [e["action"] for e in events.json()["events"]]


def test_sign_in_sets_a_safe_session_cookie(client: TestClient, world: World) -> None:
    client.get("/login")
    token = client.cookies["detente_csrf"]
    response = client.post(
        "/login", data={"username": "mediator", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/processes"
    cookie = response.headers["set-cookie"]
    assert "detente_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    page = client.get("/processes")
    assert page.status_code == 200 and "Lakeside talks" in page.text and "FICTIONAL" in page.text
    assert "auth.login" in _audit_actions(client, world)


def test_cookie_is_secure_over_tls(app: FastAPI, world: World) -> None:
    with TestClient(app, base_url="https://testserver") as tls:
        tls.get("/login")
        token = tls.cookies["detente_csrf"]
        response = tls.post(
            "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_login_without_csrf_token_is_refused(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"username": "mediator", "password": PASSWORD}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_state_changing_forms_and_api_calls_need_the_csrf_token(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "mediator")
    pid = world.process_id
    form = {"title": "Meeting 3", "body": "notes", "label": "all_parties"}
    refused = client.post(f"/processes/{pid}/notes", data=form, headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    wrong = client.post(f"/processes/{pid}/notes", data={**form, "csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    ok = client.post(f"/processes/{pid}/notes", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    api = client.post(f"/api/v1/processes/{pid}/notes", json=form)
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf_failed"
    api_ok = client.post(f"/api/v1/processes/{pid}/notes", json=form, headers={"X-CSRF-Token": csrf})
    assert api_ok.status_code == 201
    logout = client.post("/logout", headers={"Accept": "application/json"})
    assert logout.status_code == 403  # signing out is a state change too


def test_logout_ends_the_server_side_session(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "observer")
    raw = client.cookies["detente_session"]
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("detente_session", raw)  # replaying the old cookie does not help
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_passwords_lock_the_account(client: TestClient, world: World, clock: FakeClock) -> None:
    client.get("/login")
    token = client.cookies["detente_csrf"]
    for _ in range(3):  # the test policy locks after 3 failures
        bad = client.post("/login", data={"username": "analyst", "password": "wrong password", "csrf_token": token})
        assert bad.status_code == 401
    locked = client.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 401 and "locked" in locked.text
    unknown = client.post("/login", data={"username": "nobody", "password": PASSWORD, "csrf_token": token})
    assert unknown.status_code == 401
    clock.advance(minutes=11)
    assert sign_in(client, "analyst")
    actions = _audit_actions(client, world)
    assert actions.count("auth.login_failed") >= 5 and "auth.locked_out" in actions


def test_login_attempts_are_rate_limited_per_ip(client: TestClient, world: World, clock: FakeClock) -> None:
    client.get("/login")
    token = client.cookies["detente_csrf"]
    statuses = [
        client.post("/login", data={"username": f"user{i}", "password": "x" * 12, "csrf_token": token}).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    limited = client.post(
        "/login", data={"username": "x", "password": "y", "csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
    clock.advance(minutes=2)
    assert sign_in(client, "viewer")


def test_password_change(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "viewer")
    wrong = client.post(
        "/account/password",
        data={"current_password": "nope nope nope", "new_password": "a new long password", "csrf_token": csrf},
    )
    assert wrong.status_code == 422
    short = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "short", "csrf_token": csrf}
    )
    assert short.status_code == 422
    ok = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a new long password", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert client.get("/api/v1/me").status_code == 200  # a fresh session replaces the ended ones
    client.cookies.clear()
    assert sign_in(client, "viewer", "a new long password")


def test_tokens_are_scoped_revocable_and_audited(client: TestClient, world: World) -> None:
    admin = bearer(world.tokens["mediator"])
    made = client.post("/api/v1/tokens", json={"name": "nightly", "scopes": ["read"]}, headers=admin)
    assert made.status_code == 201
    secret = made.json()["secret"]
    assert secret.startswith("dtk_")
    read_only = bearer(secret)
    pid = world.process_id
    assert client.get(f"/api/v1/processes/{pid}/notes", headers=read_only).status_code == 200
    write = client.post(f"/api/v1/processes/{pid}/notes", json={"title": "t", "label": "public"}, headers=read_only)
    assert write.status_code == 403 and write.json()["error"]["field"] == "scopes"
    wider = client.post("/api/v1/tokens", json={"name": "more", "scopes": ["read", "write"]}, headers=read_only)
    assert wider.status_code == 403
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=admin).status_code == 204
    revoked = client.get(f"/api/v1/processes/{pid}/notes", headers=read_only)
    assert revoked.status_code == 401 and revoked.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers=bearer("dtk_forged")).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    # another user's token cannot be revoked, and answers as missing
    other = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read"]}, headers=bearer(world.tokens["viewer"])
    )
    assert client.delete(f"/api/v1/tokens/{other.json()['id']}", headers=admin).status_code == 404
    actions = _audit_actions(client, world)
    assert {"token.created", "token.used", "token.revoked"} <= set(actions)


def test_user_administration_is_for_instance_administrators(client: TestClient, world: World) -> None:
    admin = bearer(world.tokens["instance_admin"])
    assert client.get("/api/v1/users", headers=bearer(world.tokens["administrator"])).status_code == 403
    assert client.get("/api/v1/audit", headers=bearer(world.tokens["mediator"])).status_code == 403
    made = client.post("/api/v1/users", json={"username": "newcomer", "password": "long enough pass"}, headers=admin)
    assert made.status_code == 201
    dup = client.post("/api/v1/users", json={"username": "newcomer", "password": "long enough pass"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "conflict"
    uid = made.json()["id"]
    member = client.put(
        f"/api/v1/processes/{world.process_id}/members",
        json={"username": "newcomer", "role": "party_representative", "party_id": world.party_b},
        headers=admin,
    )
    assert member.status_code == 200
    bad_role = client.put(
        f"/api/v1/processes/{world.process_id}/members", json={"username": "newcomer", "role": "king"}, headers=admin
    )
    assert bad_role.status_code == 422 and bad_role.json()["error"]["field"] == "role"
    assert client.put(f"/api/v1/users/{uid}/admin", json={"is_admin": True}, headers=admin).status_code == 200
    assert client.delete(f"/api/v1/processes/{world.process_id}/members/{uid}", headers=admin).status_code == 204
    actions = _audit_actions(client, world)
    assert {"user.created", "membership.added", "user.admin_changed", "membership.removed"} <= set(actions)
    export = client.get(f"/api/v1/processes/{world.process_id}/notes/export", headers=bearer(world.tokens["mediator"]))
    assert export.status_code == 200
    assert "notes.exported" in _audit_actions(client, world)


def test_pages_render_for_a_signed_in_administrator(client: TestClient, world: World) -> None:
    sign_in(client, "instance-admin-as-rep-b")
    for url in ("/processes", f"/processes/{world.process_id}", "/account", "/admin/users", "/admin/audit"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "<main" in page.text and "cdn" not in page.text.lower()
    note = client.get(f"/processes/{world.process_id}/notes/{world.notes['party_b']}")
    assert note.status_code == 200 and "secret words of party_b" in note.text
    hidden = client.get(
        f"/processes/{world.process_id}/notes/{world.notes['party_a']}", headers={"Accept": "text/html"}
    )
    assert hidden.status_code == 404 and "secret words" not in hidden.text


def test_only_failed_tokens_count_towards_the_token_rate_limit(
    app: FastAPI, client: TestClient, world: World, clock: FakeClock
) -> None:
    from datetime import timedelta

    from detente.services.rate_limits import SharedRateLimiter

    app.state.ctx.token_limiter = SharedRateLimiter(app.state.ctx.db, "token", 3, timedelta(minutes=1), clock)
    good = bearer(world.tokens["mediator"])
    # A script with a valid token is never throttled by the bad-token limiter.
    assert {client.get("/api/v1/processes", headers=good).status_code for _ in range(10)} == {200}
    # Three wrong tokens are answered 401; the fourth attempt from that address is refused outright.
    statuses = [client.get("/api/v1/processes", headers=bearer(f"wrong-{i}")).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert client.get("/api/v1/processes", headers=good).status_code == 429  # the address is over the limit
    clock.advance(minutes=2)
    assert client.get("/api/v1/processes", headers=good).status_code == 200


def test_the_audit_trail_reads_as_words_not_escaped_json(client: TestClient, world: World) -> None:
    sign_in(client, "instance-admin-as-rep-b")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "<dt>scopes</dt><dd>admin, read, write</dd>" in page.text and "<dt>is admin</dt><dd>yes</dd>" in page.text
    assert "\\u" not in page.text and "&#34;" not in page.text and '{"' not in page.text
