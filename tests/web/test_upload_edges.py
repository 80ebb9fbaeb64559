"""Uploads are read only after the caller is known (ADR 0022, docs/security.md "Uploads read after the checks"), over a
real server (uvicorn in a thread of this process) and raw sockets: each refusal below is answered while the client
has sent only the request's head and the first bytes of its body, so the server did not wait for the body, and no
temporary file appears. A valid upload still works, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import select
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import starlette.formparsers
from fastapi import FastAPI
from fastapi.routing import APIRoute

from detente.db.tokens import create_token
from detente.web.multipart import takes_multipart
from web.browser_support import serve
from web.conftest import World, bearer, sign_in

MB = 1024 * 1024
BOUNDARY = "upload-edge-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
#: what the client sends before it waits: the request's head, then the start of a file part and 4 KiB of it
FIRST_FILE_BYTES = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
    "Content-Type: text/plain\r\n\r\n"
).encode() + b"x" * 4096
#: what it says it will send
DECLARED = 50 * MB
#: how long the client waits for the answer before it sends more: only a failing test waits this long
WAIT = 30


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)["error"]
        return found


def _temp_files() -> set[str]:
    """What is under this process's temporary directory (private to the test, see ``spooled``), and the files of
    this process (the server runs in one of its threads) open there, deleted ones included: a spooled upload's file
    has no name from the moment it is made."""
    root = Path(tempfile.gettempdir()).resolve()
    found = {f"dir:{entry.name}" for entry in root.iterdir()}
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith(f"{root}/"):
            found.add(f"fd:{target}")
    return found


@pytest.fixture
def spooled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Every temporary file this process makes during the test: the temporary directory is made private to it, and
    each way to make one (Starlette's form parser calls ``SpooledTemporaryFile``, which calls ``TemporaryFile`` when
    it grows past 1 MiB) is recorded."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    made: list[str] = []

    def spy(module: Any, name: str) -> None:
        original = getattr(module, name)

        def record(*args: Any, **kwargs: Any) -> Any:
            made.append(f"{module.__name__}.{name}")
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, record)

    spy(starlette.formparsers, "SpooledTemporaryFile")
    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        spy(tempfile, name)
    return made


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _open(url: str, path: str, headers: dict[str, str], *, declared: int = DECLARED) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Type: {MULTIPART}",
        f"Content-Length: {declared}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _read_answer(sock: socket.socket) -> Answer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection without an answer"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(int(lines[0].split()[1]), headers, body[:length])


def _answered_early(url: str, path: str, headers: dict[str, str], first: bytes = FIRST_FILE_BYTES) -> Answer:
    """Send the head and ``first`` (a few KiB of a 50 MB body), then wait for the answer without sending more: a
    server that waited for the body would never answer (the wait's bound only ends a failing test)."""
    before = _temp_files()
    sock = _open(url, path, headers)
    try:
        sock.sendall(first)
        ready, _, _ = select.select([sock], [], [], WAIT)
        assert ready, f"{path}: no answer while the body was still owed"
        answer = _read_answer(sock)
    finally:
        sock.close()
    assert _temp_files() <= before, f"{path}: a temporary file appeared"
    return answer


def _session(url: str, who: str) -> tuple[str, str]:
    """A signed-in browser's session cookie and CSRF token, got from the real server."""
    with httpx.Client(base_url=url) as client:
        csrf = sign_in(client, who)  # type: ignore[arg-type]
        cookie = client.cookies.get("detente_session")
    assert cookie
    return f"detente_session={cookie}", csrf


def _paths(w: World) -> tuple[str, str]:
    base = f"/processes/{w.process_id}/verification/reports"
    return f"/api/v1{base}", base


def test_an_unauthenticated_upload_is_refused_before_its_body(server: str, world: World, spooled: list[str]) -> None:
    api, page = _paths(world)
    answer = _answered_early(server, api, {})
    assert answer.status == 401 and answer.error()["code"] == "unauthorized"
    answer = _answered_early(server, page, {"Accept": "text/html"})
    assert answer.status == 303 and answer.headers["location"].startswith("/login")
    answer = _answered_early(server, page, {})
    assert answer.status == 401
    bad_token = _answered_early(server, api, {"Authorization": "Bearer not-a-token"})
    assert bad_token.status == 401
    assert spooled == []


def test_a_session_without_the_csrf_token_is_refused_before_the_files(
    server: str, world: World, spooled: list[str]
) -> None:
    api, page = _paths(world)
    cookie, csrf = _session(server, "observer")
    # the API wants the header; the page, the header or the form's token before its first file
    assert _answered_early(server, api, {"Cookie": cookie}).status == 403
    refused = _answered_early(server, page, {"Cookie": cookie})
    assert refused.status == 403 and refused.error()["field"] == "csrf_token"
    wrong = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nnot-the-token\r\n'.encode()
    assert _answered_early(server, page, {"Cookie": cookie}, wrong + FIRST_FILE_BYTES).status == 403
    assert _answered_early(server, api, {"Cookie": cookie, "X-CSRF-Token": "wrong"}).status == 403
    assert csrf  # the right token is shown to work in the test of a valid upload
    assert spooled == []


def test_a_caller_who_may_not_file_is_refused_before_the_body(
    app: FastAPI, server: str, world: World, spooled: list[str]
) -> None:
    api, _ = _paths(world)
    ctx = app.state.ctx
    with ctx.db.transaction() as s:
        read_only = create_token(s, world.users["observer"], "ro", ["read"], clock=ctx.clock).secret
    assert _answered_early(server, api, bearer(read_only)).status == 403  # the token lacks 'write'
    assert _answered_early(server, api, bearer(world.tokens["viewer"])).status == 403  # a role that creates nothing
    outsider = _answered_early(server, api, bearer(world.tokens["non_member"]))
    assert outsider.status == 404  # the one answer for a process one may not know of
    missing = f"/api/v1/processes/{world.process_id + 999}/verification/reports"
    assert _answered_early(server, missing, bearer(world.tokens["observer"])).status == 404
    assert spooled == []


def test_no_other_route_reads_a_multipart_body(server: str, world: World, spooled: list[str]) -> None:
    """Routes with form or JSON parameters would have their body parsed before their checks: 415 instead."""
    cookie, csrf = _session(server, "mediator")
    pid = world.process_id
    for path, headers in [
        ("/login", {}),
        (f"/processes/{pid}/notes", {"Cookie": cookie, "X-CSRF-Token": csrf}),
        (f"/processes/{pid}/notes", {"Cookie": cookie}),
        (f"/api/v1/processes/{pid}/notes", bearer(world.tokens["mediator"])),
        (f"/processes/{pid}/verification/keys/1/revoke", {"Cookie": cookie}),  # reads no form: CSRF is not skipped
    ]:
        answer = _answered_early(server, path, headers)
        assert answer.status == 415, (path, answer.body)
        assert answer.error() == {"code": "unsupported_media_type", "message": answer.error()["message"],
                                  "field": "body"}  # fmt: skip
    assert spooled == []


def _body(fields: list[tuple[str, str]], files: list[tuple[str, bytes]]) -> bytes:
    out = b""
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for filename, data in files:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n\r\n'
        out += head.encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def test_a_valid_upload_works_through_the_api_and_the_page(server: str, world: World, spooled: list[str]) -> None:
    """On both databases; the files (one over the 1 MiB a spooled file keeps in memory) are read into memory
    within their limits, so not even a valid upload writes a temporary file."""
    api, page = _paths(world)
    big = b"observation log line\n" * (2 * MB // 21)
    before = _temp_files()
    fields = [("narrative", "Crossing open at 08:05."), ("label", "all_parties"), ("place", "Crossing 3")]
    with httpx.Client(base_url=server, timeout=60) as client:
        made = client.post(
            api,
            content=_body(fields, [("log.txt", big), ("note.txt", b"212 people\n")]),
            headers={**bearer(world.tokens["observer"]), "Content-Type": MULTIPART},
        )
        assert made.status_code == 201, made.text
        assert [e["size"] for e in made.json()["evidence"]] == [len(big), 11]
        csrf = sign_in(client, "observer")  # type: ignore[arg-type]
        filed = client.post(
            page,
            content=_body([("csrf_token", csrf), *fields], [("log.txt", big)]),
            headers={"Content-Type": MULTIPART, "Accept": "text/html"},
            follow_redirects=False,
        )
        assert filed.status_code == 303, filed.text
        assert "done=report_filed" in filed.headers["location"]
        shown = client.get(filed.headers["location"].split("?")[0], headers={"Accept": "text/html"})
        assert shown.status_code == 200 and "log.txt" in shown.text
        # the token may also come after the text fields, as long as it precedes the files
        later = client.post(
            page,
            content=_body([*fields, ("csrf_token", csrf)], [("log.txt", b"short\n")]),
            headers={"Content-Type": MULTIPART},
            follow_redirects=False,
        )
        assert later.status_code == 303, later.text
    assert _temp_files() <= before
    assert spooled == []


def test_the_form_limits_hold_while_the_body_streams(server: str, world: World) -> None:
    api, _ = _paths(world)
    token = bearer(world.tokens["observer"])
    fields = [("narrative", "n"), ("label", "all_parties")]
    # a file over the 20 MiB evidence limit is refused when it passes the limit, not after the whole body
    head = _body(fields, [])[: -len(f"--{BOUNDARY}--\r\n")]
    head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n\r\n'.encode()
    sock = _open(server, api, token, declared=len(head) + 40 * MB)
    sent = 0
    try:
        try:
            sock.sendall(head)
            while sent < 40 * MB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"x" * MB)
                sent += MB
        except OSError:
            pass  # the server answered and closed the connection between two pieces
        answer = _read_answer(sock)
    finally:
        sock.close()
    assert answer.status == 413 and answer.error()["field"] == "files", answer.body
    assert "big.pdf" in answer.error()["message"]
    assert sent < 40 * MB
    # a sixth named file is refused at its part's head
    six = _body(fields, [(f"f{i}.txt", b"x\n") for i in range(6)])
    with httpx.Client(base_url=server) as client:
        many = client.post(api, content=six, headers={**token, "Content-Type": MULTIPART})
        assert many.status_code == 422 and many.json()["error"]["field"] == "files", many.text
        # the text fields are validated like a form's parameters, naming the field
        empty = _body([("narrative", ""), ("label", "all_parties")], [])
        bad = client.post(api, content=empty, headers={**token, "Content-Type": MULTIPART})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "narrative", bad.text
        # a report without files may still be a URL-encoded form
        plain = client.post(api, data={"narrative": "n", "label": "all_parties"}, headers=token)
        assert plain.status_code == 201, plain.text
        json_body = client.post(api, json={"narrative": "n", "label": "all_parties"}, headers=token)
        assert json_body.status_code == 415, json_body.text


def test_only_routes_that_read_their_own_form_take_multipart(app: FastAPI) -> None:
    """A route that takes multipart declares no body parameter (FastAPI would read it before the checks), and it
    documents its body: the text fields and the files."""
    spec = app.openapi()
    uploads = [r for r in _api_routes(app) if takes_multipart(r)]
    assert {r.path for r in uploads} == {
        "/api/v1/processes/{process_id}/verification/reports",
        "/processes/{process_id}/verification/reports",
    }
    for route in uploads:
        assert route.body_field is None, route.path
    body = spec["paths"]["/api/v1/processes/{process_id}/verification/reports"]["post"]["requestBody"]
    multipart = body["content"]["multipart/form-data"]["schema"]
    assert set(multipart["required"]) == {"narrative", "label"}
    assert multipart["properties"]["files"]["maxItems"] == 5
    assert multipart["properties"]["narrative"]["maxLength"] == 20_000
    assert "files" not in body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route of the application, those of included routers too (FastAPI 0.16x keeps an included router whole;
    before, ``app.routes`` listed each of its routes)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [c.route for c in iter_route_contexts(app.router.routes) if isinstance(c.route, APIRoute)]
