"""Every JSON route of the API declares a typed response model, so ``/openapi.json`` documents what it answers
(schemathesis then checks the answers against it, ``test_schemathesis.py``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from web.test_error_shape import all_routes

#: routes that answer files, not JSON (their content types are documented instead)
FILES = {
    "/api/v1/events/export.csv",
    "/api/v1/events/export.geojson",
    "/api/v1/processes/{process_id}/actors/export",
}


def _api_routes(app: FastAPI) -> list[APIRoute]:
    out: list[APIRoute] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                out.append(route)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(list(app.routes))
    return [r for r in out if r.path.startswith("/api/")]


def test_every_json_route_has_a_response_model(app: FastAPI) -> None:
    routes = _api_routes(app)
    assert len(routes) > 45
    missing = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if r.path not in FILES and r.status_code != 204 and r.response_model is None
    ]
    assert not missing, "\n".join(missing)
    schema = app.openapi()
    for r in routes:
        if r.path in FILES or r.status_code == 204:
            continue
        for method in r.methods:
            op = schema["paths"][r.path][method.lower()]
            ok = op["responses"][str(r.status_code or 200)]
            assert "schema" in ok["content"][next(iter(ok["content"]))], (method, r.path)
    assert len(list(all_routes(app.routes))) > len(routes)  # pages are not in the schema
