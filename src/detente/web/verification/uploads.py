"""A report's form with its evidence files, read by the route once the caller is known and may file reports
(:mod:`detente.web.multipart`). The evidence module then checks each file's type, name and size."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detente.services.verification import MAX_FILES
from detente.verification.evidence import DEFAULT_MAX_BYTES
from detente.web.multipart import FormLimits, multipart_body, read_form

__all__ = ["MAX_REQUEST_BYTES", "REPORT_BODY", "REPORT_LIMITS", "ReportForm", "read_report"]

#: a report's request: its files at the evidence limit, plus room for the form's text
MAX_REQUEST_BYTES = MAX_FILES * DEFAULT_MAX_BYTES + 1024 * 1024

REPORT_LIMITS = FormLimits(file_field="files", max_files=MAX_FILES, max_file_bytes=DEFAULT_MAX_BYTES)


class ReportForm(BaseModel):
    """The text of a report's form (the page's form adds its CSRF token, which the page guard checks)."""

    model_config = ConfigDict(extra="ignore")

    narrative: str = Field(min_length=1, max_length=20_000)
    label: str = Field(max_length=40)
    place: str = Field(default="", max_length=200)
    time: str = Field(default="", max_length=40, description="date or ISO 8601 time with zone; empty: now")
    commitment_id: str = Field(default="", max_length=12)


def _schema() -> dict[str, Any]:
    schema = ReportForm.model_json_schema()
    return {"type": "object", "properties": schema["properties"], "required": schema.get("required", [])}


#: ``openapi_extra`` of both report routes: documents the body, and lets ``MultipartGate`` pass their uploads
REPORT_BODY = multipart_body(_schema(), REPORT_LIMITS)


async def read_report(request: Request) -> tuple[ReportForm, list[tuple[str, bytes]]]:
    """The report's text fields, validated like a FastAPI form, and its named evidence files."""
    form = await read_form(request, REPORT_LIMITS)
    try:
        fields = ReportForm.model_validate(form.fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from exc
    return fields, form.files
