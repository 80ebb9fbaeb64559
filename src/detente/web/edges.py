"""The server's edges: what every request meets before routing, parsing or authentication.

:class:`BodyLimit` refuses a request body over the limit with 413 in the project's JSON error shape — at once when
``Content-Length`` says so (the body is never read), and otherwise by counting the bytes as they stream in
(chunked or lying ``Content-Length``), answering 413 the moment the count passes the limit and telling the
application that the client went away. Multipart requests (evidence uploads) have their own, larger, limit.

:class:`MultipartGate` answers 415 to a ``multipart/form-data`` body sent to any route but those that read their own
form once the caller is known (:mod:`detente.web.multipart`), before a byte of it is read: FastAPI would parse such
a body, and Starlette spool its files, before the route's sign-in and CSRF checks ran.

:class:`SecurityHeaders` adds :func:`detente.web.headers.security_headers` to every answer that passes through it
(the error handler of last resort adds them itself, since it answers outside every middleware).

:class:`TextGuard` refuses, with 422 naming the field, a NUL character or a lone surrogate in the path, in a query
parameter, or anywhere in a JSON or URL-encoded body (``detente.text``), before routing: such text would fail in
the database. Multipart bodies are not read here (a file may hold any byte); their text fields are checked by the
storage adapter's guard.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente.errors import DetenteError, InputError, TooLarge, UnsupportedMediaType
from detente.text import first_bad_text, text_problem
from detente.web.errors import error_body
from detente.web.headers import security_headers
from detente.web.multipart import MULTIPART, takes_multipart

__all__ = ["BodyLimit", "MultipartGate", "SecurityHeaders", "TextGuard"]


class BodyLimit:
    """Pure ASGI middleware: request bodies at most ``max_bytes`` (``max_upload_bytes`` for multipart)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, headers: Headers) -> int:
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return self.max_upload_bytes if media_type == "multipart/form-data" else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers)
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)  # the body is never read
            return
        state: dict[str, Any] = {"seen": 0, "started": False, "refused": False}

        async def counted_receive() -> Message:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    state["refused"] = True
                    if not state["started"]:
                        state["started"] = True
                        await _refuse(send, limit)
                    return {"type": "http.disconnect"}  # the application stops reading and parsing here
            return message

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the 413 went out already; whatever the application says after it is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise
            # the application gave up on the body we cut off (a client-disconnect error): already answered


async def _refuse(send: Send, limit: int) -> None:
    await _send_error(send, TooLarge(f"the request body is over the limit of {limit} bytes", field="body"), close=True)


async def _send_error(send: Send, exc: DetenteError, *, close: bool = False) -> None:
    body = json.dumps(error_body(exc.code, exc.reason, exc.field)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers + _CLOSE * close})
    await send({"type": "http.response.body", "body": body})


_CLOSE = [(b"connection", b"close")]


class MultipartGate:
    """Pure ASGI middleware: a ``multipart/form-data`` body is read only by a route that takes one
    (:func:`detente.web.multipart.takes_multipart`, on the route the router chose: ``scope["route"]``). Any other
    route is answered 415 at its first attempt to read the body — for a route with form parameters, before FastAPI
    parses it and before the route's dependencies run — and not a byte of the body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _media_type(Headers(scope=scope)) != MULTIPART:
            await self.app(scope, receive, send)
            return
        state = {"checked": False, "refused": False, "started": False}

        async def gated_receive() -> Message:
            if not state["checked"]:
                state["checked"] = True
                route = scope.get("route")
                if route is None or not takes_multipart(route):
                    state["refused"] = True
                    if not state["started"]:
                        state["started"] = True
                        refusal = UnsupportedMediaType(f"this address takes no {MULTIPART} body", field="body")
                        await _send_error(send, refusal, close=True)
            if state["refused"]:
                return {"type": "http.disconnect"}  # the application stops reading here
            return await receive()

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the 415 went out already
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, gated_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise
            # the application gave up on the body it was refused (a client-disconnect error): already answered


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every answer (a header the application set wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in security_headers(scope["path"])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_FORM = "application/x-www-form-urlencoded"


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _bad_pairs(pairs: list[tuple[str, str]]) -> tuple[str, str] | None:
    for name, value in pairs:
        for text in (name, value):
            problem = text_problem(text)
            if problem is not None:
                return name, problem
    return None


def _bad_body(media_type: str, body: bytes) -> tuple[str, str] | None:
    if media_type == _FORM:
        return _bad_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON: the route answers that itself
    return first_bad_text(document)


class TextGuard:
    """Pure ASGI middleware: no NUL character or lone surrogate in the path, the query or a JSON or form body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path_problem = text_problem(scope["path"])
        found = ("path", path_problem) if path_problem is not None else None
        if found is None:
            found = _bad_pairs(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        media_type = _media_type(Headers(scope=scope))
        first: Message | None = None
        if found is None and (media_type in (_FORM, "application/json") or media_type.endswith("+json")):
            chunks: list[bytes] = []
            while True:  # the body is bounded by BodyLimit, outside this layer
                message = await receive()
                if message["type"] != "http.request":
                    first = message
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            first = first or {"type": "http.request", "body": body, "more_body": False}
            found = _bad_body(media_type, body)
        if found is not None:
            await _send_error(send, InputError(found[1], field=found[0]))
            return
        if first is None:
            await self.app(scope, receive, send)
            return
        replay: list[Message] = [first]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)
