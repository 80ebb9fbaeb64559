"""Verification: commitments, reports, compliance and the transparency log (:mod:`.ledger`)."""

from __future__ import annotations

__all__: list[str] = []
