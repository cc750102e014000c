"""In-place saves (issue 15 part 2): htmx posts on the contact page and the board get the page as it is now, the
saved item marked for focus; without htmx the same posts redirect as before, scrolled to the new item."""

import html
import re

import pytest

from lte.crm.models import Contact, FollowUp, Note
from lte.crm.services import contacts, stages

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def carla(alice):
    return contacts.contact_create(owner=alice, first_name="Carla", last_name="Reyes")


def test_a_note_saved_with_htmx_comes_back_in_the_page_marked_fresh(alice_client, carla):
    response = alice_client.post(f"/app/contacts/{carla.pk}/notes", {"note-body": "Loves the lavender one"}, **HX)
    assert response.status_code == 200
    note = Note.objects.get(contact=carla)
    html = response.content.decode()
    assert 'id="contact-page"' in html and "Loves the lavender one" in html
    assert re.search(rf'id="note-{note.pk}" tabindex="-1" data-fresh', html)
    assert 'role="status">Note saved.' in html


def test_a_note_saved_without_htmx_redirects_to_it(alice_client, carla):
    response = alice_client.post(f"/app/contacts/{carla.pk}/notes", {"note-body": "Call after six"})
    note = Note.objects.get(contact=carla)
    assert response.status_code == 302 and response["Location"].endswith(f"#note-{note.pk}")


def test_a_refused_note_comes_back_400_with_the_form_for_htmx_to_swap(alice_client, carla):
    response = alice_client.post(f"/app/contacts/{carla.pk}/notes", {"note-body": ""}, **HX)
    assert response.status_code == 400 and 'id="contact-page"' in response.content.decode()
    assert not Note.objects.filter(contact=carla).exists()


def test_a_followup_and_a_message_saved_in_place(alice_client, carla):
    response = alice_client.post(f"/app/contacts/{carla.pk}/followups",
                                 {"fu-title": "Samples", "fu-in_days": "1"}, **HX)
    followup = FollowUp.objects.get(contact=carla)
    assert response.status_code == 200
    assert re.search(rf'id="fu-{followup.pk}" tabindex="-1" data-fresh', response.content.decode())
    response = alice_client.post(f"/app/contacts/{carla.pk}/messages",
                                 {"msg-channel": "sms", "msg-direction": "out", "msg-body": "Hi!"}, **HX)
    assert response.status_code == 200 and "data-fresh" in response.content.decode()


def test_the_stage_changes_in_place_and_the_board_move_follows_to_the_board(alice_client, alice, carla):
    customer = stages.stages_of(alice)[-1]
    response = alice_client.post(f"/app/contacts/{carla.pk}/stage", {"stage": customer.slug}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="stage-picker" data-fresh' in html
    assert Contact.objects.get(pk=carla.pk).stage == customer
    first = stages.stages_of(alice)[0]
    response = alice_client.post(f"/app/contacts/{carla.pk}/stage",
                                 {"stage": first.slug, "next": "/app/board/#col-x"}, **HX)
    assert response.status_code == 302 and response["Location"] == f"/app/board/?moved={carla.pk}"
    board = alice_client.get(response["Location"]).content.decode()
    assert re.search(rf'id="card-{carla.pk}" tabindex="-1" data-fresh', board) and 'id="board"' in board
    assert "Not contacted yet" in board


def test_load_more_pushes_a_url_that_shows_every_row_again_on_back(alice_client, alice):
    for i in range(120):
        contacts.contact_create(owner=alice, first_name=f"Lead{i:03d}", last_name="Person")
    first = alice_client.get("/app/contacts/", **HX).content.decode()
    pushed = html.unescape(re.search(r'hx-push-url="([^"]*)"', first).group(1))
    more = html.unescape(re.search(r'hx-get="([^"]*cursor=[^"]*)"', first).group(1))
    assert pushed == "/app/contacts/?sort=name&rows=100" and "shown=50" in more
    second = alice_client.get(more, **HX).content.decode()
    assert second.count('class="row"') == 50 and "shown=100" in second and "rows=150" in second
    back = alice_client.get(pushed).content.decode()  # Back: the whole page, with the 100 rows it had
    assert "<html" in back and back.count('class="row"') == 100 and "Lead099" in back and "Lead100" not in back
    assert "shown=100" in back
    assert alice_client.get("/app/contacts/?rows=nonsense").status_code == 200
    assert alice_client.get("/app/contacts/?rows=99999").content.decode().count('class="row"') == 120
