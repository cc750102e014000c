"""/contacts, /notes, /followups, /tags, /stages: the CRM over HTTP, through the same services as the pages.

Rows are fetched only through the caller's own querysets; another account's id is a DoesNotExist, which
the API answers exactly like a missing row (404).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from lte.crm import queries
from lte.crm.birthdays import birthday_text
from lte.crm.models import Contact, FollowUp, Message, Note, Stage, Tag
from lte.crm.services import contacts, duplicates, followups, messages, notes, stages
from lte.crm.services.contacts import ContactData
from lte.crm.services.normalise import UNSET
from lte.lib.schemas import Detail, Strict, check_text, given_fields

router = Router(tags=["crm"])


class LabelledOut(Schema):
    label: str
    value: str


class LabelledIn(Strict):
    label: str = Field(default="", max_length=40)
    value: str = Field(max_length=500)


# ContactOut shows every field of lte.crm.fields and ContactIn takes the given ones, in its order and within its
# limits (lte/crm/tests/test_fields.py holds them to it). A docstring here would change the OpenAPI description.
class ContactOut(Schema):
    id: UUID
    first_name: str
    last_name: str
    company: str
    job_title: str
    emails: list[str]
    email_labels: list[str]
    phones: list[str]
    phone_labels: list[str]
    address: str | None
    addresses: list[LabelledOut]
    urls: list[LabelledOut]
    birthday: str | None = Field(description="YYYY-MM-DD, or --MM-DD when the year is unknown")
    source: str
    stage: str | None
    tags: list[str]
    customer_since: date | None
    reorder_every_days: int | None
    stay_in_touch_days: int | None
    social: dict[str, str] | None
    last_contacted_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_birthday(contact: Contact) -> str | None:
        return birthday_text(contact.birthday)

    @staticmethod
    def resolve_stage(contact: Contact) -> str | None:
        stage = contact.stage if contact.stage_id else None
        return stage.slug if stage is not None else None

    @staticmethod
    def resolve_tags(contact: Contact) -> list[str]:
        names = getattr(contact, "tag_names", None)  # a list page brings them in one query
        return names if names is not None else sorted(t.name for t in contact.tags.all())


def contact_out(contact: Contact | queries.Listed) -> dict[str, Any]:
    """ContactOut's answer as JSON-ready values, built directly: the list's 50 contacts through pydantic's
    attribute reading and the encoder's fallbacks cost a third of the page. The same keys in ContactOut's order
    and the same values as NinjaJSONEncoder writes them (test_api_contacts holds the two equal)."""
    names: list[str] | None
    if isinstance(contact, queries.Listed):  # the list's rows come with their stage's slug and tags
        slug, names = contact.stage_slug, contact.tag_names
    else:
        stage = contact.stage if contact.stage_id else None
        slug = stage.slug if stage is not None else None
        names = getattr(contact, "tag_names", None)
        if names is None:
            names = sorted(t.name for t in contact.tags.all())
    since = contact.customer_since
    return {
        "id": str(contact.pk), "first_name": contact.first_name, "last_name": contact.last_name,
        "company": contact.company, "job_title": contact.job_title, "emails": list(contact.emails),
        "email_labels": contact.email_labels, "phones": list(contact.phones), "phone_labels": contact.phone_labels,
        "address": contact.address,
        "addresses": [{"label": a["label"], "value": a["value"]} for a in contact.addresses],
        "urls": [{"label": u["label"], "value": u["value"]} for u in contact.urls],
        "birthday": birthday_text(contact.birthday), "source": contact.source,
        "stage": slug,
        "tags": names,
        "customer_since": since.isoformat() if since is not None else None,
        "reorder_every_days": contact.reorder_every_days, "stay_in_touch_days": contact.stay_in_touch_days,
        "social": contact.social,
        "last_contacted_at": _moment(contact.last_contacted_at), "created_at": _moment(contact.created_at),
        "updated_at": _moment(contact.updated_at),
    }


def _moment(value: datetime | None) -> str | None:
    """A moment as DjangoJSONEncoder writes it: milliseconds, and Z for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ContactIn(Strict):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=100)
    job_title: str | None = Field(default=None, max_length=100)
    emails: list[str] | None = Field(default=None, max_length=10)
    email_labels: list[str] | None = Field(default=None, max_length=10)
    phones: list[str] | None = Field(default=None, max_length=10)
    phone_labels: list[str] | None = Field(default=None, max_length=10)
    address: str | None = Field(default=None, max_length=500)
    addresses: list[LabelledIn] | None = Field(default=None, max_length=10)
    urls: list[LabelledIn] | None = Field(default=None, max_length=10)
    birthday: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD, or --MM-DD")
    source: str | None = Field(default=None, max_length=40)
    stage: str | None = Field(default=None, max_length=40)
    tags: list[str] | None = Field(default=None, max_length=30)
    customer_since: date | None = None
    reorder_every_days: int | None = Field(default=None, ge=1, le=366)
    stay_in_touch_days: int | None = Field(default=None, ge=1, le=366)
    social: dict[str, str] | None = None


class ContactList(Schema):
    items: list[ContactOut]
    count: int
    next_cursor: str | None = None


class ContactFilters(Schema):
    q: str = Field(default="", max_length=200)
    tag: str = Field(default="", max_length=40)
    stage: str = Field(default="", max_length=40)
    sort: str = Field(default="name", max_length=20)
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10_000_000)
    cursor: str | None = Field(default=None, max_length=500)

    @field_validator("q", "tag", "stage", "sort", "cursor", mode="before")
    @classmethod
    def text_only(cls, value):
        check_text(value)
        return value


class NoteIn(Strict):
    body: str = Field(max_length=20_000)


class NoteOut(Schema):
    id: UUID
    contact_id: UUID
    body: str
    created_at: datetime
    updated_at: datetime


class MessageIn(Strict):
    channel: str = Field(max_length=10)
    direction: str = Field(default="out", max_length=3)
    body: str = Field(default="", max_length=20_000)
    sent_at: datetime | None = None


class MessageOut(Schema):
    id: UUID
    contact_id: UUID
    channel: str
    direction: str
    body: str
    sent_at: datetime


class FollowUpIn(Strict):
    contact_id: UUID
    due_at: datetime
    title: str = Field(max_length=200)
    done: bool | None = None


class FollowUpPatch(Strict):
    contact_id: UUID | None = None
    due_at: datetime | None = None
    title: str | None = Field(default=None, max_length=200)
    done: bool | None = None


class FollowUpOut(Schema):
    id: UUID
    contact_id: UUID
    title: str
    kind: str
    due_at: datetime
    done: bool
    done_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_done(followup: FollowUp) -> bool:
        return followup.done_at is not None


class TagOut(Schema):
    name: str
    count: int


class StageOut(Schema):
    slug: str
    name: str
    position: int


class StageRuleOut(StageOut):
    followup_days: int | None = Field(description="the stage's follow-up rule: a contact moved here gets a "
                                                  "follow-up this many days later")


class StagePatch(Strict):
    followup_days: int | None = Field(ge=1, le=366, description="null removes the rule")


class StageIn(Strict):
    name: str = Field(min_length=1, max_length=stages.NAME_MAX, description="added at the end of the pipeline")


def _data(payload: Strict) -> ContactData:
    given: dict[str, Any] = payload.model_dump(exclude_unset=True)
    return ContactData(**{field: given.get(field, UNSET) for field in ContactData.__dataclass_fields__})


# --- Contacts ---------------------------------------------------------------------------------------


@router.get("/contacts", response=ContactList)
def contact_list(request: HttpRequest, filters: Query[ContactFilters]):
    result = queries.page(request.user, q=filters.q, tag=filters.tag, stage=filters.stage, sort=filters.sort,
                          limit=filters.limit, offset=filters.offset, cursor=filters.cursor, listed=True)
    answer = {"items": [contact_out(c) for c in result.items], "count": result.count,
              "next_cursor": result.next_cursor}  # ContactList, without validating what we wrote ourselves
    return HttpResponse(json.dumps(answer), content_type="application/json; charset=utf-8")


@router.post("/contacts", response={201: ContactOut, 400: Detail})
def contact_create(request: HttpRequest, payload: ContactIn):
    with transaction.atomic():  # the answer is read before the commit: a failed re-read undoes the write
        contact = contacts.contact_create(owner=request.user, data=_data(payload))
        return Status(201, _fresh(request, contact.pk))


def _fresh(request: HttpRequest, contact_id) -> Contact:
    """The contact as answered, with its stage and tags loaded: rendering it reads nothing more."""
    return (Contact.objects.owned_by(request.user).select_related("stage").prefetch_related("tags")
            .get(pk=contact_id))


@router.get("/contacts/{uuid:contact_id}", response=ContactOut)
def contact_detail(request: HttpRequest, contact_id: UUID):
    return _fresh(request, contact_id)


@router.patch("/contacts/{uuid:contact_id}", response={200: ContactOut, 400: Detail})
def contact_update(request: HttpRequest, contact_id: UUID, payload: ContactIn):
    with transaction.atomic():
        contacts.contact_update(owner=request.user, contact_id=contact_id, data=_data(payload))
        return Status(200, _fresh(request, contact_id))


@router.delete("/contacts/{uuid:contact_id}", response={204: None})
def contact_delete(request: HttpRequest, contact_id: UUID):
    contacts.contact_delete(owner=request.user, contact_id=contact_id)
    return HttpResponse(status=204)


# --- Notes and messages -------------------------------------------------------------------------------


@router.get("/contacts/{uuid:contact_id}/notes", response=list[NoteOut])
def note_list(request: HttpRequest, contact_id: UUID):
    contact = Contact.objects.owned_by(request.user).get(pk=contact_id)
    return list(Note.objects.owned_by(request.user).filter(contact=contact))


@router.post("/contacts/{uuid:contact_id}/notes", response={201: NoteOut, 400: Detail})
def note_create(request: HttpRequest, contact_id: UUID, payload: NoteIn):
    return Status(201, notes.note_create(owner=request.user, contact_id=contact_id, body=payload.body))


@router.patch("/notes/{uuid:note_id}", response={200: NoteOut, 400: Detail})
def note_update(request: HttpRequest, note_id: UUID, payload: NoteIn):
    return Status(200, notes.note_update(owner=request.user, note_id=note_id, body=payload.body))


@router.delete("/notes/{uuid:note_id}", response={204: None})
def note_delete(request: HttpRequest, note_id: UUID):
    notes.note_delete(owner=request.user, note_id=note_id)
    return HttpResponse(status=204)


@router.get("/contacts/{uuid:contact_id}/messages", response=list[MessageOut])
def message_list(request: HttpRequest, contact_id: UUID):
    contact = Contact.objects.owned_by(request.user).get(pk=contact_id)
    return list(Message.objects.owned_by(request.user).filter(contact=contact))


@router.post("/contacts/{uuid:contact_id}/messages", response={201: MessageOut, 400: Detail})
def message_create(request: HttpRequest, contact_id: UUID, payload: MessageIn):
    return Status(201, messages.message_log(owner=request.user, contact_id=contact_id, channel=payload.channel,
                                            direction=payload.direction, body=payload.body,
                                            sent_at=payload.sent_at))


class MessagePatch(Strict):
    channel: str | None = Field(default=None, max_length=10)
    direction: str | None = Field(default=None, max_length=3)
    body: str | None = Field(default=None, max_length=20_000)
    sent_at: datetime | None = None


@router.patch("/messages/{uuid:message_id}", response={200: MessageOut, 400: Detail})
def message_update(request: HttpRequest, message_id: UUID, payload: MessagePatch):
    return Status(200, messages.message_update(owner=request.user, message_id=message_id,
                                               **given_fields(payload)))


@router.delete("/messages/{uuid:message_id}", response={204: None})
def message_delete(request: HttpRequest, message_id: UUID):
    messages.message_delete(owner=request.user, message_id=message_id)
    return HttpResponse(status=204)


# --- Follow-ups ----------------------------------------------------------------------------------------


@router.get("/followups", response=list[FollowUpOut])
def followup_list(request: HttpRequest, due: str = Query("", max_length=10)):
    return list(queries.followups(request.user, due)[:500])


@router.post("/followups", response={201: FollowUpOut, 400: Detail})
def followup_create(request: HttpRequest, payload: FollowUpIn):
    with transaction.atomic():  # one write: a done follow-up is never left created but not done
        followup = followups.followup_create(owner=request.user, contact_id=payload.contact_id,
                                            title=payload.title, due_at=payload.due_at)
        if payload.done:
            followup = followups.followup_update(owner=request.user, followup_id=followup.pk, done=True)
    return Status(201, followup)


@router.patch("/followups/{uuid:followup_id}", response={200: FollowUpOut, 400: Detail})
def followup_update(request: HttpRequest, followup_id: UUID, payload: FollowUpPatch):
    given = given_fields(payload)
    return Status(200, followups.followup_update(owner=request.user, followup_id=followup_id,
                                                **{k: given[k] for k in given}))


class SnoozeIn(Strict):
    choice: str = Field(max_length=20, description="later (in 3 hours), tomorrow (09:00), next_week (Monday 09:00) "
                                                   "or date (09:00 on `on`), in the user's timezone")
    on: date | None = None


@router.post("/followups/{uuid:followup_id}/snooze", response={200: FollowUpOut, 400: Detail})
def followup_snooze(request: HttpRequest, followup_id: UUID, payload: SnoozeIn):
    return Status(200, followups.followup_snooze(owner=request.user, followup_id=followup_id, choice=payload.choice,
                                                on=payload.on))


@router.delete("/followups/{uuid:followup_id}", response={204: None})
def followup_delete(request: HttpRequest, followup_id: UUID):
    followups.followup_delete(owner=request.user, followup_id=followup_id)
    return HttpResponse(status=204)


# --- Tags and stages ---------------------------------------------------------------------------------


@router.get("/tags", response=list[TagOut])
def tag_list(request: HttpRequest):
    return list(Tag.objects.owned_by(request.user).annotate(count=Count("contacts")).order_by("name"))


@router.get("/stages", response=list[StageOut])
def stage_list(request: HttpRequest):
    return stages.stages_of(request.user)


@router.patch("/stages/{slug:stage_slug}", response={200: StageRuleOut, 400: Detail})
def stage_update(request: HttpRequest, stage_slug: str, payload: StagePatch):
    # Only a stage the account has (as the stage pages): a refused request writes nothing, not even the defaults.
    if not Stage.objects.owned_by(request.user).filter(slug=stage_slug).exists():
        raise Stage.DoesNotExist
    return Status(200, stages.stage_rule_set(owner=request.user, slug=stage_slug, followup_days=payload.followup_days))


@router.post("/stages", response={201: StageRuleOut, 400: Detail})
def stage_create(request: HttpRequest, payload: StageIn):
    return Status(201, stages.stage_create(owner=request.user, name=payload.name))


@router.delete("/stages/{slug:stage_slug}", response={204: None, 400: Detail})
def stage_delete(request: HttpRequest, stage_slug: str, move_to: str = Query("", max_length=40)):
    """`?move_to=` names the stage its contacts go to; needed when it has any. The last stage can't go."""
    if not Stage.objects.owned_by(request.user).filter(slug=stage_slug).exists():
        raise Stage.DoesNotExist
    stages.stage_delete(owner=request.user, slug=stage_slug, move_to=move_to or None)
    return HttpResponse(status=204)


# --- Possible duplicates ----------------------------------------------------------------------------------


class DuplicateOut(Schema):
    contacts: list[ContactOut] = Field(description="the older contact first")
    shared: list[str] = Field(description='what they have in common: "email", "phone"')


class DuplicateList(Schema):
    items: list[DuplicateOut]
    count: int


class DuplicateFilters(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class DismissIn(Strict):
    contact_ids: list[UUID] = Field(min_length=2, max_length=2)


@router.get("/duplicates", response=DuplicateList)
def duplicate_list(request: HttpRequest, filters: Query[DuplicateFilters]):
    """Pairs of contacts sharing an email or a phone, newest first; nothing merges until asked."""
    page = duplicates.pair_page(request.user, offset=filters.offset, limit=filters.limit)
    return {"items": [{"contacts": pair.contacts, "shared": sorted(pair.shared)} for pair in page.items],
            "count": page.count}


@router.post("/duplicates/dismiss", response={204: None, 400: Detail})
def duplicate_dismiss(request: HttpRequest, payload: DismissIn):
    """Not the same person: the pair is never listed as possible duplicates again."""
    contact_id, other_id = payload.contact_ids
    duplicates.duplicate_dismiss(owner=request.user, contact_id=contact_id, other_id=other_id)
    return HttpResponse(status=204)


@router.post("/contacts/{uuid:contact_id}/merge/{uuid:other_id}", response={200: ContactOut, 400: Detail})
def contact_merge(request: HttpRequest, contact_id: UUID, other_id: UUID):
    """Merges `other_id` into `contact_id`: every value of both is kept on `contact_id`; `other_id` is gone."""
    with transaction.atomic():
        duplicates.contact_merge(owner=request.user, keep_id=contact_id, merge_id=other_id)
        return Status(200, _fresh(request, contact_id))
