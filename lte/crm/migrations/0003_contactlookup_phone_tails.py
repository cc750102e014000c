"""Back-fills the blind index of every phone's last 4 digits (ContactLookup kind "tail4"), so that "0142"
finds the contacts made before search by a number's ending existed.

Each contact's phones are opened acting for its owner (the vault's guard), a batch at a time; the digests
are those services._index_contact writes: blind_index(owner, "tail4", last 4 digits of the E.164 number).
The kind and the rule are written out here, as they were when this ran, not imported from the services.
"""

import uuid

from django.db import migrations

from lte.vault.blind import blind_index
from lte.vault.context import acting_for
from lte.vault.crypto import VaultError
from lte.vault.fields import open_raw

TAIL, TAIL_DIGITS = "tail4", 4
BATCH = 2000


def _tails(phones):
    tails = []
    for phone in phones:
        digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
        if len(digits) >= TAIL_DIGITS and digits[-TAIL_DIGITS:] not in tails:
            tails.append(digits[-TAIL_DIGITS:])
    return tails


def add_phone_tails(apps, schema_editor):
    Contact = apps.get_model("crm", "Contact")
    ContactLookup = apps.get_model("crm", "ContactLookup")
    db = schema_editor.connection.alias
    reach = Contact._meta.get_field("reach")  # the vault's EncryptedField: it opens what the app sealed
    ContactLookup.objects.using(db).filter(kind=TAIL).delete()  # a re-run writes them once
    with_reach = Contact.objects.using(db).filter(reach__isnull=False).order_by("pk")
    last = None
    while batch := list((with_reach.filter(pk__gt=last) if last else with_reach)
                        .values_list("pk", "owner_id", "reach")[:BATCH]):
        rows = []
        for pk, owner_id, sealed in batch:
            try:
                with acting_for(owner_id):
                    phones = (open_raw(reach, pk=pk, owner_id=owner_id, token=sealed) or {}).get("phones", [])
                digests = [blind_index(owner_id, TAIL, tail) for tail in _tails(phones)]
            except VaultError:
                # A deleted account whose rows the tombstone job hasn't removed yet: its keys are gone,
                # and so is any need to search it.
                continue
            rows += [ContactLookup(id=uuid.uuid4(), owner_id=owner_id, contact_id=pk, kind=TAIL, digest=digest)
                     for digest in digests]
        ContactLookup.objects.using(db).bulk_create(rows)
        last = batch[-1][0]


def remove_phone_tails(apps, schema_editor):
    ContactLookup = apps.get_model("crm", "ContactLookup")
    ContactLookup.objects.using(schema_editor.connection.alias).filter(kind=TAIL).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0002_contact_card"),
    ]

    operations = [
        migrations.RunPython(add_phone_tails, remove_phone_tails),
    ]
