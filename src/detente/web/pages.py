"""Server-rendered pages: sign-in, processes, a process (parties, members, notes), account, administration.

Every state-changing form posts a CSRF token (checked by :func:`detente.web.deps.page_guard`) and redirects
(post/redirect/get) with a fixed message code, never with text taken from the request.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from detente.errors import InputError
from detente.services import accounts
from detente.services import audit as audit_svc
from detente.services import notes as notes_svc
from detente.services import processes as process_svc
from detente.services.second_factor import SECOND_FACTOR_WAIT
from detente.web.deps import Ctx, MaybeUser, User, page_guard
from detente.web.security import (
    PRE_CSRF_COOKIE,
    WebContext,
    client_ip,
    delete_session_cookie,
    pre_csrf_token,
    set_pre_csrf_cookie,
    set_session_cookie,
)

__all__ = ["MESSAGES", "render", "router", "safe_next", "see", "signed_in"]

router = APIRouter(dependencies=[Depends(page_guard)], include_in_schema=False)

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]

#: the flash messages a redirect may name (``?done=<code>``)
MESSAGES = {
    "signed_out": "You are signed out.",
    "note_created": "The note is saved.",
    "note_deleted": "The note is deleted.",
    "member_set": "The membership is saved.",
    "member_removed": "The membership is removed.",
    "party_added": "The party is added.",
    "process_created": "The process is created.",
    "password_changed": "Your password is changed; other sessions were signed out.",
    "token_revoked": "The token is revoked.",
    "user_created": "The account is created.",
    "admin_changed": "Administration rights are changed.",
    "active_changed": "The account is deactivated or reactivated.",
    "second_factor_disabled": "The second factor is removed; other sessions were signed out.",
    "second_factor_reset": "The account's second factor is removed; its sessions and tokens ended.",
}


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    principal = getattr(request.state, "principal", None)
    templates = request.app.state.templates
    pre_token, new = (None, False) if principal is not None else pre_csrf_token(request)
    csrf = principal.csrf_token if principal is not None else pre_token
    done = request.query_params.get("done", "")
    full = {"user": principal, "csrf_token": csrf, "flash": MESSAGES.get(done), **context}
    response: Response = templates.TemplateResponse(request, name, full, status_code=status)
    if new and pre_token is not None:
        set_pre_csrf_cookie(response, request, request.app.state.ctx, pre_token)
    return response


def see(url: str, done: str | None = None) -> RedirectResponse:
    return RedirectResponse(url + (f"?done={done}" if done else ""), status_code=303)


def safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/processes"


@router.get("/", response_class=HTMLResponse)
def home(p: MaybeUser) -> Response:
    return see("/processes" if p else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, p: MaybeUser, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    ip = client_ip(request, ctx.trusted_proxies)
    if ctx.login_limiter is not None:  # per client address and per account, shared by every server process
        ctx.login_limiter.hit(f"ip:{ip}", f"user:{username.strip().lower()[:64]}")
    outcome = accounts.sign_in(ctx, username, password, ip=ip, ttl=ctx.session_ttl)
    if outcome.pending is not None:  # the password is right; the code comes next (the login form's CSRF cookie stays)
        response = RedirectResponse(f"/login/code?next={quote(safe_next(next))}", status_code=303)
        set_session_cookie(response, request, ctx, outcome.pending, lifetime=SECOND_FACTOR_WAIT)
        return response
    raw = outcome.session
    if raw is None:
        context = {"next": safe_next(next), "error": "Wrong username or password, or the account is locked."}
        return render(request, "login.html", context, status=401)
    return signed_in(request, ctx, raw, next)


def signed_in(request: Request, ctx: WebContext, raw: str, next: str | None) -> Response:
    """The end of a sign-in: the session cookie set, the login form's CSRF cookie gone, on to ``next``."""
    response = see(safe_next(next))
    set_session_cookie(response, request, ctx, raw)
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx, p: MaybeUser) -> Response:
    if p is not None and p.session_id:
        accounts.sign_out(ctx, p.session_id)
    response = see("/login", "signed_out")
    delete_session_cookie(response, request, ctx)
    return response


@router.get("/processes", response_class=HTMLResponse)
def processes(request: Request, ctx: Ctx, p: User) -> Response:
    return render(request, "processes.html", {"processes": process_svc.list_processes(ctx, p)})


@router.post("/processes")
def create_process(
    request: Request,
    ctx: Ctx,
    p: User,
    name: Annotated[str, Form(max_length=200)],
    parties: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    names = [line.strip() for line in parties.splitlines() if line.strip()]
    made = process_svc.create_process(ctx, p, name, description, names)
    return see(f"/processes/{made.id}", "process_created")


@router.get("/processes/{process_id}", response_class=HTMLResponse)
def process(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    view = process_svc.process_detail(ctx, p, process_id)
    per_page = 20
    found = notes_svc.list_notes(ctx, p, process_id, query=q or None, limit=per_page, offset=(page - 1) * per_page)
    parties = {party.id: party.name for party in view.parties}
    total = found.total
    context = {
        "view": view,
        "notes": found.notes,
        "total": total,
        "q": q or "",
        "page": page,
        "pages": max(1, -(-total // per_page)),
        "party_names": parties,
        "roles": ["administrator", "analyst", "mediator", "observer", "party_representative", "viewer"],
    }
    return render(request, "process.html", context)


@router.post("/processes/{process_id}/notes")
def create_note(
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    title: Annotated[str, Form(max_length=200)],
    label: Annotated[str, Form(max_length=40)],
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    note = notes_svc.create_note(ctx, p, process_id, title, body, label)
    return see(f"/processes/{process_id}/notes/{note.id}", "note_created")


@router.get("/processes/{process_id}/notes/{note_id}", response_class=HTMLResponse)
def note(request: Request, ctx: Ctx, p: User, process_id: IdPath, note_id: IdPath) -> Response:
    view = process_svc.process_detail(ctx, p, process_id)
    found = notes_svc.get_note(ctx, p, process_id, note_id)
    parties = {party.id: party.name for party in view.parties}
    return render(request, "note.html", {"view": view, "note": found, "party_names": parties})


@router.post("/processes/{process_id}/notes/{note_id}/delete")
def delete_note(request: Request, ctx: Ctx, p: User, process_id: IdPath, note_id: IdPath) -> Response:
    notes_svc.delete_note(ctx, p, process_id, note_id)
    return see(f"/processes/{process_id}", "note_deleted")


@router.post("/processes/{process_id}/members")
def set_member(
    request: Request,
    ctx: Ctx,
    p: User,
    process_id: IdPath,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=32)],
    party_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    party = _optional_int(party_id, "party_id")
    process_svc.set_member(ctx, p, process_id, username, role, party)
    return see(f"/processes/{process_id}", "member_set")


@router.post("/processes/{process_id}/members/{user_id}/remove")
def remove_member(request: Request, ctx: Ctx, p: User, process_id: IdPath, user_id: IdPath) -> Response:
    process_svc.remove_member(ctx, p, process_id, user_id)
    return see(f"/processes/{process_id}", "member_removed")


@router.post("/processes/{process_id}/parties")
def add_party(
    request: Request, ctx: Ctx, p: User, process_id: IdPath, name: Annotated[str, Form(max_length=200)]
) -> Response:
    process_svc.add_party(ctx, p, process_id, name)
    return see(f"/processes/{process_id}", "party_added")


def _optional_int(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise InputError("expected a positive whole number", field=field)
    return int(text)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, ctx: Ctx, p: User) -> Response:
    return render(request, "account.html", {"tokens": accounts.list_tokens(ctx, p), "issued": None, "error": None})


@router.post("/account/password", response_class=HTMLResponse)
def account_password(
    request: Request,
    ctx: Ctx,
    p: User,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    if ctx.password_limiter is not None:  # guesses of the current password, per account and per client address
        ctx.password_limiter.hit(f"user:{p.user_id}", f"ip:{client_ip(request, ctx.trusted_proxies)}")
    try:
        raw = accounts.change_own_password(ctx, p, current_password, new_password, ttl=ctx.session_ttl)
    except InputError as exc:
        context = {"tokens": accounts.list_tokens(ctx, p), "issued": None, "error": exc.reason}
        return render(request, "account.html", context, status=422)
    response = see("/account", "password_changed")
    set_session_cookie(response, request, ctx, raw)
    return response


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token(
    request: Request,
    ctx: Ctx,
    p: User,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[list[str], Form()],
    expires_in_days: Annotated[int, Form(ge=1, le=365)] = 90,
) -> Response:
    issued = accounts.create_token(ctx, p, name, scopes, expires_in_days=expires_in_days)
    return render(request, "account.html", {"tokens": accounts.list_tokens(ctx, p), "issued": issued, "error": None})


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(request: Request, ctx: Ctx, p: User, token_id: IdPath) -> Response:
    accounts.revoke_token(ctx, p, token_id)
    return see("/account", "token_revoked")


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, ctx: Ctx, p: User) -> Response:
    return render(request, "users.html", {"users": accounts.list_users(ctx, p)})


@router.post("/admin/users")
def admin_create_user(
    request: Request,
    ctx: Ctx,
    p: User,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    display_name: Annotated[str, Form(max_length=200)] = "",
    is_admin: Annotated[bool, Form()] = False,
) -> Response:
    accounts.create_user(ctx, p, username, password, display_name or None, is_admin)
    return see("/admin/users", "user_created")


@router.post("/admin/users/{user_id}/admin")
def admin_set_admin(
    request: Request, ctx: Ctx, p: User, user_id: IdPath, is_admin: Annotated[bool, Form()] = False
) -> Response:
    accounts.set_admin(ctx, p, user_id, is_admin)
    return see("/admin/users", "admin_changed")


@router.post("/admin/users/{user_id}/active")
def admin_set_active(
    request: Request, ctx: Ctx, p: User, user_id: IdPath, active: Annotated[bool, Form()] = False
) -> Response:
    accounts.set_active(ctx, p, user_id, active)
    return see("/admin/users", "active_changed")


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(
    request: Request,
    ctx: Ctx,
    p: User,
    action: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    events = audit_svc.list_audit(ctx, p, action=action or None, before_id=before_id, limit=100)
    return render(request, "audit.html", {"events": events, "action": action or ""})
