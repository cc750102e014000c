"""Message templates and their placeholders."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from lte.crm.models import Contact, Message, MessageTemplate
from lte.crm.services.normalise import clean_text

PLACEHOLDER = re.compile(r"\{(first_name|last_name|full_name|my_name)\}")


def template_render(template: MessageTemplate, contact: Contact, sender) -> str:
    values = {"first_name": contact.first_name, "last_name": contact.last_name,
              "full_name": f"{contact.first_name} {contact.last_name}".strip(), "my_name": sender.name}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template.body)


@transaction.atomic
def template_save(*, owner, template_id=None, name: str, body: str, channel: str = "sms",
                  subject: str = "") -> MessageTemplate:
    if channel not in Message.Channel.values:
        raise ValidationError({"channel": f"is one of {', '.join(Message.Channel.values)}."})
    template = (MessageTemplate.objects.owned_by(owner).get(pk=template_id) if template_id
                else MessageTemplate(owner=owner))
    template.name = clean_text(name, field="name", max_length=80, required=True)
    template.body = clean_text(body, field="body", max_length=5000, required=True)
    template.subject = clean_text(subject, field="subject", max_length=200)
    template.channel = channel
    template.save()
    return template


@transaction.atomic
def template_delete(*, owner, template_id) -> None:
    deleted, _ = MessageTemplate.objects.owned_by(owner).filter(pk=template_id).delete()
    if not deleted:
        raise MessageTemplate.DoesNotExist
