"""Workbench pages and JSON API of the verification capability (issue 5): commitments board, reports with
evidence, assessments, violation procedures, track records and "verify this record". ``router`` holds both."""

from __future__ import annotations

from fastapi import APIRouter

from detente.web.verification import api, consent_api, pages

__all__ = ["router"]

router = APIRouter()
router.include_router(api.router)
router.include_router(consent_api.router)
router.include_router(pages.router)
