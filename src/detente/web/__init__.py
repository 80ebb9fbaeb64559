"""The workbench: a FastAPI application (server-rendered pages and a JSON API) composing the capabilities.

Build it with :func:`detente.web.app.create_app`; serve it with ``detente serve`` or ``detente demo``.
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from detente.web.app import create_app

        return create_app
    raise AttributeError(name)
