"""The application factory: the composition root of the workbench.

``create_app`` opens the application database (running its migrations), the workspace, the templates and the
static files (all served from the package: no CDN, nothing fetched at run time), and mounts the pages, the JSON
API under ``/api/v1`` (OpenAPI at ``/openapi.json``) and, when it is installed, the event explorer.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.routing import NoMatchFound

from detente import __version__
from detente.clock import Clock, system_clock
from detente.config import Network, Settings, load_settings, parse_networks
from detente.services.accounts import DEFAULT_POLICY, AccountPolicy
from detente.services.context import open_context
from detente.services.rate_limits import SharedRateLimiter
from detente.web import api, pages, second_factor
from detente.web.edges import BodyLimit, MultipartGate, SecurityHeaders, TextGuard
from detente.web.errors import install_error_handlers
from detente.web.readable import detail_lines
from detente.web.security import LOOPBACK, WebContext

__all__ = ["WebOptions", "create_app"]

HERE = Path(__file__).resolve().parent

#: the explorer's module; its ``router`` is included when present
EXPLORER_MODULE = "detente.web.explorer"


class WebOptions:
    """Knobs of the web layer that are not process-wide settings."""

    def __init__(
        self,
        *,
        trust_proxy: bool = False,
        trusted_proxies: Sequence[Network] | None = None,
        policy: AccountPolicy = DEFAULT_POLICY,
        session_ttl: timedelta | None = None,
        session_idle: timedelta | None = None,
        login_attempts_per_minute: int = 10,
        password_attempts_per_minute: int = 5,
        bad_token_attempts_per_minute: int = 600,
    ) -> None:
        #: ``--behind-proxy``: believe X-Forwarded-* from DETENTE_TRUSTED_PROXIES, or from loopback if none is set
        self.trust_proxy = trust_proxy
        #: overrides DETENTE_TRUSTED_PROXIES (tests)
        self.trusted_proxies = trusted_proxies
        self.password_attempts_per_minute = password_attempts_per_minute
        self.policy = policy
        #: the absolute and idle timeouts of browser sessions (default: DETENTE_SESSION_ABSOLUTE_HOURS, _IDLE_MINUTES)
        self.session_ttl = session_ttl
        self.session_idle = session_idle
        self.login_attempts_per_minute = login_attempts_per_minute
        self.bad_token_attempts_per_minute = bad_token_attempts_per_minute


def _url_for(base_url: str | None) -> Callable[..., str]:
    """The templates' ``url_for``: a path relative to the site (behind the ASGI root path), or an absolute URL on
    the configured ``DETENTE_BASE_URL`` — never built from the request's Host header, which the client chooses."""

    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
        request = context["request"]
        path = str(request.app.url_path_for(name, **path_params))
        if base_url is not None:
            return base_url + path
        return str(request.scope.get("root_path", "")) + path

    return url_for


def percent_class(share: float | None) -> str:
    """The CSS class ``pct-0`` … ``pct-100`` that sets a bar's width to *share* (0..1): no inline style, which the
    Content-Security-Policy forbids."""
    value = 0.0 if share is None else float(share)
    return f"pct-{max(0, min(100, round(value * 100)))}"


def _explorer_router() -> APIRouter | None:
    if importlib.util.find_spec(EXPLORER_MODULE) is None:
        return None
    router = getattr(importlib.import_module(EXPLORER_MODULE), "router", None)
    return router if isinstance(router, APIRouter) else None


def create_app(
    settings: Settings | None = None, *, clock: Clock = system_clock, options: WebOptions | None = None
) -> FastAPI:
    """Build the workbench for the settings' workspace and database (the composition root: the one place that
    chooses the clock)."""
    settings = settings if settings is not None else load_settings()
    options = options or WebOptions()
    base = open_context(settings, clock=clock, policy=options.policy)
    db = base.db
    minute = timedelta(minutes=1)
    trusted = tuple(options.trusted_proxies or parse_networks(settings.trusted_proxies))
    if options.trust_proxy and not trusted:
        trusted = LOOPBACK
    ctx = WebContext(
        db=db,
        workspace=base.workspace,
        clock=clock,
        policy=options.policy,
        second_factor_groups=base.second_factor_groups,
        session_ttl=options.session_ttl or timedelta(hours=settings.session_absolute_hours),
        session_idle=options.session_idle or timedelta(minutes=settings.session_idle_minutes),
        trusted_proxies=trusted,
        login_limiter=SharedRateLimiter(db, "login", options.login_attempts_per_minute, minute, clock),
        password_limiter=SharedRateLimiter(db, "password", options.password_attempts_per_minute, minute, clock),
        token_limiter=SharedRateLimiter(db, "token", options.bad_token_attempts_per_minute, minute, clock),
    )
    app = FastAPI(
        title="Détente workbench",
        version=__version__,
        description="Preventive diplomacy workbench: processes, roles, need-to-know records, event data.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    app.state.settings = settings
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["version"] = __version__
    templates.env.globals["url_for"] = _url_for(settings.base_url)
    templates.env.filters["pct"] = percent_class
    templates.env.filters["detail_lines"] = detail_lines
    app.state.templates = templates
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(second_factor.api_router)
    app.include_router(pages.router)
    app.include_router(second_factor.page_router)
    explorer = _explorer_router()
    templates.env.globals["explorer_url"] = None
    if explorer is not None:
        app.include_router(explorer)
        try:  # the explorer names its page route "explorer"
            templates.env.globals["explorer_url"] = app.url_path_for("explorer")
        except NoMatchFound:
            templates.env.globals["explorer_url"] = None
    if importlib.util.find_spec("detente.web.verification") is not None:  # verification pages and API (issue 5)
        app.include_router(importlib.import_module("detente.web.verification").router)
    if importlib.util.find_spec("detente.web.cbm") is not None:  # CBM pages and API (docs/cbm-pages.md)
        app.include_router(importlib.import_module("detente.web.cbm").router)
    if importlib.util.find_spec("detente.web.actors") is not None:  # the actor pages (docs/actors-pages.md)
        app.include_router(importlib.import_module("detente.web.actors").router)
    if importlib.util.find_spec("detente.web.watchlist") is not None:  # forecasts, alerts, backtest (issue 4)
        app.include_router(importlib.import_module("detente.web.watchlist").router)
    app.add_middleware(TextGuard)  # inside BodyLimit: it reads JSON and form bodies only once they are bounded
    app.add_middleware(MultipartGate)  # multipart bodies only for the routes that read them after sign-in
    # the outer layers: refuse an oversized body before anything parses it or asks who is sending it
    app.add_middleware(BodyLimit, max_bytes=settings.max_json_bytes, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: the 413 above carries the headers too
    app.router.add_event_handler("shutdown", db.close)
    return app
