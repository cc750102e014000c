"""/templates: the seller's message scripts over HTTP, through lte.crm.services.templates (the same as the pages).

Another account's id is a DoesNotExist, answered exactly like a missing row (404).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from lte.crm.models import MessageTemplate
from lte.crm.services import templates
from lte.lib.schemas import Detail, Strict, given_fields

router = Router(tags=["templates"])


class TemplateIn(Strict):
    name: str = Field(max_length=80)
    channel: str = Field(default="sms", max_length=10)
    subject: str = Field(default="", max_length=200)
    body: str = Field(max_length=5000)


class TemplatePatch(Strict):
    name: str | None = Field(default=None, max_length=80)
    channel: str | None = Field(default=None, max_length=10)
    subject: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=5000)


class TemplateOut(Schema):
    id: UUID
    name: str
    channel: str
    subject: str
    body: str
    created_at: datetime


@router.get("/templates", response=list[TemplateOut])
def template_list(request: HttpRequest):
    return list(MessageTemplate.objects.owned_by(request.user)[:500])


@router.post("/templates", response={201: TemplateOut, 400: Detail})
def template_create(request: HttpRequest, payload: TemplateIn):
    return Status(201, templates.template_save(owner=request.user, **payload.model_dump()))


@router.get("/templates/{uuid:template_id}", response=TemplateOut)
def template_detail(request: HttpRequest, template_id: UUID):
    return MessageTemplate.objects.owned_by(request.user).get(pk=template_id)


@router.patch("/templates/{uuid:template_id}", response={200: TemplateOut, 400: Detail})
def template_update(request: HttpRequest, template_id: UUID, payload: TemplatePatch):
    current = MessageTemplate.objects.owned_by(request.user).get(pk=template_id)
    fields = {"name": current.name, "channel": current.channel, "subject": current.subject, "body": current.body}
    fields.update(given_fields(payload))
    return Status(200, templates.template_save(owner=request.user, template_id=current.pk, **fields))


@router.delete("/templates/{uuid:template_id}", response={204: None})
def template_delete(request: HttpRequest, template_id: UUID):
    templates.template_delete(owner=request.user, template_id=template_id)
    return HttpResponse(status=204)
