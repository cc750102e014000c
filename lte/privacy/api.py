"""/me/data, /me/export and DELETE /me: see everything, export everything, delete everything."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from lte.accounts.api import router as accounts_router
from lte.accounts.http import AuthenticatedHttpRequest
from lte.lib.schemas import Detail, Strict
from lte.privacy.deletion import TooManyAttempts, account_delete_confirmed
from lte.privacy.exports import json_stream, logged_stream, vcard_stream, zip_stream
from lte.privacy.services import your_data
from lte.privacy.usage import record

router = Router(tags=["your data"])


@router.get("/me/data", response=dict)
def me_data(request: AuthenticatedHttpRequest):
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
    response = StreamingHttpResponse(logged_stream(stream(user), fmt), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


@router.get("/me/export", response={200: None})
def me_export(request: AuthenticatedHttpRequest, query: Query[ExportFormat]):
    """A ZIP of UTF-8 CSV files (default), or ?format=vcard / ?format=json; streamed."""
    return export_response(request.user, query.format)


class DeleteIn(Strict):
    password: str = Field(default="", max_length=1024)
    code: str | None = Field(default=None, max_length=64, description="a two-factor code instead of the password")


# ninja answers one path from one router, so DELETE /me joins GET and PATCH /me on the accounts router (with
# the tag and operation id it has always had in openapi.json).
@accounts_router.delete("/me", response={204: None, 400: Detail, 403: Detail, 429: Detail},
                        operation_id="lte_accounts_api_me_delete")
def me_delete(request: AuthenticatedHttpRequest, payload: DeleteIn):
    """Deletes the account and all its data now; the password (or a two-factor code) confirms it. Every
    attempt spends the account's re-authentication budget (shared with the re-authentication page): 429 once
    it is spent."""
    try:
        account_delete_confirmed(request, user=request.user, password=payload.password, code=payload.code or "")
    except TooManyAttempts as exc:
        return Status(429, {"detail": str(exc)})
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    return HttpResponse(status=204)
