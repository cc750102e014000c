"""The conversation log: messages sent and received on any channel; an outgoing one is a reach-out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from lte.crm.models import ActivityDay, Contact, Message
from lte.crm.services.activity import activity_add
from lte.crm.services.cadences import touch_schedule
from lte.crm.services.normalise import UNSET, aware, clean_text, not_future
from lte.lib.zones import today_for, zone_for

CHANNELS = ", ".join(Message.Channel.values)

MAX_MESSAGE = 20_000


@transaction.atomic
def message_log(*, owner, contact_id, channel: str, direction: str = "out", body: str = "",
                sent_at: datetime | None = None) -> Message:
    """Logs a conversation; an outgoing one counts as today's reach-out and marks the contact contacted."""
    contact = Contact.objects.owned_by(owner).get(pk=contact_id)
    if channel not in Message.Channel.values:
        raise ValidationError({"channel": gettext("is one of %(channels)s.") % {"channels": CHANNELS}})
    if direction not in Message.Direction.values:
        raise ValidationError({"direction": gettext("is “out” or “in”.")})
    when = not_future(aware(sent_at, "sent_at"), "sent_at") if sent_at is not None else timezone.now()
    message = Message.objects.create(owner=owner, contact=contact, channel=channel, direction=direction,
                                     body=clean_text(body, field="body", max_length=MAX_MESSAGE), sent_at=when)
    if direction == Message.Direction.OUT:
        Contact.objects.filter(pk=contact.pk).update(last_contacted_at=when, updated_at=timezone.now())
        activity_add(owner=owner, reach_outs=1)
    if contact.stay_in_touch_days:
        touch_schedule(contact)
    return message


@transaction.atomic
def message_update(*, owner, message_id, channel: Any = UNSET, direction: Any = UNSET, body: Any = UNSET,
                   sent_at: Any = UNSET) -> Message:
    """Corrects a logged conversation (the "correct anything" promise covers the log too)."""
    message = (Message.objects.owned_by(owner).select_for_update(of=("self",)).select_related("contact")
               .get(pk=message_id))
    if channel is not UNSET:
        if channel not in Message.Channel.values:
            raise ValidationError({"channel": gettext("is one of %(channels)s.") % {"channels": CHANNELS}})
        message.channel = channel
    if direction is not UNSET:
        if direction not in Message.Direction.values:
            raise ValidationError({"direction": gettext("is “out” or “in”.")})
        message.direction = direction
    if body is not UNSET:
        message.body = clean_text(body, field="body", max_length=MAX_MESSAGE)
    if sent_at is not UNSET:
        message.sent_at = not_future(aware(sent_at, "sent_at"), "sent_at")
    message.save()
    if sent_at is not UNSET and message.contact.stay_in_touch_days:
        touch_schedule(message.contact)
    return message


@transaction.atomic
def message_delete(*, owner, message_id) -> None:
    message = Message.objects.owned_by(owner).select_related("contact").filter(pk=message_id).first()
    if message is None:
        raise Message.DoesNotExist
    message.delete()
    if message.contact.stay_in_touch_days:
        touch_schedule(message.contact)


@transaction.atomic
def message_unsend(*, owner, message_id) -> None:
    """"Didn't send" (or "didn't happen"): a message logged by a tap is taken back whole — gone from the log, the
    reach-out it counted today taken off, and the contact's last contact back to the message before."""
    message = Message.objects.owned_by(owner).select_related("contact").get(pk=message_id)
    contact = message.contact
    counted_today = (message.direction == Message.Direction.OUT
                     and timezone.localtime(message.created_at, zone_for(owner)).date() == today_for(owner))
    message_delete(owner=owner, message_id=message.pk)
    if message.direction == Message.Direction.OUT:
        last = (Message.objects.filter(owner=owner, contact=contact, direction=Message.Direction.OUT)
                .aggregate(at=Max("sent_at"))["at"])
        Contact.objects.filter(pk=contact.pk).update(last_contacted_at=last)
    if counted_today:
        ActivityDay.objects.filter(owner=owner, day=today_for(owner), reach_outs__gt=0).update(
            reach_outs=F("reach_outs") - 1)
