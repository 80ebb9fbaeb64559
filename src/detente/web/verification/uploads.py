"""Evidence uploads: bounded before they are read. The evidence module then checks type, name and size."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request, UploadFile

from detente.errors import InputError, TooLarge
from detente.services.verification import MAX_FILES
from detente.verification.evidence import DEFAULT_MAX_BYTES

__all__ = ["MAX_REQUEST_BYTES", "read_uploads"]

#: a report's request: its files at the evidence limit, plus room for the form's text
MAX_REQUEST_BYTES = MAX_FILES * DEFAULT_MAX_BYTES + 1024 * 1024


def read_uploads(request: Request, files: Sequence[UploadFile]) -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` of each non-empty upload (an empty file input sends one nameless part)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        raise TooLarge(f"the request is over {MAX_REQUEST_BYTES} bytes", field="files")
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} evidence files per report", field="files")
    out = []
    for upload in chosen:
        data = upload.file.read(DEFAULT_MAX_BYTES + 1)
        if len(data) > DEFAULT_MAX_BYTES:
            raise TooLarge(f"{upload.filename}: the limit is {DEFAULT_MAX_BYTES} bytes per file", field="files")
        out.append((str(upload.filename), data))
    return out
