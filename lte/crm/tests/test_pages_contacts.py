"""The contact pages: list and search, detail, edit, delete, notes, messages, follow-ups, duplicates and
templates opened pre-filled in the phone's own apps."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from django.utils.html import escape

from lte.crm.models import ActivityDay, Contact, Message, MessageTemplate, Note
from lte.crm.services.contacts import contact_set_stage
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.crm.services.templates import template_save
from lte.crm.tests.test_pages import HTMX, assert_csp_clean, make_contact, make_followup, reload
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]*)"')


def hrefs(page: str) -> list[str]:
    return [html_lib.unescape(h) for h in HREF.findall(page)]


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- The list: search as you type, filters, sorts, keyset "load more" ----------------------------------------


def test_the_list_shows_name_stage_and_tags(alice_client, alice):
    make_contact(alice, "Zoë", "Martínez", tags=["vip", "gym"])
    page = get(alice_client, "/app/contacts/")
    row = page.split('id="contact-rows"', 1)[1]
    assert "Zoë" in row and "Martínez" in row and "New lead" in row and ">vip<" in row and ">gym<" in row
    assert "1 contact" in page


def test_search_as_you_type_returns_only_the_rows_to_htmx(alice_client, alice):
    make_contact(alice, "Zoë", "Martínez")
    make_contact(alice, "Tom", "Baker", phones=["+14155550100"])
    full = get(alice_client, "/app/contacts/?q=zo")
    assert "<html" in full and 'hx-get="/app/contacts/"' in full and 'hx-target="#contact-results"' in full
    assert "keyup changed delay:300ms" in full
    response = alice_client.get("/app/contacts/?q=zo", **HTMX)
    partial = response.content.decode()
    assert "<html" not in partial and 'id="contact-rows"' in partial
    assert "Martínez" in partial and "Baker" not in partial
    assert "HX-Request" in response["Vary"]
    by_phone = alice_client.get("/app/contacts/?q=415 555 0100", **HTMX).content.decode()
    assert "Baker" in by_phone and "Martínez" not in by_phone
    nothing = alice_client.get("/app/contacts/?q=nobody", **HTMX).content.decode()
    assert "No contacts match." in nothing


def test_a_history_restore_gets_the_whole_page(alice_client, alice):
    response = alice_client.get("/app/contacts/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_filtering_by_tag_and_stage_and_sorting(alice_client, alice):
    ana = make_contact(alice, "Ana", "Silva", tags=["vip"])
    make_contact(alice, "Bea", "Costa", tags=["gym"])
    contact_set_stage(owner=alice, contact_id=ana.pk, stage="customer")
    by_tag = alice_client.get("/app/contacts/?tag=vip", **HTMX).content.decode()
    assert "Silva" in by_tag and "Costa" not in by_tag
    by_stage = alice_client.get("/app/contacts/?stage=new-lead", **HTMX).content.decode()
    assert "Costa" in by_stage and "Silva" not in by_stage
    newest = alice_client.get("/app/contacts/?sort=-created", **HTMX).content.decode()
    assert newest.index("Costa") < newest.index("Silva")
    message_log(owner=alice, contact_id=ana.pk, channel="sms", body="hi")
    recent = alice_client.get("/app/contacts/?sort=-last_contacted", **HTMX).content.decode()
    assert recent.index("Silva") < recent.index("Costa") and "never contacted" in recent
    page = get(alice_client, "/app/contacts/?tag=vip&sort=-created")
    assert '<option value="vip" selected>' in page and '<option value="-created" selected>' in page
    assert get(alice_client, "/app/contacts/?sort=owner_id")  # an unknown sort falls back to names


def test_load_more_pages_with_the_keyset_cursor(alice_client, alice):
    for i in range(55):
        make_contact(alice, f"Lead{i:02d}", "Person", tags=["batch"])
    first = alice_client.get("/app/contacts/?tag=batch", **HTMX).content.decode()
    assert first.count('class="row"') == 50 and "55 contacts" in first
    more = html_lib.unescape(re.search(r'hx-get="([^"]*cursor=[^"]*)"', first).group(1))
    assert "tag=batch" in more and "offset" not in more
    second = alice_client.get(more, **HTMX).content.decode()
    assert second.count('class="row"') == 5 and "Lead54" in second and "Lead00" not in second
    assert 'id="contact-rows"' not in second and "cursor=" not in second  # rows only, and the end
    without_js = get(alice_client, more)
    assert "Lead54" in without_js and "<html" in without_js
    assert "Lead00" in get(alice_client, "/app/contacts/?cursor=garbage")  # a bad cursor starts again


# --- Adding and editing -------------------------------------------------------------------------------------


def test_quick_add_from_today_opens_the_new_contact(alice_client, alice):
    response = alice_client.post("/app/contacts/quick", {"first_name": "Nia", "last_name": "Obi",
                                                         "phone": "+44 7700 900123", "email": "nia@example.com"})
    assert response.status_code == 302
    contact = Contact.objects.get(owner=alice)
    assert response["Location"] == f"/app/contacts/{contact.pk}/"
    contact = reload(contact)
    assert (contact.first_name, contact.phones, contact.emails) == ("Nia", ["+447700900123"], ["nia@example.com"])


def test_quick_add_with_a_mistake_opens_the_full_form_with_what_was_typed(alice_client, alice):
    response = alice_client.post("/app/contacts/quick", {"first_name": "Nia", "email": "not-an-email"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not an email address" in page and 'value="Nia"' in page and "not-an-email" in page
    assert not Contact.objects.filter(owner=alice).exists()
    assert alice_client.post("/app/contacts/quick", {}).status_code == 400  # nothing at all


def test_the_full_form_creates_and_edits_every_field(alice_client, alice):
    form = {"first_name": "Zoë", "last_name": "Martínez", "phones": "+34 612 345 678\n+34 698 765 432",
            "emails": "zoe@example.com", "stage": "presented", "tags": "vip, gym", "source": "event",
            "address": "Calle Mayor 1\nMadrid", "birthday": "1990-05-17", "customer_since": "",
            "reorder_every_days": "30", "social": "instagram: @zoe"}
    response = alice_client.post("/app/contacts/new", form)
    assert response.status_code == 302
    contact = reload(Contact.objects.get(owner=alice))
    assert contact.phones == ["+34612345678", "+34698765432"] and contact.stage.slug == "presented"
    assert sorted(t.name for t in contact.tags.all()) == ["gym", "vip"]
    assert contact.social == {"instagram": "@zoe"} and contact.reorder_every_days == 30
    edit = get(alice_client, f"/app/contacts/{contact.pk}/edit")
    assert "+34698765432" in edit and 'value="@zoe"' in edit and 'value="gym, vip"' in edit
    form |= {"last_name": "Ruiz", "phones": "", "tags": "vip", "social": "", "address": ""}
    response = alice_client.post(f"/app/contacts/{contact.pk}/edit", form)
    assert response.status_code == 302 and response["Location"] == f"/app/contacts/{contact.pk}/"
    contact = reload(contact)
    assert (contact.last_name, contact.phones, contact.social, contact.address) == ("Ruiz", [], None, None)
    assert [t.name for t in contact.tags.all()] == ["vip"]


def test_the_form_shows_the_services_errors(alice_client, alice):
    response = alice_client.post("/app/contacts/new", {"first_name": "", "phones": "12", "stage": "new-lead"})
    assert response.status_code == 400 and "is not a phone number" in response.content.decode()
    response = alice_client.post("/app/contacts/new", {"first_name": "X", "stage": "new-lead", "social": "nonsense"})
    assert response.status_code == 400 and "network: handle" in response.content.decode()
    assert not Contact.objects.filter(owner=alice).exists()


def test_deleting_a_contact_asks_first(alice_client, alice):
    contact = make_contact(alice)
    note_create(owner=alice, contact=contact, body="private")
    confirm = get(alice_client, f"/app/contacts/{contact.pk}/delete")
    assert "Delete this contact?" in confirm and f'action="/app/contacts/{contact.pk}/delete"' in confirm
    assert Contact.objects.filter(pk=contact.pk).exists()
    response = alice_client.post(f"/app/contacts/{contact.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/app/contacts/"
    assert not Contact.objects.filter(pk=contact.pk).exists() and not Note.objects.filter(owner=alice).exists()


# --- The contact page -----------------------------------------------------------------------------------------


def test_one_tap_stage_change(alice_client, alice):
    contact = make_contact(alice)
    page = get(alice_client, f"/app/contacts/{contact.pk}/")
    assert 'name="stage" value="presented" class="chip" dir="auto" aria-pressed="false"' in page
    assert 'value="new-lead" class="chip" dir="auto" aria-pressed="true"' in page
    response = alice_client.post(f"/app/contacts/{contact.pk}/stage", {"stage": "presented"})
    assert response["Location"] == f"/app/contacts/{contact.pk}/"
    assert reload(contact).stage.slug == "presented"


def test_notes_are_added_edited_and_deleted(alice_client, alice):
    contact = make_contact(alice)
    response = alice_client.post(f"/app/contacts/{contact.pk}/notes", {"note-body": "Likes the\nskincare line"})
    assert response.status_code == 302
    note = reload(Note.objects.get(owner=alice))
    assert note.body == "Likes the\nskincare line"
    assert "Likes the<br>skincare line" in get(alice_client, f"/app/contacts/{contact.pk}/")
    response = alice_client.post(f"/app/notes/{note.pk}/edit", {"body": "Loves the skincare line"})
    assert response["Location"] == f"/app/contacts/{contact.pk}/"
    assert reload(note).body == "Loves the skincare line"
    response = alice_client.post(f"/app/notes/{note.pk}/delete")
    assert response["Location"] == f"/app/contacts/{contact.pk}/"
    assert not Note.objects.filter(owner=alice).exists()


def test_an_empty_note_is_refused_on_the_contact_page(alice_client, alice):
    contact = make_contact(alice)
    response = alice_client.post(f"/app/contacts/{contact.pk}/notes", {"note-body": "   "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page and "<details class=\"card\" open>" in page
    assert not Note.objects.filter(owner=alice).exists()


def test_logging_a_message_counts_a_reach_out(alice_client, alice):
    contact = make_contact(alice)
    response = alice_client.post(f"/app/contacts/{contact.pk}/messages",
                                 {"msg-channel": "whatsapp", "msg-direction": "out", "msg-body": "Hi Ana!"})
    assert response.status_code == 302
    message = reload(Message.objects.get(owner=alice))
    assert (message.channel, message.direction, message.body) == ("whatsapp", "out", "Hi Ana!")
    assert ActivityDay.objects.get(owner=alice).reach_outs == 1
    assert reload(contact).last_contacted_at is not None
    bad = alice_client.post(f"/app/contacts/{contact.pk}/messages", {"msg-channel": "pigeon", "msg-direction": "out"})
    assert bad.status_code == 400


def test_adding_a_follow_up_in_one_tap_or_at_a_chosen_time(alice_client, alice):
    alice.timezone = "America/New_York"
    alice.save(update_fields=["timezone"])
    contact = make_contact(alice)
    response = alice_client.post(f"/app/contacts/{contact.pk}/followups", {"fu-title": "", "fu-in_days": "3"})
    assert response.status_code == 302
    response = alice_client.post(f"/app/contacts/{contact.pk}/followups",
                                 {"fu-title": "Bring samples", "fu-due_at": "2030-01-15T18:00"})
    assert response.status_code == 302
    with acting_for(alice.pk):
        followups = {f.title: f for f in contact.followups.all()}
    local_today = timezone.now().astimezone(timezone.get_fixed_timezone(0)).date()
    assert followups["Follow up"].due_at.date() >= local_today + timedelta(days=2)
    assert followups["Bring samples"].due_at == datetime(2030, 1, 15, 23, 0, tzinfo=UTC)  # 18:00 in New York
    refused = alice_client.post(f"/app/contacts/{contact.pk}/followups", {"fu-title": "When?"})
    assert refused.status_code == 400 and "Pick when" in refused.content.decode()


def test_the_timeline_merges_everything_newest_first(alice_client, alice):
    contact = make_contact(alice)
    now = timezone.now()
    message_log(owner=alice, contact_id=contact.pk, channel="sms", body="first words",
                         sent_at=now - timedelta(days=3))
    contact_set_stage(owner=alice, contact_id=contact.pk, stage="contacted")
    note_create(owner=alice, contact=contact, body="a note")
    make_followup(alice, contact, "ring again", at=now + timedelta(days=2))
    page = get(alice_client, f"/app/contacts/{contact.pk}/")
    timeline = page.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.count('class="tl ') == 4
    assert timeline.index("ring again") < timeline.index("a note") < timeline.index("first words")
    assert "New lead</span> → <strong" in timeline and "SMS · Sent" in timeline


def test_duplicates_are_found_by_email_or_phone_and_merged(alice_client, alice):
    keep = make_contact(alice, "Ana", "Silva", emails=["ana@example.com"])
    dup = make_contact(alice, "Ana", "S.", emails=["ANA@example.com"], phones=["+14155550100"])
    note_create(owner=alice, contact=dup, body="note on the duplicate")
    make_contact(alice, "Someone", "Else", emails=["else@example.com"])
    page = get(alice_client, f"/app/contacts/{keep.pk}/")
    section = page.split('id="dup-h"', 1)[1].split("</section>", 1)[0]
    assert "Ana S." in section and "Someone" not in section
    assert f'href="/app/contacts/{keep.pk}/merge/{dup.pk}"' in section
    confirm = get(alice_client, f"/app/contacts/{keep.pk}/merge/{dup.pk}")
    assert "Merge into this one" in confirm and Contact.objects.filter(pk=dup.pk).exists()
    response = alice_client.post(f"/app/contacts/{keep.pk}/merge/{dup.pk}")
    assert response["Location"] == f"/app/contacts/{keep.pk}/"
    assert not Contact.objects.filter(pk=dup.pk).exists()
    keep = reload(keep)
    assert keep.phones == ["+14155550100"] and Note.objects.filter(contact=keep).count() == 1
    response = alice_client.post(f"/app/contacts/{keep.pk}/merge/{keep.pk}", follow=True)
    assert "can&#x27;t be merged into itself" in response.content.decode()


# --- Escaping and reaching out ------------------------------------------------------------------------------


def test_hostile_names_and_notes_are_escaped_everywhere(alice_client, alice):
    evil = "<script>alert(1)</script>"
    contact = make_contact(alice, evil, '"><img src=x onerror=alert(2)>', tags=["<b>tag</b>"])
    note_create(owner=alice, contact=contact, body="<iframe src=//evil>")
    make_followup(alice, contact, "<svg onload=alert(3)>", at=timezone.now() + timedelta(minutes=5))
    template = template_save(owner=alice, name="<i>t</i>", body="Hi {first_name}")
    pages = [get(alice_client, url) for url in (
        "/app/", "/app/contacts/", f"/app/contacts/{contact.pk}/", "/app/board/", "/app/followups/",
        f"/app/contacts/{contact.pk}/compose?template={template.pk}", f"/app/contacts/{contact.pk}/edit",
        "/app/templates/")]
    pages.append(alice_client.get("/app/contacts/?q=alert", **HTMX).content.decode())
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and "<iframe" not in page
        assert "<svg onload" not in page and "<b>tag" not in page and "<i>t</i>" not in page
        assert_csp_clean(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2]
    assert "&lt;iframe src=//evil&gt;" in pages[2]
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;" in pages[5]


def test_user_text_is_marked_dir_auto_for_rtl(alice_client, alice):
    contact = make_contact(alice, "مريم", "الحسن")
    page = get(alice_client, f"/app/contacts/{contact.pk}/")
    assert '<h1 dir="auto">مريم الحسن</h1>' in page
    assert '<span class="row-name" dir="auto">مريم الحسن</span>' in get(alice_client, "/app/contacts/")


def test_quick_actions_link_to_the_phones_own_apps(alice_client, alice):
    contact = make_contact(alice, phones=["+34 612 345 678"], emails=["ana+crm@example.com"])
    links = hrefs(get(alice_client, f"/app/contacts/{contact.pk}/"))
    assert "tel:+34612345678" in links and "sms:+34612345678" in links
    assert "https://wa.me/34612345678" in links and "mailto:ana+crm@example.com" in links
    page = get(alice_client, f"/app/contacts/{contact.pk}/")
    assert 'href="https://wa.me/34612345678" target="_blank" rel="noopener noreferrer"' in page


def test_a_template_opens_pre_filled_with_emoji_and_rtl_encoded(alice_client, alice):
    alice.name = "Maria 🌸"
    alice.save(update_fields=["name"])
    contact = make_contact(alice, "مريم", "Zoë 😀", phones=["+971 50 123 4567"], emails=["m@example.com"])
    template = template_save(owner=alice, name="Hello", channel="whatsapp", subject="Hi {first_name}",
                                      body="Hi {first_name} & {last_name}!\nIt's {my_name}? #1 100%")
    page = get(alice_client, f"/app/contacts/{contact.pk}/compose?template={template.pk}")
    text = "Hi مريم & Zoë 😀!\nIt's Maria 🌸? #1 100%"
    assert f'maxlength="20000">{escape(text)}</textarea>' in page
    encoded = quote(text, safe="")
    assert "%F0%9F%98%80" in encoded and "%D9%85%D8%B1%D9%8A%D9%85" in encoded and "%0A" in encoded
    links = hrefs(page)
    assert f"sms:+971501234567?&body={encoded}" in links
    assert f"https://wa.me/971501234567?text={encoded}" in links
    mail_body = quote(text.replace("\n", "\r\n"), safe="")
    assert f"mailto:m@example.com?subject={quote('Hi مريم', safe='')}&body={mail_body}" in links
    for link in links:
        if link.startswith(("sms:", "https://wa.me/", "mailto:")):
            assert " " not in link and "\n" not in link and "#" not in link
    assert 'data-base="sms:+971501234567?&amp;body="' in page
    assert '<input type="radio" name="channel" value="whatsapp" checked>' in page


def test_mark_as_sent_logs_the_message_and_a_reach_out(alice_client, alice):
    contact = make_contact(alice, phones=["+14155550100"])
    response = alice_client.post(f"/app/contacts/{contact.pk}/compose/sent",
                                 {"channel": "whatsapp", "body": "Hi Ana, it's Alice!"})
    assert response.status_code == 302 and response["Location"] == f"/app/contacts/{contact.pk}/"
    message = reload(Message.objects.get(owner=alice))
    assert (message.channel, message.direction, message.body) == ("whatsapp", "out", "Hi Ana, it's Alice!")
    assert ActivityDay.objects.get(owner=alice).reach_outs == 1
    response = alice_client.post(f"/app/contacts/{contact.pk}/compose/sent", {"channel": "carrier-pigeon"})
    assert response.status_code == 302 and Message.objects.filter(owner=alice).count() == 1


def test_compose_without_a_template_and_with_a_missing_one(alice_client, alice):
    contact = make_contact(alice)
    page = get(alice_client, f"/app/contacts/{contact.pk}/compose")
    assert "no phone number or email" in page and "Write your first script" in page
    assert alice_client.get(f"/app/contacts/{contact.pk}/compose?template=nonsense").status_code == 404


# --- Templates --------------------------------------------------------------------------------------------------


def test_templates_are_created_edited_and_deleted(alice_client, alice):
    response = alice_client.post("/app/templates/new", {"name": "Opener", "channel": "sms", "subject": "",
                                                        "body": "Hi {first_name}, it's {my_name}!"})
    assert response.status_code == 302 and response["Location"] == "/app/templates/"
    template = MessageTemplate.objects.get(owner=alice)
    assert "Hi {first_name}, it&#x27;s {my_name}!" in get(alice_client, "/app/templates/")
    response = alice_client.post(f"/app/templates/{template.pk}/edit", {"name": "Opener 2", "channel": "email",
                                                                        "subject": "Hello", "body": "Hey"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.channel, template.subject, template.body) == ("Opener 2", "email", "Hello", "Hey")
    assert "Delete this template?" in get(alice_client, f"/app/templates/{template.pk}/delete")
    assert alice_client.post(f"/app/templates/{template.pk}/delete").status_code == 302
    assert not MessageTemplate.objects.filter(owner=alice).exists()
    assert alice_client.post("/app/templates/new", {"name": "", "channel": "sms", "body": ""}).status_code == 400


def test_the_script_form_offers_each_placeholder_as_a_button(alice_client):
    from lte.crm.services.templates import PLACEHOLDER

    page = alice_client.get("/app/templates/new").content.decode()
    offered = set(re.findall(r'data-insert="(\{\w+\})" data-target="id_body"', page))
    assert offered == {"{" + name + "}" for name in PLACEHOLDER.pattern[3:-3].split("|")}
    assert "Tap to insert" in page
