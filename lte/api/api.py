"""The one API, /api/v1, assembled from each app's router. Every error is JSON with a `detail` field."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from lte.accounts.api import router as accounts_router
from lte.accounts.auth import auth
from lte.api import idempotency
from lte.billing.api import router as billing_router
from lte.crm.api import router as crm_router
from lte.crm.api_calendar import router as calendar_router
from lte.crm.api_imports import router as imports_router
from lte.crm.api_orders import router as orders_router
from lte.crm.api_templates import router as templates_router
from lte.crm.api_today import router as today_router
from lte.lib.diskfull import disk_full_response, is_disk_full
from lte.privacy.api import router as privacy_router
from lte.teams.api import router as teams_router
from lte.teams.services import TeamForbidden

logger = logging.getLogger("lte.api")
DETAIL = "#/components/schemas/Detail"


class ValidationProblem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationDetail(Schema):
    """A 422: what ninja's validation found, as `_safe_errors` answers it (never the submitted values)."""
    detail: list[ValidationProblem]


class LteAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_common_errors(schema)
        return schema


def declare_common_errors(schema: OpenAPISchema) -> None:
    """The answers every operation can give besides its own, declared where they can happen: 401 when it needs
    a sign-in, 404 when its path names a row, 400 (a service's refusal, a bad Idempotency-Key) and 422
    (validation) when it takes input. An operation's own declaration of a status wins."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    validation = ValidationDetail.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(validation.pop("$defs", {}))
    components["ValidationDetail"] = validation
    components.setdefault("Detail", {"type": "object", "required": ["detail"], "title": "Detail",
                                     "properties": {"detail": {}}})
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            takes_input = bool(operation.get("parameters") or operation.get("requestBody")) or method == "post"
            common = {
                400: ("Bad input", DETAIL, takes_input),
                401: ("Authentication required", DETAIL, bool(operation.get("security"))),
                404: ("Not found (or another account's)", DETAIL, "{" in path or _names_rows(operation, components)),
                422: ("Validation error", "#/components/schemas/ValidationDetail", takes_input),
            }
            responses = operation.setdefault("responses", {})
            for status, (description, ref, applies) in common.items():
                if applies and status not in responses and str(status) not in responses:
                    responses[status] = {"description": description,
                                         "content": {"application/json": {"schema": {"$ref": ref}}}}


def _names_rows(operation: dict, components: dict) -> bool:
    """Whether the JSON body carries an id (a UUID field, or a list of them), which may name no row of the caller."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
    for prop in properties.values():
        for variant in [prop, *prop.get("anyOf", [])]:
            if variant.get("format") == "uuid" or variant.get("items", {}).get("format") == "uuid":
                return True
    return False


api = LteAPI(
    title="LeadTrackEngine API",
    version="1",
    description="The same API the LTE web pages and mobile app use. Errors: a 4xx with `{detail}`.",
    auth=auth,
    docs_url=None,  # the interactive docs load from a CDN; clients use /api/v1/openapi.json
    urls_namespace="api",
)
api.add_decorator(idempotency.check_key, mode="view")
api.add_decorator(idempotency.replay_or_record, mode="operation")
api.add_router("", accounts_router)
api.add_router("", crm_router)
api.add_router("", imports_router)
api.add_router("", orders_router)
api.add_router("", calendar_router)
api.add_router("", templates_router)
api.add_router("", today_router)
api.add_router("", privacy_router)
api.add_router("", teams_router)
api.add_router("", billing_router)


@api.exception_handler(ObjectDoesNotExist)
def on_missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    """Someone else's row and no row at all get exactly the same answer."""
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(DjangoValidationError)
def on_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(TeamForbidden)
def on_team_forbidden(request: HttpRequest, exc: TeamForbidden) -> HttpResponse:
    """A member asking for the leader's part, or leading without the Leader plan: 403, saying which."""
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(MultiPartParserError)
def on_unreadable_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A multipart body Django can't split (no or a bad boundary, broken headers) is bad input, not our fault."""
    return api.create_response(
        request, {"detail": _("The multipart body can't be read: it needs a valid boundary and well-formed parts.")},
        status=400)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": _safe_errors(exc.errors)}, status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": _("Authentication required.")}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(DatabaseError)
def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """A write on a full disk: 503, nothing was changed; any other database fault is unexpected."""
    if is_disk_full(exc):
        return disk_full_response(request)
    return on_unexpected_error(request, exc)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug still answers JSON; the details go to the log (never request bodies), not to the client."""
    logger.exception("API error in %s %s", request.method, request.resolver_match.route if request.resolver_match
                     else "?")
    return api.create_response(request, {"detail": _("Something went wrong on our side.")}, status=500)


def _safe_errors(errors: list) -> list[dict]:
    """Pydantic errors without the submitted values: bad input may hold passwords or contact data."""
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
            for e in errors]
