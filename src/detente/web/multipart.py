"""Forms that carry files, read by the route itself, after the caller is known.

FastAPI reads the body of a route that declares ``Form``/``UploadFile`` parameters *before* it runs any dependency,
the sign-in and CSRF checks included (``fastapi.routing.get_request_handler``), and Starlette spools each file part
over 1 MiB to a temporary file. A route that takes uploads therefore declares no form parameter: it documents its
body with :func:`multipart_body` (which also tells :class:`detente.web.edges.MultipartGate` that this route, and only
this one, takes ``multipart/form-data``) and calls :func:`read_form` once its dependencies have run.

:func:`read_form` streams the body through python-multipart and keeps everything in memory within its
:class:`FormLimits` (the use cases take the files' bytes anyway): no temporary file is ever written, a file over its
limit is refused the moment it passes it, and a file part is refused before its first byte is kept when there are
already ``max_files``. A check that needs the form's text — the CSRF token of a browser form, which
:func:`detente.web.deps.page_guard` leaves here as ``request.state.form_gate`` — runs on the text fields that come
before the first file part (or on all of them, when there is no file), so a forged upload is refused before any of
its files is read. URL-encoded bodies (a form without files) are read by Starlette, within the same field limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import python_multipart
from fastapi import Request
from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from detente.errors import InputError, TooLarge, UnsupportedMediaType

__all__ = ["FormLimits", "FormRead", "Gate", "multipart_body", "read_form", "takes_multipart"]

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"

#: a check of the text fields read so far, run before the first file part is read (or at the end of the body)
Gate = Callable[[Mapping[str, str]], None]


@dataclass(frozen=True)
class FormLimits:
    """What one form may hold; the request as a whole is bounded before this by ``BodyLimit``."""

    #: the field that carries the files (file parts under another name are refused)
    file_field: str
    max_files: int
    max_file_bytes: int
    max_fields: int = 16
    #: bytes of one text field (a 20,000-character text in UTF-8 needs up to 80,000)
    max_field_bytes: int = 128 * 1024


@dataclass
class FormRead:
    """The text fields (the last value of a repeated name) and the files that have a name, in the order sent."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)


def multipart_body(schema: dict[str, Any], limits: FormLimits) -> dict[str, Any]:
    """The ``openapi_extra`` of a route that reads its own form: ``schema`` (an object schema of the text fields)
    with the files as ``multipart/form-data``, or without them as a URL-encoded form."""
    files = {
        "type": "array",
        "maxItems": limits.max_files,
        "items": {"type": "string", "format": "binary", "maxLength": limits.max_file_bytes},
        "description": f"up to {limits.max_files} files of at most {limits.max_file_bytes} bytes each",
    }
    with_files = {**schema, "properties": {**schema.get("properties", {}), limits.file_field: files}}
    content = {MULTIPART: {"schema": with_files}, URLENCODED: {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def takes_multipart(route: BaseRoute) -> bool:
    """Whether the route reads a ``multipart/form-data`` body (it says so with :func:`multipart_body`)."""
    if not isinstance(route, APIRoute):
        return False
    body = (route.openapi_extra or {}).get("requestBody", {})
    return isinstance(body, dict) and MULTIPART in body.get("content", {})


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _text(raw: bytes | bytearray, name: str) -> str:
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", field=name) from None


async def read_form(request: Request, limits: FormLimits) -> FormRead:
    """Read the request's form within ``limits``, running ``request.state.form_gate`` (when a guard left one)
    before the first file part is read."""
    gate: Gate | None = getattr(request.state, "form_gate", None)
    media_type = _media_type(request)
    if media_type == URLENCODED:
        form = await request.form(max_files=0, max_fields=limits.max_fields, max_part_size=limits.max_field_bytes)
        read = FormRead(fields={k: v for k, v in form.items() if isinstance(v, str)})
        if gate is not None:
            gate(read.fields)
        return read
    if media_type != MULTIPART:
        raise UnsupportedMediaType(f"send the form as {MULTIPART} or {URLENCODED}", field="body")
    collector = _Collector(limits, gate)
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise InputError("a multipart body needs a boundary in its Content-Type", field="body")
    try:
        parser = python_multipart.MultipartParser(boundary, collector.callbacks())
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise InputError("the multipart body is malformed", field="body") from exc
    except ClientDisconnect:  # the client went away, or BodyLimit cut the body off (and answered 413)
        raise InputError("the body ended before the form did", field="body") from None
    if not collector.ended:
        raise InputError("the multipart body ends before its closing boundary", field="body")
    collector.pass_gate()
    return collector.read


@dataclass
class _Part:
    disposition: bytes = b""
    name: str = ""
    #: None for a text field; "" for the empty file input a browser sends when no file was chosen
    filename: str | None = None
    size: int = 0
    chunks: list[bytes] = field(default_factory=list)


class _Collector:
    """python-multipart callbacks that keep a form within its limits, in memory."""

    def __init__(self, limits: FormLimits, gate: Gate | None) -> None:
        self.limits = limits
        self.gate = gate
        self.gated = False
        self.ended = False
        self.read = FormRead()
        self.fields_seen = 0
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def pass_gate(self) -> None:
        if not self.gated:
            self.gated = True
            if self.gate is not None:
                self.gate(self.read.fields)

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).strip().lower() == b"content-disposition":
            self.part.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        if b"name" not in options:
            raise InputError("a form part has no name in its Content-Disposition", field="body")
        part = self.part
        part.name = _text(options[b"name"], "body")
        if b"filename" not in options:
            self.fields_seen += 1
            if self.fields_seen > self.limits.max_fields:
                raise InputError(f"at most {self.limits.max_fields} form fields", field="body")
            return
        self.pass_gate()  # before the first byte of any file is kept
        part.filename = _text(options[b"filename"], self.limits.file_field)
        if part.name != self.limits.file_field:
            raise InputError(f"files are sent as {self.limits.file_field!r}, not {part.name!r}", field=part.name)
        if part.filename and len(self.read.files) >= self.limits.max_files:
            raise InputError(f"at most {self.limits.max_files} files", field=self.limits.file_field)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.size += end - start
        if part.filename is None:
            if part.size > self.limits.max_field_bytes:
                raise TooLarge(f"a form field is limited to {self.limits.max_field_bytes} bytes", field=part.name)
        elif part.size > self.limits.max_file_bytes:
            shown = part.filename or "a file"
            raise TooLarge(f"{shown}: the limit is {self.limits.max_file_bytes} bytes per file", field=part.name)
        elif not part.filename:
            return  # the nameless part of an empty file input: nothing to keep
        part.chunks.append(data[start:end])

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            self.read.fields[part.name] = _text(b"".join(part.chunks), part.name)
        elif part.filename:
            self.read.files.append((part.filename, b"".join(part.chunks)))

    def on_end(self) -> None:
        self.ended = True
