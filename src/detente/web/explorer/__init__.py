"""The event explorer: a page (``/events``) and a JSON API (``/api/v1/events``) over the workspace's event store —
filters, a timeline, a map with country boundaries, a paged table, CSV and GeoJSON export. See docs/explorer.md."""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.explorer.routes import api_router, page_router

__all__ = ["router"]

router = APIRouter()
router.include_router(page_router)
router.include_router(api_router)
