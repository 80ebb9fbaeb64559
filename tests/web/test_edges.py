"""The server's edges over a real server (uvicorn in a thread of this process): oversized bodies refused with 413
before parsing and before sign-in, with little memory spent on them."""

from __future__ import annotations

import json
import re
import select
import socket
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.config import Settings
from detente.web.app import create_app
from detente.web.verification.uploads import MAX_REQUEST_BYTES
from web.browser_support import serve
from web.conftest import World, bearer, sign_in

MB = 1024 * 1024
CHUNK = b"x" * MB
#: a megabyte of form fields small enough for the form parser's own caps (1 MiB a field, 1000 fields)
FORM_CHUNK = (b"f=" + b"x" * 4093 + b"&") * 256


def _rss() -> int:
    """Resident memory of this process (the server runs in one of its threads), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _send(url: str, path: str, content_type: str, total: int, *, chunked: bool) -> tuple[int, dict[str, object], int]:
    """POST *total* bytes (declared, or chunked) until the server answers; the status, the JSON body and the bytes
    sent before the answer came."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n{framing}\r\n\r\n"
    sock.sendall(head.encode())
    if content_type.startswith("multipart/"):  # one evidence file part, then its bytes
        part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n'
        sock.sendall((b"%x\r\n" % len(part)) + part + b"\r\n" if chunked else part)
    sent = 0
    filler = FORM_CHUNK if content_type.startswith("application/x-www-form-urlencoded") else CHUNK
    try:
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer is here: stop sending
            piece = (b"%x\r\n" % len(filler)) + filler + b"\r\n" if chunked else filler
            sock.sendall(piece)
            sent += len(filler)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection after answering
    data = b""
    while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head_text, _, body = data.partition(b"\r\n\r\n")
    status = int(head_text.split()[1])
    return status, json.loads(body[: _length(data)]), sent


def _length(data: bytes) -> int:
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":", 1)[1])
    return 0


@pytest.fixture
def sqlite_app(workspace: Path) -> FastAPI:
    return create_app(Settings(workspace=workspace))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/processes", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
        ("/api/v1/processes/1/verification/reports", "multipart/form-data; boundary=b"),
    ],
    ids=["json", "form", "multipart"],
)
def test_a_200_mb_body_without_signing_in_is_refused_fast_and_cheaply(
    sqlite_app: FastAPI, path: str, content_type: str, chunked: bool
) -> None:
    with serve(sqlite_app) as url:
        _send(url, "/api/v1/processes", "application/json", 10, chunked=False)  # warm the server up
        before = _rss()
        status, body, sent = _send(url, path, content_type, 200 * MB, chunked=chunked)
        grown = _rss() - before
    if content_type.startswith("multipart/") and chunked:
        # no length to refuse at once: the upload route asks who is sending before it reads a byte of the body
        assert status == 401 and body["error"]["code"] == "unauthorized", body  # type: ignore[index]
        assert sent < 20 * MB
    else:
        assert status == 413
        assert body["error"] == {"code": "too_large", "message": body["error"]["message"], "field": "body"}  # type: ignore[index]
        assert "over the limit" in str(body["error"])
    assert sent < 150 * MB  # the answer came before the body was through (how fast is not a test's to time)
    assert grown < 40 * MB, f"server memory grew by {grown // MB} MB"


def test_the_limits_are_settings_and_the_upload_limit_fits_the_evidence_rule(workspace: Path) -> None:
    assert Settings().max_upload_bytes == MAX_REQUEST_BYTES
    assert Settings().max_json_bytes == 2 * MB
    app = create_app(Settings(workspace=workspace, max_json_bytes=4096))
    with serve(app) as url:
        status, _, _ = _send(url, "/api/v1/processes", "application/json", 5 * 1024, chunked=False)
        assert status == 413
        status, _, _ = _send(url, "/api/v1/processes", "application/json", 2048, chunked=False)
        assert status in (401, 422)  # under the limit: on to parsing and the sign-in check
        status, _, _ = _send(url, "/api/v1/processes", "application/json", 5 * 1024 * 1024, chunked=True)
        assert status == 413


# --- security headers ------------------------------------------------------------------------------------------------


def _assert_security_headers(headers: Mapping[str, str], *, cached: bool, where: str) -> None:
    csp = headers.get("content-security-policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert headers.get("x-frame-options") == "DENY", where
    if cached:
        assert "no-store" not in headers.get("cache-control", ""), where
    else:
        assert headers.get("cache-control") == "no-store", where


def test_every_kind_of_answer_carries_the_security_headers(app: FastAPI, world: World) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom-for-test", boom)
    user = bearer(world.tokens["mediator"])
    html = {"Accept": "text/html"}
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = {
            "login page": client.get("/login", headers=html),
            "API answer": client.get(f"/api/v1/processes/{world.process_id}", headers=user),
            "API 401": client.get("/api/v1/processes"),
            "404 page": client.get("/no-such-page", headers=html),
            "413": client.post("/api/v1/processes", content=b"x" * (3 * MB), headers=user),
            "500": client.get("/boom-for-test"),
            "OpenAPI": client.get("/openapi.json"),
        }
        sign_in(client, "mediator")
        answers["signed-in page"] = client.get(f"/processes/{world.process_id}", headers=html)
        static = client.get("/static/app.css")
    expected = {"413": 413, "500": 500, "API 401": 401, "404 page": 404}
    for where, response in answers.items():
        assert response.status_code == expected.get(where, 200), where
        _assert_security_headers(response.headers, cached=False, where=where)
    assert static.status_code == 200
    _assert_security_headers(static.headers, cached=True, where="static")


def test_no_template_has_an_inline_style_script_or_handler() -> None:
    templates = Path(create_app.__code__.co_filename).parent / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"\sstyle\s*=", text), path.name
        assert not re.search(r"\son[a-z]+\s*=", text), path.name
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), path.name


# --- absolute URLs ---------------------------------------------------------------------------------------------------


def test_a_spoofed_host_header_appears_in_no_page(app: FastAPI, world: World) -> None:
    spoofed = "evil.example"
    headers = {"Host": spoofed, "Accept": "text/html"}
    with TestClient(app, base_url=f"http://{spoofed}") as client:
        pages = [client.get("/login", headers=headers), client.get("/no-such-page", headers=headers)]
        sign_in(client, "mediator")
        for path in ("/processes", f"/processes/{world.process_id}", f"/processes/{world.process_id}/verification"):
            pages.append(client.get(path, headers=headers))
    for page in pages:
        assert spoofed not in page.text, page.url
        assert spoofed not in page.headers.get("location", ""), page.url
    assert 'href="/static/app.css"' in pages[0].text  # relative, with no base URL configured


def test_a_configured_base_url_makes_the_absolute_links(workspace: Path) -> None:
    app = create_app(Settings(workspace=workspace, base_url="https://detente.example.org/"))
    with TestClient(app, base_url="http://evil.example") as client:
        page = client.get("/login", headers={"Accept": "text/html"})
    assert 'href="https://detente.example.org/static/app.css"' in page.text
    assert "evil.example" not in page.text
    with pytest.raises(ValueError):
        Settings(base_url="javascript:alert(1)")
