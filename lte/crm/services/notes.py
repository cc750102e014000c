"""Notes on a contact."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from lte.crm.models import Contact, Note
from lte.crm.services.normalise import clean_text

MAX_NOTE = 20_000


@transaction.atomic
def note_create(*, owner, contact: Contact | None = None, contact_id=None, body: str) -> Note:
    # Always re-read through the owner's queryset: a contact object of another account is a missing row.
    contact = Contact.objects.owned_by(owner).get(pk=contact.pk if contact is not None else contact_id)
    note = Note.objects.create(owner=owner, contact=contact,
                               body=clean_text(body, field="body", max_length=MAX_NOTE, required=True))
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return note


@transaction.atomic
def note_update(*, owner, note_id, body: str) -> Note:
    note = Note.objects.owned_by(owner).select_for_update().get(pk=note_id)
    note.body = clean_text(body, field="body", max_length=MAX_NOTE, required=True)
    note.updated_at = timezone.now()
    note.save(update_fields=["body", "updated_at"])
    return note


@transaction.atomic
def note_delete(*, owner, note_id) -> None:
    deleted, _ = Note.objects.owned_by(owner).filter(pk=note_id).delete()
    if not deleted:
        raise Note.DoesNotExist
