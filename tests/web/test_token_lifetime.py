"""API tokens (issue 12): they expire (90 days by default, at most 365), instance administrators list and revoke
anyone's, and every token of an account dies on a password change, an administrator's reset, a lock-out and a
deactivation. Each on SQLite and PostgreSQL (the ``client`` fixture runs on both)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.cli.common import open_app
from detente.db.users import create_user
from web.conftest import PASSWORD, FakeClock, World, bearer, sign_in

runner = CliRunner()
NEW_PASSWORD = "a brand new passphrase"


def _new_token(client: TestClient, owner_token: str, **extra: object) -> str:
    made = client.post(
        "/api/v1/tokens", json={"name": "script", "scopes": ["read"], **extra}, headers=bearer(owner_token)
    )
    assert made.status_code == 201, made.text
    secret: str = made.json()["secret"]
    return secret


def _alive(client: TestClient, secret: str) -> bool:
    return client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_tokens_expire_after_90_days_by_default(client: TestClient, world: World, clock: FakeClock) -> None:
    default = _new_token(client, world.tokens["analyst"])
    week = _new_token(client, world.tokens["analyst"], expires_in_days=7)
    listed = client.get("/api/v1/tokens", headers=bearer(default)).json()["tokens"]
    assert {t["state"] for t in listed} == {"active"} and all(t["expires_at"] for t in listed[1:])
    clock.advance(days=7)
    assert _alive(client, default) and not _alive(client, week)
    clock.advance(days=83)
    assert not _alive(client, default)
    too_long = client.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["read"], "expires_in_days": 366},
        headers=bearer(world.tokens["analyst"]),
    )
    assert too_long.status_code == 422


def test_password_change_kills_the_tokens(client: TestClient, world: World) -> None:
    secret = _new_token(client, world.tokens["analyst"])
    csrf = sign_in(client, "analyst")
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert not _alive(client, secret) and not _alive(client, world.tokens["analyst"])


def test_admin_reset_kills_the_tokens(client: TestClient, world: World) -> None:
    secret = _new_token(client, world.tokens["analyst"])
    reset = client.put(
        f"/api/v1/users/{world.users['analyst']}/password",
        json={"password": NEW_PASSWORD},
        headers=bearer(world.tokens["instance_admin"]),
    )
    assert reset.status_code == 204
    assert not _alive(client, secret)


def test_lock_out_kills_the_tokens(client: TestClient, world: World) -> None:
    secret = _new_token(client, world.tokens["analyst"])
    client.get("/login")
    for _ in range(3):  # the tests' policy locks after 3 failures
        client.post(
            "/login",
            data={"username": "analyst", "password": "wrong password!", "csrf_token": client.cookies["detente_csrf"]},
        )
    assert not _alive(client, secret)


def test_deactivation_kills_the_tokens(client: TestClient, world: World) -> None:
    secret = _new_token(client, world.tokens["analyst"])
    off = client.put(
        f"/api/v1/users/{world.users['analyst']}/active",
        json={"active": False},
        headers=bearer(world.tokens["instance_admin"]),
    )
    assert off.status_code == 200
    assert not _alive(client, secret)


def test_administrators_list_and_revoke_anyones_tokens(client: TestClient, world: World) -> None:
    secret = _new_token(client, world.tokens["analyst"])
    admin = bearer(world.tokens["instance_admin"])
    theirs = client.get("/api/v1/tokens", params={"user_id": world.users["analyst"]}, headers=admin).json()["tokens"]
    assert {t["username"] for t in theirs} == {"analyst"} and len(theirs) == 2
    everyone = client.get("/api/v1/tokens", params={"all": "true"}, headers=admin).json()["tokens"]
    assert len({t["username"] for t in everyone}) > 5
    newest = max(t["id"] for t in theirs)
    assert client.delete(f"/api/v1/tokens/{newest}", headers=admin).status_code == 204
    assert not _alive(client, secret)
    # a non-administrator can neither list nor revoke someone else's
    mediator = bearer(world.tokens["mediator"])
    assert client.get("/api/v1/tokens", params={"all": "true"}, headers=mediator).status_code == 403
    assert client.delete(f"/api/v1/tokens/{min(t['id'] for t in theirs)}", headers=mediator).status_code == 404
    assert _alive(client, world.tokens["analyst"])


def test_cli_lists_and_revokes_tokens(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with open_app(ws) as a, a.db.transaction() as s:
        create_user(s, "amina", PASSWORD, clock=a.clock)
    made = runner.invoke(cli, ["users", "token", "amina", "--name", "cron", "--expires-days", "30", "-w", str(ws)])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(cli, ["users", "tokens", "-w", str(ws), "--json"])
    assert '"username": "amina"' in listed.stdout and '"state": "active"' in listed.stdout
    assert runner.invoke(cli, ["users", "revoke-token", "1", "-w", str(ws)]).exit_code == 0
    assert '"state": "revoked"' in runner.invoke(cli, ["users", "tokens", "amina", "-w", str(ws), "--json"]).stdout
    too_long = runner.invoke(cli, ["users", "token", "amina", "--name", "x", "--expires-days", "400", "-w", str(ws)])
    assert too_long.exit_code == 2 and len(too_long.output.strip().splitlines()) == 1
