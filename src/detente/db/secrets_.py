"""Random secrets handed out once, and the digests stored in their place."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["digest", "new_secret"]


def new_secret(prefix: str) -> str:
    """A fresh secret: ``prefix`` then 256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of the secret, hex. A secret of 256 random bits needs no salt nor slow hash."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
