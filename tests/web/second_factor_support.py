"""Driving the second factor from a test as a person with an authenticator app would: the code is computed here,
with ``cryptography``'s TOTP, from the secret the server showed — not read from the server."""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from fastapi.testclient import TestClient

from web.conftest import PASSWORD

__all__ = ["CODE_PAGE", "app_code", "code_step", "enrol", "password_step", "sign_in_with_code"]


def app_code(secret: str, now: datetime, *, steps: int = 0) -> str:
    """What an authenticator app holding ``secret`` (base32) shows at ``now`` shifted by ``steps`` of 30 s."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(key, 6, SHA1(), 30).generate(int(now.timestamp()) + 30 * steps).decode("ascii")


def enrol(client: TestClient, csrf: str, now: datetime) -> tuple[str, list[str]]:
    """Set up the signed-in account's authenticator through the API; returns the secret and the recovery codes."""
    started = client.post("/api/v1/account/second-factor", headers={"X-CSRF-Token": csrf})
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    confirmed = client.post(
        "/api/v1/account/second-factor/confirm", json={"code": app_code(secret, now)}, headers={"X-CSRF-Token": csrf}
    )
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


#: where the login form sends an account with a second factor
CODE_PAGE = "/login/code?next=/processes"


def password_step(client: TestClient, username: str, password: str = PASSWORD) -> tuple[int, str]:
    """Post the login form; returns the status and where a redirect leads (:data:`CODE_PAGE` for an account with
    a second factor, ``/processes`` for one without)."""
    client.get("/login")
    data = {"username": username, "password": password, "csrf_token": client.cookies.get("detente_csrf", "")}
    response = client.post("/login", data=data, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


def code_step(client: TestClient, code: str) -> tuple[int, str]:
    """Post the code form; returns the status and where a redirect leads."""
    data = {"code": code, "csrf_token": client.cookies.get("detente_csrf", ""), "next": "/processes"}
    response = client.post("/login/code", data=data, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


def sign_in_with_code(client: TestClient, username: str, code: str) -> str:
    """Both steps; returns the CSRF token of the new session."""
    assert password_step(client, username) == (303, CODE_PAGE)
    status, where = code_step(client, code)
    assert (status, where) == (303, "/processes")
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    csrf: str = me.json()["csrf_token"]
    return csrf
