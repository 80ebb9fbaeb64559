"""The CBM pages of the workbench (``/processes/{id}/cbm/…``) and their JSON API
(``/api/v1/processes/{id}/cbm/…``): catalogue browser, trust with its history, plan builder, saved plans with
replanning from verified outcomes, and "make this step a commitment". See docs/cbm-pages.md."""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.cbm.api import api_router
from detente.web.cbm.pages import page_router

__all__ = ["router"]

router = APIRouter()
router.include_router(page_router)
router.include_router(api_router)
