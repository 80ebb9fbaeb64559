"""The actor pages of the workbench: per process, the stakeholder matrix, an actor page, the power–interest grid,
the network view and the registry's merge suggestions, with the same operations as JSON under
``/api/v1/processes/{id}/actors``. A thin shell over :mod:`detente.services.actors`; see docs/actors-pages.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.actors.api import api_router
from detente.web.actors.pages import page_router

__all__ = ["router"]

router = APIRouter()
router.include_router(page_router)
router.include_router(api_router)
