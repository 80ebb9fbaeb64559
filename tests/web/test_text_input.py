"""NUL characters and lone surrogates in any text — JSON strings, form fields, query filters, path segments — are
refused with 422 naming the field, before they reach the database: on SQLite and on PostgreSQL (where they used
to give HTTP 500). File contents of an upload may hold any byte."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from web.conftest import World, bearer, sign_in

NUL = "a\x00b"


def _json(client: TestClient, method: str, url: str, body: dict[str, Any], token: str) -> Any:
    return client.request(method, url, json=body, headers=bearer(token))


def _check(response: Any, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["field"] == field, error
    assert "NUL" in error["message"] or "surrogate" in error["message"], error


def test_nul_in_json_strings_is_refused_naming_the_field(client: TestClient, world: World) -> None:
    pid, token = world.process_id, world.tokens["mediator"]
    base = f"/api/v1/processes/{pid}"
    cases = [
        ("POST", "/api/v1/processes", {"name": NUL}, "name"),
        ("POST", f"{base}/parties", {"name": NUL}, "name"),
        ("PUT", f"{base}/members", {"username": NUL, "role": "viewer"}, "username"),
        ("POST", f"{base}/notes", {"title": NUL, "body": "b", "label": "public"}, "title"),
        ("POST", f"{base}/notes", {"title": "t", "body": NUL, "label": "public"}, "body"),
        ("PATCH", f"{base}/notes/{world.notes['public']}", {"body": NUL}, "body"),
        (
            "POST",
            f"{base}/verification/commitments",
            {"title": NUL, "text": "t", "parties": [world.party_a], "label": "public"},
            "title",
        ),
        (
            "POST",
            f"{base}/cbm/trust/inputs",
            {"truster": world.party_a, "trustee": world.party_b, "action": "x", "value": 0.5, "rationale": NUL},
            "rationale",
        ),
        ("POST", "/api/v1/tokens", {"name": NUL, "scopes": ["read"]}, "name"),
        (
            "POST",
            f"{base}/notes",
            {"title": "t", "body": "b", "label": "public", "extra": {"deep": [NUL]}},
            "extra.deep.0",
        ),
    ]
    for method, url, body, field in cases:
        _check(_json(client, method, url, body, token), field)


def test_lone_surrogates_in_json_are_refused(client: TestClient, world: World) -> None:
    url = f"/api/v1/processes/{world.process_id}/notes"
    raw = '{"title": "t\\ud800", "body": "b", "label": "public"}'
    response = client.post(
        url, content=raw, headers={**bearer(world.tokens["mediator"]), "Content-Type": "application/json"}
    )
    _check(response, "title")
    assert json.loads('"\\ud83d\\ude00"') == "\U0001f600"  # a proper pair is one character, and allowed
    ok = client.post(
        url, json={"title": "t \U0001f600", "body": "b", "label": "public"}, headers=bearer(world.tokens["mediator"])
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/processes/{pid}/notes?q=a%00b", "q"),
        ("/api/v1/processes/{pid}/actors?q=a%00b", "q"),
        ("/api/v1/processes/{pid}/cbm/catalogue?q=a%00b", "q"),
        ("/api/v1/audit?action=a%00b", "action"),
        ("/api/v1/processes/{pid}/verification/commitments?category=a%00b", "category"),
        ("/api/v1/events?country=a%00b", "country"),
        ("/processes/{pid}?q=a%00b", "q"),
        ("/api/v1/processes/{pid}/cbm/catalogue/a%00b", "path"),
    ],
)
def test_nul_in_query_filters_and_paths_is_refused(client: TestClient, world: World, path: str, field: str) -> None:
    response = client.get(path.format(pid=world.process_id), headers=bearer(world.tokens["mediator"]))
    _check(response, field)


def test_nul_in_form_fields_is_refused_but_not_in_file_contents(client: TestClient, world: World) -> None:
    pid = world.process_id
    csrf = sign_in(client, "mediator")
    page = client.post(
        f"/processes/{pid}/notes",
        data={"title": NUL, "body": "b", "label": "public", "csrf_token": csrf},
        headers={"Accept": "application/json"},
        follow_redirects=False,
    )
    _check(page, "title")
    url = f"/api/v1/processes/{pid}/verification/reports"
    token = bearer(world.tokens["observer"])
    form = {"narrative": NUL, "label": "public", "place": "p", "time": "2026-01-01"}
    _check(client.post(url, data=form, headers=token), "narrative")
    files = {"files": ("e.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "image/png")}
    _check(client.post(url, data=form, files=files, headers=token), "narrative")
    form["narrative"] = "a plain narrative"
    accepted = client.post(url, data=form, files=files, headers=token)
    assert accepted.status_code < 500, accepted.text
    assert accepted.status_code != 422 or accepted.json()["error"]["field"] != "files", accepted.text
