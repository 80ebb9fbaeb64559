"""Who is asking: server-side sessions (cookie), API tokens (Bearer), CSRF tokens, and the login rate limiter.

Sessions: the cookie holds 256 random bits; the database holds only their SHA-256 (``detente.db.web_sessions``).
The cookie is HttpOnly, SameSite=Lax, and Secure when the request came over TLS (or, with ``trust_proxy``, when
the proxy says so in ``X-Forwarded-Proto``).

CSRF: a signed-in browser's token is HMAC-SHA256(session id, "csrf") — a synchroniser token that needs no storage
and that no other site can compute, since the session id never leaves the HttpOnly cookie. Before sign-in (the
login form) a random double-submit cookie plays that role. Requests authenticated by a Bearer token carry no
ambient credential and need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response

from detente.clock import Clock
from detente.errors import AuthRequired, CsrfError, RateLimited
from detente.services import accounts
from detente.services.caller import Caller
from detente.services.context import AppContext

__all__ = [
    "ALL_SCOPES",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PRE_CSRF_COOKIE",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "Principal",
    "RateLimiter",
    "WebContext",
    "check_csrf",
    "client_ip",
    "csrf_token_for",
    "is_secure",
    "resolve_principal",
]

SESSION_COOKIE = "detente_session"
PRE_CSRF_COOKIE = "detente_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: token scopes: read (GET), write (changes to process data), admin (accounts, audit, tokens)
ALL_SCOPES = frozenset({"read", "write", "admin"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RateLimiter:
    """At most ``limit`` hits per key within ``window`` (a sliding window kept in memory, per process)."""

    def __init__(self, limit: int, window: timedelta, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one hit; raise :class:`RateLimited` (with ``Retry-After``) when over the limit."""
        self._apply(key, count=True)

    def check(self, key: str) -> None:
        """Raise :class:`RateLimited` when ``key`` is over the limit, without counting a hit."""
        self._apply(key, count=False)

    def record(self, key: str) -> None:
        """Count one hit (e.g. a failed attempt) without refusing this one."""
        now = self.clock().timestamp()
        with self._lock:
            self._prune(key, now).append(now)

    def _prune(self, key: str, now: float) -> deque[float]:
        horizon = now - self.window.total_seconds()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(self._hits) > 100_000:  # bound the memory an attacker can make us hold
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > horizon}
            hits = self._hits.setdefault(key, hits)
        return hits

    def _apply(self, key: str, *, count: bool) -> None:
        now = self.clock().timestamp()
        with self._lock:
            hits = self._prune(key, now)
            if len(hits) >= self.limit:
                retry = max(1, int(hits[0] - (now - self.window.total_seconds())) + 1)
                raise RateLimited("too many attempts; try again later", retry_after=retry)
            if count:
                hits.append(now)


#: how long a browser session lasts unless the application says otherwise
DEFAULT_SESSION_TTL = timedelta(hours=12)


@dataclass
class WebContext(AppContext):
    """The application's context plus what only HTTP needs, built once by the app factory."""

    session_ttl: timedelta = DEFAULT_SESSION_TTL
    trust_proxy: bool = False
    login_limiter: RateLimiter | None = None
    token_limiter: RateLimiter | None = None


@dataclass(frozen=True)
class Principal(Caller):
    """A caller that came through the web: a browser session (with its anti-forgery token) or an API token."""

    @property
    def csrf_token(self) -> str | None:
        return csrf_token_for(self.session_id) if self.session_id else None


def csrf_token_for(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"detente csrf v1", hashlib.sha256).hexdigest()


def client_ip(request: Request, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:64]
    return request.client.host if request.client else "unknown"


def is_secure(request: Request, trust_proxy: bool) -> bool:
    if request.url.scheme == "https":
        return True
    return trust_proxy and request.headers.get("x-forwarded-proto", "").lower() == "https"


def set_session_cookie(response: Response, request: Request, ctx: WebContext, raw: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(ctx.session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_secure(request, ctx.trust_proxy),
        path="/",
    )


def pre_csrf_token(request: Request) -> tuple[str, bool]:
    """The double-submit token of a signed-out browser, and whether it is new (then set the cookie)."""
    existing = request.cookies.get(PRE_CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing, False
    return secrets.token_urlsafe(32), True


def set_pre_csrf_cookie(response: Response, request: Request, ctx: WebContext, token: str) -> None:
    response.set_cookie(
        PRE_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=is_secure(request, ctx.trust_proxy), path="/"
    )


def _principal(caller: Caller) -> Principal:
    return Principal(**{f: getattr(caller, f) for f in Caller.__dataclass_fields__})


def resolve_principal(request: Request, ctx: WebContext) -> Principal | None:
    """The principal of the request: a Bearer token (a bad one is refused outright), else the session cookie."""
    ip = client_ip(request, ctx.trust_proxy)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthRequired("use 'Authorization: Bearer <token>'", bearer=True)
        if ctx.token_limiter is not None:  # only failed tokens count: scripts with a valid token are not throttled
            ctx.token_limiter.check(ip)
        try:
            return _principal(accounts.token_caller(ctx, secret.strip(), ip=ip))
        except AuthRequired:
            if ctx.token_limiter is not None:
                ctx.token_limiter.record(ip)
            raise
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    caller = accounts.session_caller(ctx, raw, ip=ip)
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
