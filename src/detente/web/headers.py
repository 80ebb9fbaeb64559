"""The headers every answer of the workbench carries (pure: no I/O), whatever produced it: a page, the API, a
static file, an error.

The Content-Security-Policy allows scripts, styles and fonts from the workbench itself only — no inline script, no
inline style, no ``eval`` — images from itself and ``data:`` URLs, no plug-ins, no ``<base>``, forms posting only to
itself and no framing. Everything but the static assets is ``Cache-Control: no-store``: pages and API answers are
someone's view of need-to-know records, which must not stay in a shared or browser cache.
"""

from __future__ import annotations

__all__ = ["CONTENT_SECURITY_POLICY", "STATIC_PREFIX", "security_headers"]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: where the static assets are mounted (they may be cached)
STATIC_PREFIX = "/static/"

_ALWAYS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def security_headers(path: str) -> list[tuple[str, str]]:
    """The headers for an answer to a request for *path*."""
    headers = list(_ALWAYS)
    if not path.startswith(STATIC_PREFIX):
        headers.append(("Cache-Control", "no-store"))
    return headers
