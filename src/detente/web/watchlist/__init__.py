"""The watchlist: a page (``/watchlist``, ``/watchlist/model``) and a JSON API (``/api/v1/watchlist``) over the
forecasts, alerts and backtest of the workspace's event store (:mod:`detente.warning.watchlist`). See
docs/watchlist.md."""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.watchlist.map import router as map_router
from detente.web.watchlist.routes import api_router, page_router

__all__ = ["router"]

router = APIRouter()
router.include_router(page_router)
router.include_router(api_router)
router.include_router(map_router)
