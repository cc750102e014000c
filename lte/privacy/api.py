"""/me/data and /me/export: see everything, export everything (DELETE /me lives beside GET /me)."""

from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from lte.privacy.exports import json_stream, vcard_stream, zip_stream
from lte.privacy.services import your_data
from lte.privacy.usage import record

router = Router(tags=["your data"])


@router.get("/me/data", response=dict)
def me_data(request: HttpRequest):
    """Everything held on the account, in named sections."""
    return your_data(request.user)


class ExportFormat(Schema):
    format: str = Field(default="zip", pattern="^(zip|vcard|json)$")


def export_response(user, fmt: str = "zip") -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y-%m-%d")
    streams = {
        "zip": (zip_stream, "application/zip", f"leadtrackengine-export-{stamp}.zip"),
        "vcard": (vcard_stream, "text/vcard; charset=utf-8", f"leadtrackengine-contacts-{stamp}.vcf"),
        "json": (json_stream, "application/json", f"leadtrackengine-export-{stamp}.json"),
    }
    stream, content_type, filename = streams[fmt]
    record(user, f"export {fmt}")
    response = StreamingHttpResponse(stream(user), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


@router.get("/me/export", response={200: None})
def me_export(request: HttpRequest, query: Query[ExportFormat]):
    """A ZIP of UTF-8 CSV files (default), or ?format=vcard / ?format=json; streamed."""
    return export_response(request.user, query.format)
