"""One JSON error shape on every route: walk ``app.routes`` and provoke an error on each."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from web.conftest import World, bearer

JSON = {"Accept": "application/json"}


def _assert_shape(response_json: object, where: str) -> None:
    assert isinstance(response_json, dict) and set(response_json) == {"error"}, where
    error = response_json["error"]
    assert set(error) == {"code", "message", "field"}, where
    assert isinstance(error["code"], str) and error["code"], where
    assert isinstance(error["message"], str) and error["message"], where
    assert error["field"] is None or isinstance(error["field"], str), where


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def all_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every (path, methods) of the app, through included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods or ())
        elif hasattr(route, "original_router"):  # FastAPI's included router
            inner = getattr(route.include_context, "prefix", "") or ""
            yield from all_routes(route.original_router.routes, prefix + inner)


def test_every_route_answers_errors_in_one_shape(app: FastAPI, client: TestClient, world: World) -> None:
    routes = list(all_routes(app.routes))
    assert len(routes) > 30, routes
    token = bearer(world.tokens["representative_A"])
    checked = 0
    for path, methods in routes:
        for method in sorted(methods):
            where = f"{method} {path}"
            attempts = [
                (_fill(path, "0"), JSON),  # bad ids (422) or no sign-in (401)
                (_fill(path, "0"), {**JSON, **token}),
                (_fill(path, "999999"), {**JSON, **token}),  # a missing id, signed in
            ]
            errors = 0
            for url, headers in attempts:
                response = client.request(method, url, headers=headers)
                if response.status_code >= 400:
                    assert response.headers["content-type"].startswith("application/json"), where
                    _assert_shape(response.json(), where)
                    errors += 1
            # a method the route does not have is refused in the same shape
            other = "PATCH" if method != "PATCH" else "PUT"
            if not any(other in m and p == path for p, m in routes):
                response = client.request(other, _fill(path, "1"), headers=JSON)
                assert response.status_code in (401, 403, 405), where
                _assert_shape(response.json(), where)
                errors += 1
            assert errors, f"no error provoked on {where}"
            checked += 1
    assert checked >= len(routes)


def test_static_and_unknown_paths_use_the_shape(client: TestClient) -> None:
    for url in ("/static/no-such-file.css", "/no/such/page", "/api/v1/no-such-endpoint"):
        response = client.get(url, headers=JSON)
        assert response.status_code == 404
        _assert_shape(response.json(), url)
    assert any(isinstance(r, Mount) and r.path == "/static" for r in client.app.routes)  # type: ignore[attr-defined]


def test_validation_errors_name_the_field(client: TestClient, world: World) -> None:
    response = client.post(
        f"/api/v1/processes/{world.process_id}/notes",
        json={"title": "", "label": "public"},
        headers=bearer(world.tokens["mediator"]),
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "title"
    bad_label = client.post(
        f"/api/v1/processes/{world.process_id}/notes",
        json={"title": "x", "label": "secret"},
        headers=bearer(world.tokens["mediator"]),
    )
    assert bad_label.status_code == 422
    assert bad_label.json()["error"] == {
        "code": "input_error",
        "message": bad_label.json()["error"]["message"],
        "field": "label",
    }


def test_browsers_get_an_html_page_with_the_same_facts(client: TestClient, world: World) -> None:
    response = client.get("/processes/999999", headers={"Accept": "text/html", **bearer(world.tokens["mediator"])})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Not found" in response.text
    signed_out = client.get("/processes", headers={"Accept": "text/html"}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")


def test_unexpected_errors_are_500_in_the_shape(app: FastAPI, world: World) -> None:
    def boom() -> None:
        raise RuntimeError("internal detail that must not leak")

    app.add_api_route("/api/v1/boom", boom, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/boom", headers=JSON)
    assert response.status_code == 500
    _assert_shape(response.json(), "boom")
    assert "internal detail" not in response.text
