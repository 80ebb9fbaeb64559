"""Behaviour over HTTP that the ASVS checklist (docs/security.md) relies on and that the other web tests do not show:
markup shown as text, literal search words, no cross-origin grant, sign-in redirects within the site, sign-out on
every page, passwords taken exactly and never expiring, no account in a new installation, no TRACE, listing or
interactive docs, no credential read from the URL, fresh random session ids, bounded numbers, and uploads that
cannot run in the browser. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from consenting import decide_for
from detente.db.models import User
from support import FakeClock
from web.conftest import PASSWORD, World, bearer, sign_in

MARKUP = '<script>alert("x")</script><img src=x onerror="alert(1)">'
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def _login(client: TestClient, username: str, password: str, next_path: str | None = None) -> tuple[int, str]:
    """Post the sign-in form as a signed-out browser; the status and the redirect target."""
    client.cookies.clear()
    client.get("/login")
    data = {"username": username, "password": password, "csrf_token": client.cookies["detente_csrf"]}
    if next_path is not None:
        data["next"] = next_path
    response = client.post("/login", data=data, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


# --- V1: output encoding, injection -----------------------------------------------------------------------------------


def test_markup_in_a_record_or_a_name_is_shown_as_text(client: TestClient, world: World) -> None:
    pid = world.process_id
    made = client.post(
        f"/api/v1/processes/{pid}/notes",
        json={"title": MARKUP, "body": f'" onmouseover="alert(2) {MARKUP}', "label": "all_parties"},
        headers=bearer(world.tokens["mediator"]),
    )
    assert made.status_code == 201, made.text
    party = client.post(
        f"/api/v1/processes/{pid}/parties", json={"name": MARKUP}, headers=bearer(world.tokens["administrator"])
    )
    assert party.status_code == 201, party.text
    sign_in(client, "mediator")
    for url in (f"/processes/{pid}", f"/processes/{pid}/notes/{made.json()['id']}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, url
        assert '" onmouseover="' not in page.text, url
        assert "&lt;script&gt;alert(" in page.text, url


def test_search_words_are_matched_literally(client: TestClient, world: World) -> None:
    url = f"/api/v1/processes/{world.process_id}/notes"
    token = bearer(world.tokens["mediator"])
    assert client.get(url, params={"q": "Note "}, headers=token).json()["total"] == len(world.notes)
    # as wildcards, "of_public" would match "secret words of public" and "words%of" every note
    for words in ("%", "of_public", "words%of", "' OR '1'='1", "x' UNION SELECT title FROM notes --", '") OR 1=1 --'):
        found = client.get(url, params={"q": words}, headers=token)
        assert found.status_code == 200, words
        assert found.json()["total"] == 0, words


def test_out_of_range_numbers_are_refused_before_the_database(client: TestClient, world: World) -> None:
    token = bearer(world.tokens["mediator"])
    for url in (
        "/api/v1/processes/2147483648",
        "/api/v1/processes/99999999999999999999999",
        "/api/v1/processes/-1",
        f"/api/v1/processes/{world.process_id}/notes?limit=100000000000",
        f"/api/v1/processes/{world.process_id}/notes?offset=-5",
    ):
        response = client.get(url, headers=token)
        assert response.status_code == 422, (url, response.status_code)
        assert response.json()["error"]["code"] == "invalid_input", url


# --- V3: the browser --------------------------------------------------------------------------------------------------


def test_no_origin_is_granted_cross_origin_access(client: TestClient, world: World) -> None:
    origin = {"Origin": "https://evil.example"}
    answers = [
        client.get("/api/v1/processes", headers={**origin, **bearer(world.tokens["mediator"])}),
        client.options("/api/v1/processes", headers={**origin, "Access-Control-Request-Method": "POST"}),
        client.get("/login", headers=origin),
    ]
    for response in answers:
        assert not [h for h in response.headers if h.lower().startswith("access-control-")], response.headers


def test_sign_in_sends_the_browser_only_to_a_path_of_this_site(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    targets = {
        "https://evil.example/": "/processes",
        "//evil.example/x": "/processes",
        "/\\evil.example": "/processes",
        "javascript:alert(1)": "/processes",
        "/account": "/account",
    }
    for target, expected in targets.items():
        clock.advance(minutes=2)  # past the sign-in rate limit of the test application
        status, location = _login(client, "viewer", PASSWORD, target)
        assert (status, location) == (303, expected), target


def test_every_signed_in_page_offers_sign_out(client: TestClient, world: World) -> None:
    pid = world.process_id
    sign_in(client, "administrator")
    pages = [
        "/processes",
        f"/processes/{pid}",
        f"/processes/{pid}/notes/{world.notes['public']}",
        "/account",
        f"/processes/{pid}/verification",
        f"/processes/{pid}/cbm/catalogue",
        f"/processes/{pid}/actors",
    ]
    for url in pages:
        page = client.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 200, (url, page.status_code)
        assert re.search(r'<form[^>]*method="post"[^>]*action="/logout"', page.text), url


# --- V6: passwords and accounts ---------------------------------------------------------------------------------------


def test_a_password_is_checked_exactly_as_typed(client: TestClient, world: World, clock: FakeClock) -> None:
    password = "  Tall Ships At Dawn  "
    made = client.post(
        "/api/v1/users",
        json={"username": "exact", "password": password},
        headers=bearer(world.tokens["instance_admin"]),
    )
    assert made.status_code == 201, made.text
    for variant in (password.strip(), password.lower()):  # two failures: the test policy locks at three
        assert _login(client, "exact", variant)[0] == 401, variant
    assert _login(client, "exact", password)[0] == 303


def test_a_password_does_not_expire(client: TestClient, world: World, clock: FakeClock) -> None:
    clock.advance(days=3 * 365)
    assert _login(client, "viewer", PASSWORD) == (303, "/processes")


def test_a_new_installation_has_no_account(app: FastAPI) -> None:
    with app.state.ctx.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
    with TestClient(app) as client:
        for username, password in (("admin", "admin"), ("root", "root"), ("administrator", "password")):
            assert _login(client, username, password)[0] == 401


# --- V7, V11: session identifiers -------------------------------------------------------------------------------------


def test_each_sign_in_gets_a_new_256_bit_random_session_id(client: TestClient, world: World) -> None:
    ids = set()
    for username in ("viewer", "observer", "viewer"):
        sign_in(client, username)
        ids.add(client.cookies["detente_session"])
        client.cookies.clear()
    assert len(ids) == 3
    for raw in ids:  # secrets.token_urlsafe(32): 256 bits, 43 URL-safe characters
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", raw), raw
    issued = client.post(
        "/api/v1/tokens", json={"name": "n", "scopes": ["read"]}, headers=bearer(world.tokens["viewer"])
    )
    assert re.fullmatch(r"dtk_[A-Za-z0-9_-]{43}", issued.json()["secret"])


# --- V13: what the server does not offer ------------------------------------------------------------------------------


def test_no_trace_no_listing_no_interactive_docs_no_repository(client: TestClient, world: World) -> None:
    token = bearer(world.tokens["mediator"])
    for url in ("/", "/login", "/api/v1/me"):
        assert client.request("TRACE", url, headers=token).status_code == 405, url
    for url in ("/static/", "/static", "/docs", "/redoc", "/docs/oauth2-redirect", "/.git/HEAD", "/.git/config"):
        assert client.get(url, headers=token).status_code == 404, url
    assert client.get("/openapi.json").status_code == 200  # the API's description is published on purpose


# --- V14: credentials only in headers and bodies ----------------------------------------------------------------------


def test_credentials_in_the_url_are_not_accepted(client: TestClient, world: World) -> None:
    secret = world.tokens["mediator"]
    for params in ({"access_token": secret}, {"token": secret}, {"authorization": f"Bearer {secret}"}):
        assert client.get("/api/v1/me", params=params).status_code == 401, params
    sign_in(client, "mediator")
    session = client.cookies["detente_session"]
    client.cookies.clear()
    assert client.get("/api/v1/me", params={"detente_session": session}).status_code == 401


# --- V1.3.4, V3.2.1: uploads ------------------------------------------------------------------------------------------


def test_an_uploaded_svg_is_served_as_an_attachment_that_cannot_run(client: TestClient, world: World) -> None:
    pid = world.process_id
    base = f"/api/v1/processes/{pid}/verification"
    commitment = {
        "title": "Open crossing 3",
        "text": "Crossing 3 opens daily for civilians.",
        "parties": ["Party A", "Party B"],
        "category": "humanitarian_access",
        "schedule": {"deadline": "2020-01-10"},
        "methods": ["third_party_observer"],
        "verifier": "Joint monitoring team",
        "label": "all_parties",
    }
    proposed = client.post(f"{base}/commitments", json=commitment, headers=bearer(world.tokens["mediator"]))
    assert proposed.status_code == 201, proposed.text
    cid = decide_for(client.app.state.ctx, pid, proposed.json()["id"]).id  # type: ignore[attr-defined]
    form = {"narrative": "A drawing of the crossing.", "label": "all_parties", "commitment_id": str(cid)}
    observer = bearer(world.tokens["observer"])
    named_svg = client.post(
        f"{base}/reports", data=form, files=[("files", ("crossing.svg", SVG, "image/svg+xml"))], headers=observer
    )
    assert named_svg.status_code == 422 and named_svg.json()["error"]["field"] == "filename"
    report = client.post(
        f"{base}/reports", data=form, files=[("files", ("crossing", SVG, "image/svg+xml"))], headers=observer
    )
    assert report.status_code == 201, report.text
    sha = report.json()["evidence"][0]["sha256"]
    sign_in(client, "analyst")
    got = client.get(f"/processes/{pid}/verification/reports/{report.json()['id']}/evidence/{sha}")
    assert got.status_code == 200 and got.content == SVG
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert "default-src 'none'" in got.headers["content-security-policy"]
