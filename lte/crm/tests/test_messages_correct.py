"""The conversation log can be corrected and deleted by its owner, and by nobody else."""

import pytest

from lte.crm.models import Message
from lte.crm.services.contacts import contact_create
from lte.crm.services.messages import message_log
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(alice):
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Ola")
        return message_log(owner=alice, contact_id=contact.pk, channel="sms", body="Hi Ola, typo here")


def test_the_owner_corrects_a_logged_message(alice, message):
    response = bearer_client(alice).patch(f"/api/v1/messages/{message.pk}", {"body": "Hi Ola!", "channel": "whatsapp"},
                                       content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["body"], response.json()["channel"]) == ("Hi Ola!", "whatsapp")


def test_bad_corrections_are_refused_whole(alice, message):
    response = bearer_client(alice).patch(f"/api/v1/messages/{message.pk}", {"body": "ok", "channel": "pigeon"},
                                       content_type="application/json")
    assert response.status_code == 400
    with acting_for(alice.pk):
        assert Message.objects.get(pk=message.pk).body == "Hi Ola, typo here"


def test_the_owner_deletes_a_logged_message_and_bob_cannot(alice, bob, message):
    assert bearer_client(bob).delete(f"/api/v1/messages/{message.pk}").status_code == 404
    assert bearer_client(bob).patch(f"/api/v1/messages/{message.pk}", {"body": "x"},
                                 content_type="application/json").status_code == 404
    assert bearer_client(alice).delete(f"/api/v1/messages/{message.pk}").status_code == 204
    assert not Message.objects.filter(pk=message.pk).exists()
