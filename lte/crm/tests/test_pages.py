"""The CRM pages: Today, follow-ups, activity, the board and stages (contacts: test_pages_contacts.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.utils import timezone

from lte.crm.models import ActivityDay, ActivityGoal, Contact, FollowUp, Stage
from lte.crm.services.activity import activity_add
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create, followup_update
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.crm.services.stages import stages_of
from lte.crm.services.templates import template_save
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        self.found += [f"<{tag} {name}>" for name in names if name == "style" or name.startswith("on")]
        if tag in ("script", "style") and (tag == "style" or "src" not in names):
            self.found.append(f"inline <{tag}>")


def assert_csp_clean(html: str) -> None:
    """No inline styles, scripts or event handlers: the CSP would block them."""
    assert 'style="' not in html and "<script>" not in html
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    finder = _InlineFinder()
    finder.feed(html)
    assert not finder.found, finder.found


@pytest.fixture
def noon():
    with time_machine.travel(NOON, tick=False):
        yield NOON


def reload(obj):
    """A fresh copy from the database, its encrypted fields opened as the owner (tests run outside a request)."""
    with acting_for(obj.owner_id):
        fresh = type(obj).objects.get(pk=obj.pk)
        for field in fresh._meta.concrete_fields:
            getattr(fresh, field.attname)
    return fresh


def make_contact(owner, first="Ana", last="Silva", **fields) -> Contact:
    return contact_create(owner=owner, first_name=first, last_name=last, **fields)


def make_followup(owner, contact, title="Call back", *, at) -> FollowUp:
    return followup_create(owner=owner, contact_id=contact.pk, title=title, due_at=at)


# --- Every page renders, with nothing inline ------------------------------------------------------------


def test_every_crm_page_renders_for_alice_without_inline_style_or_script(alice_client, alice):
    contact = make_contact(alice, phones=["+14155550100"], emails=["ana@example.com"], tags=["vip"])
    other = make_contact(alice, "Ana", "Dup", emails=["ana@example.com"])
    note = note_create(owner=alice, contact=contact, body="Met at the gym")
    message_log(owner=alice, contact_id=contact.pk, channel="sms", body="Hi!")
    followup = make_followup(alice, contact, at=timezone.now() + timedelta(hours=1))
    template = template_save(owner=alice, name="Opener", body="Hi {first_name}", subject="Hey")
    urls = ["/app/", "/app/contacts/", "/app/contacts/?q=ana&sort=-created", "/app/contacts/new",
            f"/app/contacts/{contact.pk}/", f"/app/contacts/{contact.pk}/edit", f"/app/contacts/{contact.pk}/delete",
            f"/app/contacts/{contact.pk}/merge/{other.pk}", f"/app/contacts/{contact.pk}/compose",
            f"/app/contacts/{contact.pk}/compose?template={template.pk}", f"/app/notes/{note.pk}/edit",
            "/app/followups/", "/app/followups/?due=overdue", "/app/followups/?due=upcoming",
            f"/app/followups/{followup.pk}/edit", "/app/templates/", "/app/templates/new",
            f"/app/templates/{template.pk}/edit", f"/app/templates/{template.pk}/delete", "/app/board/",
            "/app/activity/", "/app/stages/"]
    for url in urls:
        response = alice_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_csp_clean(html)
        assert 'class="crm-nav"' in html, url


def test_the_htmx_partials_have_nothing_inline_either(alice_client, alice):
    contact = make_contact(alice)
    followup = make_followup(alice, contact, at=timezone.now() + timedelta(hours=1))
    partials = [alice_client.get("/app/contacts/?q=an", **HTMX),
                alice_client.post(f"/app/followups/{followup.pk}/done", {"counters": "1"}, **HTMX),
                alice_client.post(f"/app/followups/{followup.pk}/undo", {"deletable": "1"}, **HTMX),
                alice_client.post(f"/app/followups/{followup.pk}/snooze", **HTMX),
                alice_client.post("/app/activity/add", {"counter": "presentations"}, **HTMX)]
    for response in partials:
        assert response.status_code == 200
        assert_csp_clean(response.content.decode())


def test_pages_need_a_login(client):
    for url in ["/app/", "/app/contacts/", "/app/board/", "/app/followups/", "/app/templates/", "/app/activity/",
                "/app/stages/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login"), url


# --- Today ------------------------------------------------------------------------------------------------


def test_today_shows_what_is_due_today_overdue_and_in_the_next_week(alice_client, alice, noon):
    contact = make_contact(alice)
    make_followup(alice, contact, "Due this afternoon", at=noon + timedelta(hours=3))
    make_followup(alice, contact, "Forgotten last week", at=noon - timedelta(days=5))
    make_followup(alice, contact, "On Saturday", at=noon + timedelta(days=2))
    make_followup(alice, contact, "Next month", at=noon + timedelta(days=30))
    done = make_followup(alice, contact, "Already done", at=noon + timedelta(hours=1))
    followup_update(owner=alice, followup_id=done.pk, done=True)
    html = alice_client.get("/app/").content.decode()
    today, rest = html.split('id="due-today-h"', 1)[1].split('id="overdue-h"', 1)
    overdue, upcoming = rest.split('id="upcoming-h"', 1)
    assert "Due this afternoon" in today and "Forgotten last week" not in today
    assert "Forgotten last week" in overdue and "is-overdue" in overdue
    assert "On Saturday" in upcoming
    assert "Next month" not in html and "Already done" not in html
    assert 'action="/app/contacts/quick"' in html


def test_today_follows_the_sellers_own_timezone(alice_client, alice, noon):
    alice.timezone = "Pacific/Kiritimati"  # UTC+14: it is already the 27th there
    alice.save(update_fields=["timezone"])
    contact = make_contact(alice)
    make_followup(alice, contact, "Tomorrow in UTC", at=noon + timedelta(hours=13))
    html = alice_client.get("/app/").content.decode()
    assert "Tomorrow in UTC" in html.split('id="due-today-h"', 1)[1].split('id="upcoming-h"', 1)[0]
    assert "Fri, Nov 27, 3:00\u202fPM" in html  # shown in her time


def test_done_from_today_swaps_the_row_and_the_counters_with_htmx(alice_client, alice, noon):
    followup = make_followup(alice, make_contact(alice), at=noon + timedelta(hours=1))
    response = alice_client.post(f"/app/followups/{followup.pk}/done", {"next": "/app/", "counters": "1"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="fu-' in html and "is-done" in html
    assert 'id="activity-today"' in html and 'hx-swap-oob="true"' in html and "1 / 5" in html
    followup = reload(followup)
    assert followup.done_at is not None
    assert ActivityDay.objects.get(owner=alice).follow_ups == 1


def test_done_without_javascript_redirects_back(alice_client, alice, noon):
    followup = make_followup(alice, make_contact(alice), at=noon + timedelta(hours=1))
    response = alice_client.post(f"/app/followups/{followup.pk}/done", {"next": "/app/"})
    assert response.status_code == 302 and response["Location"] == "/app/"
    followup = reload(followup)
    assert followup.done_at is not None


def test_a_foreign_next_is_ignored(alice_client, alice, noon):
    followup = make_followup(alice, make_contact(alice), at=noon + timedelta(hours=1))
    for evil in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        response = alice_client.post(f"/app/followups/{followup.pk}/snooze", {"next": evil})
        assert response["Location"] == "/app/followups/", evil


def test_undo_puts_a_done_follow_up_back(alice_client, alice, noon):
    followup = make_followup(alice, make_contact(alice), at=noon + timedelta(hours=1))
    followup_update(owner=alice, followup_id=followup.pk, done=True)
    response = alice_client.post(f"/app/followups/{followup.pk}/undo", {"counters": "1"}, **HTMX)
    assert response.status_code == 200 and "is-done" not in response.content.decode()
    followup = reload(followup)
    assert followup.done_at is None


def test_snooze_moves_it_a_day_and_says_so(alice_client, alice, noon):
    followup = make_followup(alice, make_contact(alice), at=noon + timedelta(hours=1))
    response = alice_client.post(f"/app/followups/{followup.pk}/snooze", {"next": "/app/"}, **HTMX)
    assert response.status_code == 200
    assert "Snoozed to Fri, Nov 27" in response.content.decode()
    followup = reload(followup)
    assert followup.due_at == noon + timedelta(days=1, hours=1)


def test_plus_one_presentation(alice_client, alice, noon):
    response = alice_client.post("/app/activity/add", {"counter": "presentations"}, **HTMX)
    assert response.status_code == 200 and 'id="activity-today"' in response.content.decode()
    assert "1 / 1" in response.content.decode()
    response = alice_client.post("/app/activity/add", {"counter": "presentations", "next": "/app/"})
    assert response.status_code == 302
    assert ActivityDay.objects.get(owner=alice).presentations == 2
    assert alice_client.post("/app/activity/add", {"counter": "owner_id"}).status_code == 404


# --- Follow-ups ----------------------------------------------------------------------------------------


def test_the_follow_up_tabs(alice_client, alice, noon):
    contact = make_contact(alice)
    make_followup(alice, contact, "Today one", at=noon + timedelta(hours=2))
    make_followup(alice, contact, "Late one", at=noon - timedelta(days=2))
    make_followup(alice, contact, "Later one", at=noon + timedelta(days=20))
    pages = {due: alice_client.get(f"/app/followups/?due={due}").content.decode()
             for due in ("today", "overdue", "upcoming")}
    assert "Today one" in pages["today"] and "Late one" not in pages["today"]
    assert "Late one" in pages["overdue"] and "Today one" not in pages["overdue"]
    assert "Later one" in pages["upcoming"] and "Late one" not in pages["upcoming"]
    assert 'aria-current="page">Overdue' in pages["overdue"]
    assert alice_client.get("/app/followups/?due=nonsense").status_code == 200


def test_deleting_a_follow_up(alice_client, alice, noon):
    contact = make_contact(alice)
    one = make_followup(alice, contact, at=noon + timedelta(hours=2))
    two = make_followup(alice, contact, at=noon + timedelta(hours=3))
    response = alice_client.post(f"/app/followups/{one.pk}/delete", **HTMX)
    assert response.status_code == 200 and response.content == b""
    response = alice_client.post(f"/app/followups/{two.pk}/delete", {"next": "/app/followups/?due=today"})
    assert response.status_code == 302 and response["Location"] == "/app/followups/?due=today"
    assert not FollowUp.objects.filter(owner=alice).exists()


def test_editing_a_follow_up_reads_the_time_in_the_sellers_timezone(alice_client, alice, noon):
    alice.timezone = "Europe/Madrid"
    alice.save(update_fields=["timezone"])
    contact = make_contact(alice)
    followup = make_followup(alice, contact, at=noon + timedelta(hours=2))
    page = alice_client.get(f"/app/followups/{followup.pk}/edit").content.decode()
    assert 'value="2026-11-26T15:00"' in page  # 14:00 UTC is 15:00 in Madrid
    response = alice_client.post(f"/app/followups/{followup.pk}/edit",
                                 {"title": "Bring samples", "due_at": "2026-11-30T10:30", "next": "/app/"})
    assert response.status_code == 302 and response["Location"] == "/app/"
    followup = reload(followup)
    assert followup.title == "Bring samples"
    assert followup.due_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert alice_client.post(f"/app/followups/{followup.pk}/edit", {"title": "", "due_at": ""}).status_code == 400


# --- Activity ----------------------------------------------------------------------------------------------


def test_the_week_view_shows_seven_days_against_the_goal(alice_client, alice, noon):
    activity_add(owner=alice, reach_outs=12)
    activity_add(owner=alice, presentations=2, day=noon.date() - timedelta(days=3))
    activity_add(owner=alice, presentations=9, day=noon.date() - timedelta(days=8))  # too old
    html = alice_client.get("/app/activity/").content.decode()
    assert html.count('class="card day') == 7
    assert '<progress max="10" value="12"' in html
    assert "12 / 10" in html and "2 / 7" in html and "Mon, November 23" in html
    assert "9 /" not in html


def test_setting_the_daily_goal(alice_client, alice):
    response = alice_client.post("/app/activity/goal", {"reach_outs": "20", "follow_ups": "8", "presentations": "2"})
    assert response.status_code == 302
    goal = ActivityGoal.objects.get(owner=alice)
    assert (goal.reach_outs, goal.follow_ups, goal.presentations) == (20, 8, 2)
    response = alice_client.post("/app/activity/goal", {"reach_outs": "-1", "follow_ups": "x", "presentations": ""},
                                 follow=True)
    assert "whole numbers" in response.content.decode()
    goal = reload(goal)
    assert goal.reach_outs == 20


# --- Board ---------------------------------------------------------------------------------------------------


def test_the_board_has_a_column_per_stage_with_one_tap_moves(alice_client, alice):
    ana = make_contact(alice)
    html = alice_client.get("/app/board/").content.decode()
    assert html.count('class="column"') == 7
    new_lead = html.split('id="col-new-lead"', 1)[1].split('class="column"', 1)[0]
    assert "Ana Silva" in new_lead and 'value="contacted"' in new_lead and "→ Contacted" in new_lead
    response = alice_client.post(f"/app/contacts/{ana.pk}/stage",
                                 {"stage": "contacted", "next": "/app/board/#col-new-lead"})
    assert response.status_code == 302 and response["Location"] == "/app/board/#col-new-lead"
    ana = reload(ana)
    assert ana.stage.slug == "contacted"
    alice_client.post(f"/app/contacts/{ana.pk}/stage", {"stage": "customer", "next": "/app/board/"})
    ana = reload(ana)
    assert ana.stage.slug == "customer"


def test_a_board_column_stops_at_fifty_with_a_link_to_the_list(alice_client, alice):
    for i in range(52):
        make_contact(alice, f"Lead{i:02d}", "Person")
    html = alice_client.get("/app/board/").content.decode()
    column = html.split('id="col-new-lead"', 1)[1].split('class="column"', 1)[0]
    assert column.count('class="board-card"') == 50
    assert "All 52 in the list" in column and 'href="/app/contacts/?stage=new-lead"' in column


def test_an_unknown_stage_is_refused_without_a_change(alice_client, alice):
    ana = make_contact(alice)
    response = alice_client.post(f"/app/contacts/{ana.pk}/stage", {"stage": "nonsense"}, follow=True)
    assert "There is no stage" in response.content.decode()
    ana = reload(ana)
    assert ana.stage.slug == "new-lead"


# --- Stages -------------------------------------------------------------------------------------------------


def test_renaming_a_stage(alice_client, alice):
    stages_of(alice)
    response = alice_client.post("/app/stages/presented/rename", {"presented-name": "Showed the plan 📈"})
    assert response.status_code == 302
    assert Stage.objects.get(owner=alice, slug="presented").name == "Showed the plan 📈"
    alice_client.post("/app/stages/presented/rename", {"presented-name": "   "})
    assert Stage.objects.get(owner=alice, slug="presented").name == "Showed the plan 📈"
    assert alice_client.post("/app/stages/no-such-stage/rename", {"name": "x"}).status_code == 404


def test_reordering_stages_with_up_and_down(alice_client, alice):
    stages_of(alice)
    alice_client.post("/app/stages/presented/move", {"direction": "up"})
    assert [s.slug for s in stages_of(alice)][:4] == ["new-lead", "presented", "contacted", "following-up"]
    alice_client.post("/app/stages/new-lead/move", {"direction": "up"})  # already first: nothing happens
    alice_client.post("/app/stages/not-now/move", {"direction": "down"})  # already last
    alice_client.post("/app/stages/new-lead/move", {"direction": "down"})
    assert [s.slug for s in stages_of(alice)][:3] == ["presented", "new-lead", "contacted"]
    html = alice_client.get("/app/board/").content.decode()
    assert html.index('id="col-presented"') < html.index('id="col-new-lead"')


# --- No N+1: a page costs the same number of queries for 3 rows as for 30 ----------------------------------


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_pages_make_a_fixed_number_of_queries(alice_client, alice, noon):
    def add(n: int) -> None:
        for i in range(n):
            contact = make_contact(alice, f"P{i}", "Q", phones=["+14155550100"], tags=["vip", f"t{i}"])
            make_followup(alice, contact, at=noon + timedelta(hours=1))
            make_followup(alice, contact, at=noon - timedelta(days=1))
            make_followup(alice, contact, at=noon + timedelta(days=2))

    urls = ["/app/", "/app/contacts/", "/app/board/", "/app/followups/", "/app/followups/?due=overdue"]
    add(3)
    for url in urls:  # first visits create the goal and the default stages
        alice_client.get(url)
    few = {url: _queries(alice_client, url) for url in urls}
    add(27)
    many = {url: _queries(alice_client, url) for url in urls}
    assert many == few
