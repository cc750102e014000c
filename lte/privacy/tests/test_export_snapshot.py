"""An export taken while the seller keeps editing is one consistent snapshot (a real instance, real commits)."""

import pytest

from lte.testing.instance import Instance

SCRIPT = """
import csv, io, json, threading, zipfile, django
django.setup()
from lte.accounts.models import User
from lte.crm.models import Contact
from lte.crm.services.contacts import ContactData, contact_create, contact_update
from lte.privacy.exports import zip_stream
from lte.vault.context import acting_for
from django.db import connection

user = User.objects.create_user("seller@example.com", "pw-long-enough-1", name="Seller")
with acting_for(user.pk):
    first = contact_create(owner=user, first_name="Before")
    for i in range(2):
        contact_create(owner=user, first_name=f"Old{i}")

chunks = []
stream = zip_stream(user)
chunks.append(next(stream))  # the snapshot is taken by now

def edit():
    with acting_for(user.pk):
        contact_create(owner=user, first_name="AddedDuringExport")
        contact_update(owner=user, contact_id=first.pk, data=ContactData(first_name="RenamedDuringExport"))
    connection.close()

worker = threading.Thread(target=edit)
worker.start(); worker.join()
chunks.extend(stream)
archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
names = sorted(r["first_name"] for r in csv.DictReader(io.StringIO(archive.read("contacts.csv").decode())))
print(json.dumps({"exported": names, "live": sorted(Contact.objects.values_list("first_name", flat=True))}))
"""


@pytest.mark.slow
def test_an_export_during_edits_is_a_consistent_snapshot(tmp_path):
    instance = Instance(tmp_path)
    try:
        instance.migrate()
        import json

        result = json.loads(instance.python(SCRIPT))
    finally:
        instance.close()
    assert result["exported"] == ["Before", "Old0", "Old1"]
    assert result["live"] == ["AddedDuringExport", "Old0", "Old1", "RenamedDuringExport"]
