"""The second factor on the web: the code step of a sign-in, the set-up on the *Account* page (seed shown once as
text and as a QR code drawn here as inline SVG), recovery codes, disabling, and the administrator's reset — as pages
and as JSON routes. Every rule is in :mod:`detente.services.second_factor`; this module translates.

A half session (right password, code to come) is no principal at all: every other route treats it as signed out.
Code guesses are rate-limited like sign-ins (the login limiter, per client address and per account) and, once
signed in, like current-password checks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from detente.errors import InputError
from detente.services import accounts
from detente.services import second_factor as sf
from detente.services.second_factor import EnrolmentStart, RecoveryCodes, SecondFactorStatus
from detente.web.api import ERROR_RESPONSES
from detente.web.deps import Ctx, User, api_guard, page_guard
from detente.web.pages import render, safe_next, see, signed_in
from detente.web.security import (
    Principal,
    WebContext,
    client_ip,
    delete_session_cookie,
    session_cookie_name,
)

__all__ = ["api_router", "page_router", "qr_svg"]

page_router = APIRouter(dependencies=[Depends(page_guard)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_guard)], tags=["second factor"])

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: a code field takes this much at most before the use case reads it (it says more precisely what is wrong)
_CODE_MAX = 200


def qr_svg(uri: str) -> Markup:
    """The ``otpauth://`` URI as a QR code in inline SVG markup (segno): drawn on the server, no script, no inline
    style, nothing fetched."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="qr", title="QR code of the new authenticator secret"
    )
    return Markup(svg)  # segno's own markup, made of the encoded modules only: nothing of the request


def _limit_guesses(request: Request, ctx: WebContext, p: Principal) -> None:
    """Codes and passwords tried while signed in: the current-password limit (per account and per address)."""
    if ctx.password_limiter is not None:
        ctx.password_limiter.hit(f"user:{p.user_id}", f"ip:{client_ip(request, ctx.trusted_proxies)}")


# --- the code step of a sign-in --------------------------------------------------------------------------------------


def _pending(request: Request, ctx: WebContext) -> tuple[str, str] | None:
    raw = request.cookies.get(session_cookie_name(request, ctx))
    if not raw:
        return None
    name = sf.pending_username(ctx, raw)
    return None if name is None else (raw, name)


@page_router.get("/login/code", response_class=HTMLResponse)
def login_code_page(request: Request, ctx: Ctx, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    if _pending(request, ctx) is None:
        return see("/login")
    return render(request, "login_code.html", {"next": safe_next(next), "error": None})


@page_router.post("/login/code", response_class=HTMLResponse)
def login_code(
    request: Request,
    ctx: Ctx,
    code: Annotated[str, Form(max_length=_CODE_MAX)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    pending = _pending(request, ctx)
    if pending is None:  # none, ended (a lock-out ends it) or past its five minutes: sign in again
        return see("/login")
    raw, username = pending
    ip = client_ip(request, ctx.trusted_proxies)
    if ctx.login_limiter is not None:  # a code guess is a sign-in attempt: the same limit, the same keys
        ctx.login_limiter.hit(f"ip:{ip}", f"user:{username}")
    try:
        session = sf.finish_sign_in(ctx, raw, code, ip=ip, ttl=ctx.session_ttl)
    except InputError as exc:
        context = {"next": safe_next(next), "error": exc.reason, "field": exc.field}
        return render(request, "login_code.html", context, status=422)
    if session is None:
        context = {"next": safe_next(next), "error": "The code is wrong, was used already, or the account is locked."}
        return render(request, "login_code.html", context, status=401)
    return signed_in(request, ctx, session, next)


@page_router.post("/login/code/cancel")
def login_code_cancel(request: Request, ctx: Ctx) -> Response:
    pending = _pending(request, ctx)
    if pending is not None:
        accounts.sign_out(ctx, pending[0])
    response = see("/login")
    delete_session_cookie(response, request, ctx)
    return response


# --- the Account page's second factor ---------------------------------------------------------------------------------


def _page(request: Request, ctx: WebContext, p: Principal, status: int = 200, **context: Any) -> Response:
    full = {"factor": sf.status(ctx, p), "start": None, "qr": None, "codes": None, "error": None, "field": None}
    full.update(context)
    return render(request, "second_factor.html", full, status=status)


@page_router.get("/account/second-factor", response_class=HTMLResponse)
def second_factor_page(request: Request, ctx: Ctx, p: User) -> Response:
    return _page(request, ctx, p)


@page_router.post("/account/second-factor/start", response_class=HTMLResponse)
def second_factor_start(request: Request, ctx: Ctx, p: User) -> Response:
    start = sf.start_enrolment(ctx, p)
    return _page(request, ctx, p, start=start, qr=qr_svg(start.otpauth_uri))


@page_router.post("/account/second-factor/confirm", response_class=HTMLResponse)
def second_factor_confirm(
    request: Request, ctx: Ctx, p: User, code: Annotated[str, Form(max_length=_CODE_MAX)] = ""
) -> Response:
    try:
        codes = sf.confirm_enrolment(ctx, p, code)
    except InputError as exc:
        return _page(request, ctx, p, status=422, error=exc.reason, field=exc.field, confirming=True)
    request.state.principal = replace(p, enrolled=True, must_enrol=False)  # the page shows the account as it is now
    return _page(request, ctx, p, codes=codes.recovery_codes)


@page_router.post("/account/second-factor/recovery-codes", response_class=HTMLResponse)
def second_factor_recovery_codes(
    request: Request, ctx: Ctx, p: User, code: Annotated[str, Form(max_length=_CODE_MAX)] = ""
) -> Response:
    _limit_guesses(request, ctx, p)
    try:
        codes = sf.regenerate_recovery_codes(ctx, p, code)
    except InputError as exc:
        return _page(request, ctx, p, status=422, error=exc.reason, field=exc.field)
    return _page(request, ctx, p, codes=codes.recovery_codes)


@page_router.post("/account/second-factor/disable", response_class=HTMLResponse)
def second_factor_disable(
    request: Request,
    ctx: Ctx,
    p: User,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=_CODE_MAX)] = "",
) -> Response:
    _limit_guesses(request, ctx, p)
    try:
        sf.disable(ctx, p, current_password, code)
    except InputError as exc:
        return _page(request, ctx, p, status=422, error=exc.reason, field=exc.field)
    return see("/account/second-factor", "second_factor_disabled")


@page_router.post("/admin/users/{user_id}/second-factor/reset")
def admin_reset_second_factor(request: Request, ctx: Ctx, p: User, user_id: IdPath) -> Response:
    sf.reset(ctx, p, user_id)
    return see("/admin/users", "second_factor_reset")


# --- JSON -----------------------------------------------------------------------------------------------------------


class CodeIn(BaseModel):
    #: 6 digits from the authenticator app (or, where it is accepted, a recovery code)
    code: str = Field(max_length=_CODE_MAX)


class DisableIn(BaseModel):
    password: str = Field(max_length=1024)
    code: str = Field(max_length=_CODE_MAX)


@api_router.get("/account/second-factor", response_model=SecondFactorStatus, responses=ERROR_RESPONSES)
def api_status(ctx: Ctx, p: User) -> SecondFactorStatus:
    return sf.status(ctx, p)


@api_router.post("/account/second-factor", status_code=201, response_model=EnrolmentStart, responses=ERROR_RESPONSES)
def api_start(ctx: Ctx, p: User) -> EnrolmentStart:
    """Begin setting up an authenticator: the seed, shown once. Confirm with a code of the app."""
    return sf.start_enrolment(ctx, p)


@api_router.post("/account/second-factor/confirm", response_model=RecoveryCodes, responses=ERROR_RESPONSES)
def api_confirm(body: CodeIn, ctx: Ctx, p: User) -> RecoveryCodes:
    """Finish the set-up with a code of the app; returns the recovery codes, shown once."""
    return sf.confirm_enrolment(ctx, p, body.code)


@api_router.post("/account/second-factor/recovery-codes", response_model=RecoveryCodes, responses=ERROR_RESPONSES)
def api_recovery_codes(body: CodeIn, request: Request, ctx: Ctx, p: User) -> RecoveryCodes:
    """New recovery codes in place of all the old ones, for a good code."""
    _limit_guesses(request, ctx, p)
    return sf.regenerate_recovery_codes(ctx, p, body.code)


@api_router.post("/account/second-factor/disable", status_code=204, responses=ERROR_RESPONSES)
def api_disable(body: DisableIn, request: Request, ctx: Ctx, p: User) -> Response:
    """Remove the second factor: the current password and a good code are both needed."""
    _limit_guesses(request, ctx, p)
    sf.disable(ctx, p, body.password, body.code)
    return Response(status_code=204)


@api_router.delete("/users/{user_id}/second-factor", status_code=204, responses=ERROR_RESPONSES)
def api_reset(user_id: IdPath, ctx: Ctx, p: User) -> Response:
    """An instance administrator removes someone's second factor; their sessions and tokens end."""
    sf.reset(ctx, p, user_id)
    return Response(status_code=204)
