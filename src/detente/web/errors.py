"""One JSON error shape for every error of the web application, and the web layer's own errors.

Shape: ``{"error": {"code": "<machine code>", "message": "<human text>", "field": "<input field or null>"}}``.
Pages asked for by a browser (``Accept: text/html``, outside ``/api/``) get the same facts as an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente.access import NOT_FOUND
from detente.errors import ConfigError, ConflictError, DetenteError, InputError, NotFoundError, StoreError

__all__ = [
    "AuthRequired",
    "CsrfError",
    "Forbidden",
    "RateLimited",
    "WebError",
    "error_body",
    "install_error_handlers",
    "not_found",
]

log = logging.getLogger("detente.web")


class WebError(DetenteError):
    """An error of the web layer (a subclass of :class:`detente.errors.DetenteError`) with its HTTP status."""

    status: int = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.headers = headers or {}


class AuthRequired(WebError):
    status = 401
    code = "unauthorized"


class Forbidden(WebError):
    status = 403
    code = "forbidden"


class CsrfError(Forbidden):
    code = "csrf_failed"


class RateLimited(WebError):
    status = 429
    code = "rate_limited"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
}


def not_found() -> NotFoundError:
    """The one answer for a missing thing and for a thing the caller may not know exists (same words)."""
    return NotFoundError(NOT_FOUND)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def _status_of(exc: DetenteError) -> int:
    if isinstance(exc, WebError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, StoreError | ConfigError):
        return 500
    return 400


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def _respond(
    request: Request, status: int, code: str, message: str, field: str | None, headers: dict[str, str] | None = None
) -> Response:
    if _wants_html(request):
        if status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            context = {"status": status, "code": code, "message": message, "field": field}
            page: Response = templates.TemplateResponse(
                request, "error.html", context, status_code=status, headers=headers
            )
            return page
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


async def _detente_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DetenteError)
    status = _status_of(exc)
    if status >= 500:
        log.error("server error on %s %s: %s", request.method, request.url.path, exc)
        message = "the server could not complete the request"
    else:
        message = exc.reason if isinstance(exc, InputError) else str(exc)
    field = getattr(exc, "field", None)
    headers = exc.headers if isinstance(exc, WebError) else None
    return _respond(request, status, exc.code, message, field, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error" if exc.status_code < 500 else "internal_error")
    message = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
    return _respond(request, exc.status_code, code, message, None, dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
    field = ".".join(loc) or None
    message = str(first.get("msg", "invalid request"))
    return _respond(request, 422, "invalid_input", message, field)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, 500, "internal_error", "the server could not complete the request", None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DetenteError, _detente_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
