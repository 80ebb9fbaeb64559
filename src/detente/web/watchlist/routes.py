"""The watchlist's routes: the pages ``/watchlist`` and ``/watchlist/model``, the JSON API under
``/api/v1/watchlist``. A thin shell over :mod:`detente.services.watchlist`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from detente.errors import WarningDataError
from detente.services.watchlist import Pending, watchlist
from detente.warning.selection import BASELINES, MODEL
from detente.web.api import ErrorBody
from detente.web.deps import Ctx, User, api_guard, page_guard
from detente.web.security import Principal, WebContext
from detente.web.watchlist.svg import reliability_svg, sparkline_svg

__all__ = ["api_router", "page_router"]

page_router = APIRouter(dependencies=[Depends(page_guard)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/watchlist", dependencies=[Depends(api_guard)], tags=["watchlist"])

AsOf = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}$", description="forecast origin YYYY-MM (default: the latest complete month)"),
]
Top = Annotated[int, Query(ge=1, le=1000, description="the first N units by rank")]

#: names a model's row in plain words on the model page
MODEL_NAMES = {
    "detente_hurdle": "Détente (boosted hurdle model)",
    "conflictology": "Conflictology (the unit's last 12 months)",
    "historical_average": "Historical average",
    "last_value": "Last value",
    "zero": "Zero",
}


def events_url(query: dict[str, str]) -> str:
    return "/events?" + urlencode(query)


def _pending_json(pending: Pending) -> JSONResponse:
    return JSONResponse(
        {"status": "computing", "started_at": pending.started_at.isoformat(), "retry_after": pending.retry_after},
        status_code=202,
        headers={"Retry-After": str(pending.retry_after)},
    )


# -- JSON API ------------------------------------------------------------------------------------------------------
class SourceOut(BaseModel):
    """A source with events in the unit's country: the months it covers there and how fresh it is (ADR 0030)."""

    source: str
    description: str
    first_month: str
    last_month: str
    last_event: str
    months_behind: int
    covers_as_of: bool
    carries_deaths: bool


class MonthOut(BaseModel):
    """A month the page's selector offers, with what ends or is missing then."""

    month: str
    default: bool
    note: str


class BacktestRateOut(BaseModel):
    """How often the ranking model's forecasts in the same decile of its own backtest came true."""

    count: int
    hits: int
    observed: float
    low: float
    high: float


class UnitOut(BaseModel):
    """One ranked unit (docs/watchlist.md describes every field)."""

    model_config = ConfigDict(extra="allow")

    unit: str
    unit_name: str | None
    forecast: float | None
    probability: float | None = None
    interval90: list[float] | None = None
    change: float | None = None
    alert: dict[str, Any] | None
    level: str
    drivers: list[dict[str, Any]]
    history: list[dict[str, Any]]
    rank: int | None = None
    status: str = "forecast"
    status_text: str = ""
    sources: list[SourceOut] = []
    backtest_rate: BacktestRateOut | None = None


class WatchlistOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    target: str | None
    as_of: str | None
    alert_rule: dict[str, Any]
    units: list[UnitOut]
    store_version: str
    level: str
    threshold: int
    computed_at: str
    config: dict[str, Any]
    ranked_by: dict[str, Any]
    previous_run: dict[str, Any] | None = None
    default_as_of: str | None = None
    months: list[MonthOut] = []
    status_counts: dict[str, int] = {}
    driver_level_rule: str | None = None
    coverage: dict[str, Any] | None = None


class ModelOut(BaseModel):
    as_of: str | None
    target: str | None
    threshold: int
    level: str
    store_version: str
    computed_at: str
    config: dict[str, Any]
    ranked_by: dict[str, Any]
    backtest: dict[str, Any]


class ComputingOut(BaseModel):
    status: str
    started_at: str
    retry_after: int


_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": ComputingOut, "description": "still computing: ask again after Retry-After seconds"},
    **{status: {"model": ErrorBody, "description": "the error shape"} for status in (401, 403, 422)},
}


@api_router.get("", response_model=WatchlistOut, responses=_RESPONSES,
                summary="Ranked units: forecast, 90% interval, change, alerts with their events, drivers")  # fmt: skip
def watchlist_api(ctx: Ctx, p: User, as_of: AsOf = None, top: Top = 1000) -> Any:
    doc = watchlist(ctx, p, as_of)
    if isinstance(doc, Pending):
        return _pending_json(doc)
    return {k: v for k, v in doc.items() if k != "model"} | {"units": doc["units"][:top]}


@api_router.get("/model", response_model=ModelOut, responses=_RESPONSES,
                summary="The model's rolling-origin backtest: metrics per model and reliability tables")  # fmt: skip
def model_api(ctx: Ctx, p: User, as_of: AsOf = None) -> Any:
    doc = watchlist(ctx, p, as_of)
    if isinstance(doc, Pending):
        return _pending_json(doc)
    keep = ("as_of", "target", "threshold", "level", "store_version", "computed_at", "config", "ranked_by")
    return {k: doc[k] for k in keep} | {"backtest": doc["model"]}


# -- pages ---------------------------------------------------------------------------------------------------------
def _page(request: Request, ctx: WebContext, p: Principal, as_of: str | None, name: str, extra: Any) -> Response:
    from detente.web.pages import render

    try:
        doc = watchlist(ctx, p, as_of)
    except WarningDataError as exc:
        bad_month = exc.field == "as_of" and as_of is not None
        context = {"reason": exc.reason, "field": exc.field, "as_of": as_of, "bad_month": bad_month}
        return render(request, "watchlist/unavailable.html", context, status=422 if bad_month else 200)
    if isinstance(doc, Pending):
        response = render(request, "watchlist/computing.html", {"pending": doc, "as_of": as_of})
        response.headers["Retry-After"] = str(doc.retry_after)
        return response
    return render(request, name, {"doc": doc, "as_of_param": as_of, **extra(doc)})


@page_router.get("/watchlist", name="watchlist")
def watchlist_page(request: Request, ctx: Ctx, p: User, as_of: AsOf = None, top: Top = 50) -> Response:
    def extra(doc: dict[str, Any]) -> dict[str, Any]:
        ranked = [u for u in doc["units"] if u.get("rank") is not None]
        units = ranked[:top]
        return {
            "units": units,
            "unforecast": [u for u in doc["units"] if u.get("rank") is None],
            "more": len(ranked) - len(units),
            "sparks": {u["unit"]: Markup(sparkline_svg(u["history"], width=112)) for u in units},
            "events_url": events_url,
            "alerts": [u for u in doc["units"] if u["alert"]],
        }

    return _page(request, ctx, p, as_of, "watchlist/watchlist.html", extra)


def _best(models: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The best model per metric (lowest; highest for AUROC and AUPR), a tie going to the simpler, as the rule's."""
    order = [*BASELINES, MODEL]
    out: dict[str, str] = {}
    for metric, sign in (("crps", 1), ("ignorance", 1), ("mis90", 1), ("brier", 1), ("ece", 1), ("auroc", -1),
                         ("aupr", -1)):  # fmt: skip
        scored = [m for m, v in models.items() if v.get(metric) is not None]
        if scored:
            out[metric] = min(
                scored, key=lambda m: (sign * models[m][metric], order.index(m) if m in order else len(order))
            )
    return out


@page_router.get("/watchlist/model", name="watchlist_model")
def model_page(request: Request, ctx: Ctx, p: User, as_of: AsOf = None) -> Response:
    def extra(doc: dict[str, Any]) -> dict[str, Any]:
        models = doc["model"]["models"]
        return {
            "models": models,
            "model_names": MODEL_NAMES,
            "reliability": Markup(reliability_svg(doc["model"]["reliability"])),
            "shown": [
                m
                for m, rows in doc["model"]["reliability"].items()
                if sum(not r.get("top_share") and not r.get("decile") for r in rows) > 1
            ],
            "best": _best(models),
        }

    return _page(request, ctx, p, as_of, "watchlist/model.html", extra)
