"""FastAPI dependencies: the context, the principal, and the guards every router installs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from detente.errors import AccessDenied, AuthRequired, SecondFactorRequired, UnsupportedMediaType
from detente.web.multipart import MULTIPART, URLENCODED, takes_multipart
from detente.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    Principal,
    WebContext,
    check_csrf,
    resolve_principal,
)

__all__ = [
    "ENROLMENT_PATHS",
    "Ctx",
    "MaybeUser",
    "User",
    "api_guard",
    "get_ctx",
    "maybe_principal",
    "page_guard",
    "require_principal",
]

#: what an account held to setting up a second factor may still reach: the set-up itself, who am I, sign out
ENROLMENT_PATHS = ("/account/second-factor", "/api/v1/account/second-factor", "/api/v1/me", "/logout")


def get_ctx(request: Request) -> WebContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, WebContext)
    return ctx


def maybe_principal(request: Request) -> Principal | None:
    """The principal, resolved once per request."""
    if not hasattr(request.state, "principal"):
        request.state.principal = resolve_principal(request, get_ctx(request))
    principal = request.state.principal
    assert principal is None or isinstance(principal, Principal)
    return principal


def require_principal(request: Request) -> Principal:
    principal = maybe_principal(request)
    if principal is None:
        raise AuthRequired("sign in first")
    return principal


def _hold_for_enrolment(request: Request, principal: Principal | None) -> None:
    """An account that ``DETENTE_REQUIRE_SECOND_FACTOR`` covers and that has no second factor yet reaches only its
    set-up (:data:`ENROLMENT_PATHS`): anything else is 403 ``second_factor_required`` (pages: a redirect there)."""
    if principal is None or not principal.must_enrol:
        return
    path = request.url.path
    if any(path == p or path.startswith(p + "/") for p in ENROLMENT_PATHS):
        return
    raise SecondFactorRequired(
        "set up a second factor (an authenticator app) before anything else: /account/second-factor"
    )


async def api_guard(request: Request) -> None:
    """Every /api/v1 route: a token needs 'read' to read and 'write' to change; a session needs the CSRF header
    on every state-changing request; an account held to setting up a second factor reaches only that."""
    principal = maybe_principal(request)
    if principal is None:
        return
    _hold_for_enrolment(request, principal)
    if principal.via == "token":
        needed = "write" if request.method in UNSAFE_METHODS else "read"
        if needed not in principal.scopes:
            raise AccessDenied(f"this token lacks the {needed!r} scope", field="scopes")
        return
    check_csrf(request, principal, request.headers.get(CSRF_HEADER))


async def page_guard(request: Request) -> None:
    """Every page route: a state-changing form must carry the CSRF token (form field or header); an account held to
    setting up a second factor is sent there from every other page.

    A form with files (``multipart/form-data``, which only routes that read their own form receive) is not read
    here: it needs a signed-in caller, refused at once without one, and its token is checked by
    :func:`detente.web.multipart.read_form` among the text fields that precede the first file, before any file is
    read (``request.state.form_gate``)."""
    _hold_for_enrolment(request, maybe_principal(request))
    if request.method not in UNSAFE_METHODS:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(MULTIPART):
            route = request.scope.get("route")
            if route is None or not takes_multipart(route):
                raise UnsupportedMediaType(f"this address takes no {MULTIPART} body", field="body")
            principal = require_principal(request)

            def csrf_gate(fields: Mapping[str, str]) -> None:
                check_csrf(request, principal, fields.get(CSRF_FIELD))

            request.state.form_gate = csrf_gate
            return
        if content_type.startswith(URLENCODED):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
    check_csrf(request, maybe_principal(request), submitted)


Ctx = Annotated[WebContext, Depends(get_ctx)]
MaybeUser = Annotated[Principal | None, Depends(maybe_principal)]
User = Annotated[Principal, Depends(require_principal)]
