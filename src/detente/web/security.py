"""Who is asking: server-side sessions (cookie), API tokens (Bearer), CSRF tokens, and the client's address.

Sessions: the cookie holds 256 random bits; the database holds only their SHA-256 (``detente.db.web_sessions``).
The cookie is HttpOnly, SameSite=Lax, and Secure when the request came over TLS (or, from a trusted proxy, when
the proxy says so in ``X-Forwarded-Proto``). The rate limits live in the database
(:mod:`detente.services.rate_limits`), keyed on the client address of :func:`client_ip`.

CSRF: a signed-in browser's token is HMAC-SHA256(session id, "csrf") — a synchroniser token that needs no storage
and that no other site can compute, since the session id never leaves the HttpOnly cookie. Before sign-in (the
login form) a random double-submit cookie plays that role. Requests authenticated by a Bearer token carry no
ambient credential and need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response

from detente.config import Network
from detente.errors import AuthRequired, CsrfError
from detente.services import accounts
from detente.services.caller import Caller
from detente.services.context import AppContext
from detente.services.rate_limits import SharedRateLimiter

__all__ = [
    "ALL_SCOPES",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOOPBACK",
    "PRE_CSRF_COOKIE",
    "SECURE_SESSION_COOKIE",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "Principal",
    "WebContext",
    "check_csrf",
    "client_ip",
    "csrf_token_for",
    "is_secure",
    "resolve_principal",
]

SESSION_COOKIE = "detente_session"
#: the session cookie's name over HTTPS: the prefix makes browsers insist on Secure, Path=/ and no Domain, so a
#: sibling subdomain or a plain-HTTP page cannot plant or overwrite it
SECURE_SESSION_COOKIE = "__Host-detente_session"
PRE_CSRF_COOKIE = "detente_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: token scopes: read (GET), write (changes to process data), admin (accounts, audit, tokens)
ALL_SCOPES = frozenset({"read", "write", "admin"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


#: how long a browser session lasts at most, and unused, unless the settings say otherwise
DEFAULT_SESSION_TTL = timedelta(hours=12)
DEFAULT_SESSION_IDLE = timedelta(minutes=30)


@dataclass
class WebContext(AppContext):
    """The application's context plus what only HTTP needs, built once by the app factory."""

    session_ttl: timedelta = DEFAULT_SESSION_TTL
    session_idle: timedelta = DEFAULT_SESSION_IDLE
    #: the reverse proxies whose X-Forwarded-For/-Proto are believed (none: the socket peer is the client)
    trusted_proxies: tuple[Network, ...] = ()
    login_limiter: SharedRateLimiter | None = None
    password_limiter: SharedRateLimiter | None = None
    token_limiter: SharedRateLimiter | None = None


@dataclass(frozen=True)
class Principal(Caller):
    """A caller that came through the web: a browser session (with its anti-forgery token) or an API token."""

    @property
    def csrf_token(self) -> str | None:
        return csrf_token_for(self.session_id) if self.session_id else None


def csrf_token_for(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"detente csrf v1", hashlib.sha256).hexdigest()


#: what ``--behind-proxy`` trusts when no ``DETENTE_TRUSTED_PROXIES`` is set: a proxy on the same machine
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(request: Request, trusted: Sequence[Network]) -> str:
    """The client's address: the socket peer, unless the peer is a trusted proxy; then the nearest address in
    ``X-Forwarded-For`` (read from the right) that is not itself a trusted proxy. A client cannot choose its
    address by sending the header itself: from an untrusted peer the header is ignored, and through a trusted
    proxy only what that proxy appended is believed."""
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def is_secure(request: Request, trusted: Sequence[Network]) -> bool:
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return _trusted(peer, trusted) and request.headers.get("x-forwarded-proto", "").lower() == "https"


def session_cookie_name(request: Request, ctx: WebContext) -> str:
    """``__Host-detente_session`` over HTTPS, ``detente_session`` over plain HTTP (local use and tests)."""
    return SECURE_SESSION_COOKIE if is_secure(request, ctx.trusted_proxies) else SESSION_COOKIE


def set_session_cookie(
    response: Response, request: Request, ctx: WebContext, raw: str, *, lifetime: timedelta | None = None
) -> None:
    """The session cookie, living ``lifetime`` (default: the session's absolute timeout)."""
    secure = is_secure(request, ctx.trusted_proxies)
    response.set_cookie(
        SECURE_SESSION_COOKIE if secure else SESSION_COOKIE,
        raw,
        max_age=int((lifetime or ctx.session_ttl).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",  # and no Domain: both required by the __Host- prefix
    )


def delete_session_cookie(response: Response, request: Request, ctx: WebContext) -> None:
    secure = is_secure(request, ctx.trusted_proxies)
    response.delete_cookie(session_cookie_name(request, ctx), path="/", secure=secure, httponly=True)


def pre_csrf_token(request: Request) -> tuple[str, bool]:
    """The double-submit token of a signed-out browser, and whether it is new (then set the cookie)."""
    existing = request.cookies.get(PRE_CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing, False
    return secrets.token_urlsafe(32), True


def set_pre_csrf_cookie(response: Response, request: Request, ctx: WebContext, token: str) -> None:
    response.set_cookie(
        PRE_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=is_secure(request, ctx.trusted_proxies), path="/"
    )


def _principal(caller: Caller) -> Principal:
    return Principal(**{f: getattr(caller, f) for f in Caller.__dataclass_fields__})


def resolve_principal(request: Request, ctx: WebContext) -> Principal | None:
    """The principal of the request: a Bearer token (a bad one is refused outright), else the session cookie."""
    ip = client_ip(request, ctx.trusted_proxies)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthRequired("use 'Authorization: Bearer <token>'", bearer=True)
        if ctx.token_limiter is not None:  # only failed tokens count: scripts with a valid token are not throttled
            ctx.token_limiter.check(f"ip:{ip}")
        try:
            return _principal(accounts.token_caller(ctx, secret.strip(), ip=ip))
        except AuthRequired:
            if ctx.token_limiter is not None:
                ctx.token_limiter.record(f"ip:{ip}")
            raise
    raw = request.cookies.get(session_cookie_name(request, ctx))
    if not raw:
        return None
    caller = accounts.session_caller(ctx, raw, ip=ip, idle=ctx.session_idle)
    return None if caller is None else _principal(caller)


def check_csrf(request: Request, principal: Principal | None, submitted: str | None) -> None:
    """Refuse a state-changing request from a browser without the right CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    if principal is not None and principal.via == "token":
        return
    if principal is not None and principal.session_id:
        expected = csrf_token_for(principal.session_id)
    else:
        expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfError("missing or wrong CSRF token; reload the page and try again", field=CSRF_FIELD)
