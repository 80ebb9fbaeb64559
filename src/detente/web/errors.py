"""One JSON error shape for every error of the web application, mapped once from the error tree.

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

from detente.errors import AuthRequired, DetenteError, NotFoundError, SecondFactorRequired
from detente.services.authz import NOT_FOUND, hidden
from detente.web.headers import security_headers

__all__ = ["error_body", "install_error_handlers", "not_found"]

log = logging.getLogger("detente.web")


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
    return hidden()


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def _headers(exc: DetenteError) -> dict[str, str] | None:
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, AuthRequired) and exc.bearer:
        headers["WWW-Authenticate"] = "Bearer"
    return headers or None


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
        if code == SecondFactorRequired.code:
            return RedirectResponse("/account/second-factor", status_code=303)
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            principal = _principal(request)
            context = {"status": status, "code": code, "message": message, "field": field, "user": principal,
                       "csrf_token": principal.csrf_token if principal is not None else None}  # fmt: skip
            page: Response = templates.TemplateResponse(
                request, "error.html", context, status_code=status, headers=headers
            )
            return page
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


def _principal(request: Request) -> Any:
    """The signed-in person, so that an error page keeps the navigation (they are not signed out by a 404); None
    when the request carries no session or resolving it fails (the page is still shown, without the navigation)."""
    from detente.web.deps import maybe_principal

    try:
        return maybe_principal(request)
    except Exception:  # an error page must render whatever went wrong before it (the database, too)
        return None


async def _detente_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DetenteError)
    status = exc.status  # each class of the tree states its own status: no isinstance chain to get out of order
    if status >= 500:
        log.error("server error on %s %s: %s", request.method, request.url.path, exc)
        message = "the server could not complete the request"
    else:
        message = exc.reason
    return _respond(request, status, exc.code, message, exc.field, _headers(exc))


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
    # answered by the outermost layer, outside the middleware that adds the security headers: add them here
    headers = dict(security_headers(request.url.path))
    return _respond(request, 500, "internal_error", "the server could not complete the request", None, headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DetenteError, _detente_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
