"""Contact data never reaches a log, another account's error answer or an email (SECURITY.md 26).

A canary contact (name, email, phone, address, note, message, follow-up) goes through everything a seller
does — create, read, search, update, delete, import, export — and through requests that fail in every way
we know, including the ones that still end in a 500. Logs are captured at DEBUG on the root logger, both
as records and as what the configured stderr handler really writes.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from lte.crm.models import Contact
from lte.crm.services.contacts import ContactData, contact_create, contact_delete, contact_update
from lte.crm.services.followups import followup_create
from lte.crm.tests import test_ownership as matrix
from lte.privacy.staff import grant_support, support_view
from lte.testing.helpers import PASSWORD, bearer_client, make_user, message_text, outbox_messages
from lte.vault.context import request_scope

API = "/api/v1"
NAME, LAST = "Xochiquetzal", "Wunderbaum-Ætherington"
EMAIL = "xochi.canary@example.net"
PHONE = "+14155550177"
ADDRESS = "77 Canary Row, Monterey"
NOTE = "the canary sings at midnight: locker 8812"
MESSAGE = "ping about the sapphire order 8812"
TITLE = "ring back about locker 8812"
TAG = "xochi-tag"
# Every way a canary could show up: as typed, folded, and the phone number however it is written.
NEEDLES = [NAME, "xochiquetzal", LAST, "wunderbaum", "Ætherington", EMAIL, "xochi.canary", PHONE, "4155550177",
           "415-555-0177", "(415) 555-0177", "415.555.0177", "555-0177", "555 0177", ADDRESS, "canary row",
           NOTE, "locker 8812", MESSAGE, "sapphire order", TITLE, TAG,
           matrix.CANARY, matrix.CANARY_EMAIL, matrix.CANARY_PHONE, matrix.CANARY_NOTE]


def found_in(text: str) -> list[str]:
    folded = text.casefold()
    return [needle for needle in NEEDLES if needle.casefold() in folded]


def assert_clean(text: str, where: str) -> None:
    hits = found_in(text)
    if hits:
        needle = hits[0].casefold()
        at = text.casefold().index(needle)
        pytest.fail(f"{where} carries contact data {hits}: …{text[max(0, at - 200): at + 200]}…")


@pytest.fixture
def logs(caplog, capfd) -> Iterator[Callable[[], str]]:
    """Everything logged so far: records (messages, tracebacks) and what reached stderr.

    The root logger goes to DEBUG (as LTE_LOG_LEVEL=DEBUG would); named loggers keep their configured
    levels. The configured stderr handler still holds the stream it had at start-up, so it is pointed at
    the captured stderr for the test.
    """
    caplog.set_level(logging.DEBUG)
    swapped = [(h, h.setStream(sys.stderr)) for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    seen: list[str] = []

    def text() -> str:
        out, err = capfd.readouterr()
        seen.append(out + err)
        records = [f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}"
                   for r in caplog.records]
        return "\n".join([caplog.text, *records, *seen])

    yield text
    for handler, stream in swapped:
        handler.stream = stream  # not setStream(): that flushes the capture, which pytest has closed by now


def test_the_capture_really_sees_logs_and_stderr(logs):
    """The instrument itself: a canary logged or printed to stderr is caught (so a clean run means clean)."""
    logging.getLogger("lte.crm").debug("debug %s", NAME)
    print(EMAIL, file=sys.stderr)
    assert {NAME, EMAIL} <= set(found_in(logs()))


@pytest.fixture
def api(alice) -> Client:
    return bearer_client(alice, raise_request_exception=False)  # a bug's 500 is an answer to check, not a raise


@pytest.fixture
def web(alice) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


def send(client: Client, method: str, path: str, data=None):
    body = data if isinstance(data, bytes | str) or data is None else json.dumps(data)
    kwargs: dict[str, str | bytes] = {"content_type": "application/json"} if body is not None else {}
    return getattr(client, method.lower())(API + path, **({"data": body} | kwargs if body is not None else {}))


def canary_contact(client: Client) -> dict:
    response = send(client, "POST", "/contacts", {
        "first_name": NAME, "last_name": LAST, "emails": [EMAIL], "phones": [PHONE], "address": ADDRESS,
        "birthday": "1988-08-08", "source": "event", "tags": [TAG], "reorder_every_days": 30,
    })
    assert response.status_code == 201, response.content[:300]
    return response.json()


# --- The seller's day: nothing of it in the logs ----------------------------------------------------------------


def test_a_contacts_whole_life_through_the_api_logs_none_of_it(api, logs):
    contact = canary_contact(api)
    cid = contact["id"]
    assert send(api, "GET", f"/contacts/{cid}").status_code == 200
    for q in (NAME, "xochi", "Wunderbaum", EMAIL, EMAIL.upper(), PHONE, "(415) 555-0177", "415.555.0177"):
        assert api.get(f"{API}/contacts", {"q": q}).json()["count"] == 1, q
    assert api.get(f"{API}/contacts", {"tag": TAG}).json()["count"] == 1
    assert send(api, "PATCH", f"/contacts/{cid}", {"last_name": f"{LAST} II", "stage": "customer"}).status_code == 200
    note = send(api, "POST", f"/contacts/{cid}/notes", {"body": NOTE}).json()
    assert send(api, "PATCH", f"/notes/{note['id']}", {"body": f"{NOTE}!"}).status_code == 200
    message = send(api, "POST", f"/contacts/{cid}/messages", {"channel": "whatsapp", "body": MESSAGE}).json()
    send(api, "PATCH", f"/messages/{message['id']}", {"body": f"{MESSAGE}!"})  # where the API has it
    followup = send(api, "POST", "/followups", {"contact_id": cid, "title": TITLE,
                                                "due_at": "2030-01-01T10:00:00Z"}).json()
    assert send(api, "PATCH", f"/followups/{followup['id']}", {"done": True}).status_code == 200
    for path in (f"/contacts/{cid}/notes", f"/contacts/{cid}/messages", "/followups", "/followups?due=upcoming",
                 "/tags", "/stages", "/me/data", "/me/export"):
        assert send(api, "GET", path).status_code < 500, path
    assert send(api, "DELETE", f"/notes/{note['id']}").status_code == 204
    assert send(api, "DELETE", f"/followups/{followup['id']}").status_code == 204
    assert send(api, "DELETE", f"/contacts/{cid}").status_code == 204
    assert_clean(logs(), "the log")


def test_a_csv_import_of_canaries_logs_none_of_them(api, logs, django_capture_on_commit_callbacks):
    csv = (f"first_name,last_name,email,phone,notes\n{NAME},{LAST},{EMAIL},{PHONE},{NOTE}\n"
           f"{NAME},,not-an-email-{NAME},,\n")
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued on commit; jobs run inline
        response = api.post(f"{API}/contacts/import", {"file": SimpleUploadedFile("c.csv", csv.encode(), "text/csv")})
    assert response.status_code == 202, response.content[:300]
    job = api.get(f"{API}/imports/{response.json()['id']}")
    assert job.status_code == 200 and job.json()["status"] == "done", job.content[:300]
    assert_clean(logs(), "the log")


# --- Requests that fail: refused, missing, malformed, or a bug's 500 ------------------------------------------------

EDGE_CURSOR = "WyItY3JlYXRlZCIsICI5OTk5LTEyLTMxVDIzOjU5OjU5LTIzOjU5IiwgIngiXQ"  # a date past year 9999 in UTC
FAILING = [
    ("POST", "/contacts", {"first_name": NAME, "emails": [f"{NAME}@"]}),
    ("POST", "/contacts", {"first_name": NAME, "phones": [f"{PHONE} {NAME}"]}),
    ("POST", "/contacts", {"first_name": NAME, "emails": [EMAIL], "birthday": "2999-01-01"}),
    ("POST", "/contacts", {"first_name": NAME, "tags": [TAG, "t" * 41]}),
    ("POST", "/contacts", {"first_name": NAME + "\x00", "address": ADDRESS}),
    ("POST", "/contacts", {"first_name": NAME, NOTE: EMAIL}),
    ("POST", "/contacts", {"first_name": "x" * 101 + NAME}),
    ("POST", "/contacts", {"first_name": NAME, "stage": f"stage-{NAME}"}),
    ("POST", "/contacts", [{"first_name": NAME, "emails": [EMAIL]}]),
    ("POST", "/contacts", f"first_name={NAME}&email={EMAIL}"),
    ("POST", "/contacts", f'{{"first_name": "{NAME}", "emails": ["{EMAIL}"'),
    ("POST", "/contacts", b"\xff\xfe" + NAME.encode() + b"\xff"),
    ("POST", "/contacts", json.dumps({"first_name": NAME, "address": ADDRESS * 200_000})),
    # Known 500s (see test_api_bad_input): the traceback must not carry the contact either.
    ("POST", "/contacts", b'{"first_name": "Xochiquetzal", "emails": ["xochi.canary@example.net"], '
                          b'"tags": ["\\ud800"]}'),
    ("POST", "/contacts", {"first_name": NAME, "emails": ['"xochi\x1ecanary"@example.net'], "phones": [PHONE]}),
    ("POST", "/contacts", {"first_name": NAME, "social": {"x": "\ud800"}, "address": ADDRESS}),
    ("POST", "/followups", {"contact_id": "CONTACT", "title": TITLE, "due_at": "9999-12-31T23:59:59-23:59"}),
    ("POST", "/contacts/CONTACT/messages", {"channel": "sms", "body": MESSAGE, "sent_at": "0001-01-01T00:00:00+14:00"}),
    ("POST", "/contacts/CONTACT/notes", {"body": NOTE * 1000}),
    ("POST", "/contacts/CONTACT/notes", {"body": NOTE, "contact_id": EMAIL}),
    ("POST", "/contacts/CONTACT/messages", {"channel": NAME, "body": MESSAGE}),
    ("POST", "/contacts/CONTACT/messages", {"channel": "sms", "body": MESSAGE, "sent_at": "2026-01-01T10:00:00"}),
    ("PATCH", "/contacts/CONTACT", {"emails": [f"{EMAIL}@@"], "last_name": LAST}),
    ("PATCH", "/contacts/00000000-0000-4000-8000-000000000000", {"first_name": NAME}),
    ("GET", f"/contacts/{NAME}", None),
    ("GET", f"/contacts?q={NAME}&limit=201", None),
    ("GET", f"/contacts?q={EMAIL}&sort={NAME}", None),
    ("GET", f"/contacts?q={PHONE}&cursor={NAME}", None),
    ("GET", f"/contacts?q={NAME}&sort=-created&cursor={EDGE_CURSOR}", None),
    ("GET", f"/followups?due={NAME}", None),
    ("PATCH", "/me", {"timezone": NAME, "name": "x" * 151}),
    ("DELETE", f"/contacts/{EMAIL}", None),
    ("PUT", "/contacts/CONTACT", {"first_name": NAME}),
]


@pytest.mark.parametrize(("method", "path", "body"), FAILING, ids=[f"{m} {p[:30]} #{i}" for i, (m, p, _b) in
                                                                    enumerate(FAILING)])
def test_a_failing_request_logs_no_contact_data(api, alice, logs, method, path, body):
    contact = contact_create(owner=alice, first_name="Plain", last_name="Person")
    path = path.replace("CONTACT", str(contact.pk))
    if isinstance(body, dict):
        body = json.dumps({k: str(contact.pk) if v == "CONTACT" else v for k, v in body.items()})
    response = send(api, method, path, body)
    assert response.status_code >= 400, (response.status_code, response.content[:200])
    assert_clean(logs(), f"the log after {method} {path[:40]} ({response.status_code})")


def test_a_10_mb_body_of_contact_data_is_not_logged(api, logs):
    body = json.dumps({"first_name": NAME, "address": f"{ADDRESS} {EMAIL} " * 300_000})
    assert send(api, "POST", "/contacts", body).status_code == 413
    assert_clean(logs(), "the log")


def test_the_pages_log_no_contact_data_working_or_failing(web, alice, logs):
    """Every page that takes one of alice's objects, read and posted to (with canaries in the form)."""
    canary_contact(web)
    form = {**matrix.FORM_DATA, "first_name": NAME, "last_name": LAST, "emails": f"{EMAIL}, not-an-email-{NAME}",
            "phones": f"{PHONE}\n{NAME}", "body": NOTE, "title": TITLE, "address": ADDRESS, "due_at": NAME}
    for route in [r for r in matrix.WEB_OBJECT_ROUTES if not r.is_staff_tool]:
        world = matrix.World(alice=alice, alice_client=web)  # fresh objects: a page may have deleted the last
        url = route.url({name: target.value for name, target in matrix.route_targets(world, route).items()})
        assert web.get(url).status_code < 500, route
        assert web.post(url, form).status_code < 500, route
    for route in matrix.WEB_PAGES:
        if not route.is_staff_tool:
            assert web.get(route.url({}), {"q": NAME}).status_code < 500, route
    assert_clean(logs(), "the log")


# --- Another account's answers ----------------------------------------------------------------------------------


def test_another_accounts_answers_carry_none_of_alices_data(api, alice, bob, staff, logs):
    contact = canary_contact(api)
    note = send(api, "POST", f"/contacts/{contact['id']}/notes", {"body": NOTE}).json()
    followup = send(api, "POST", "/followups", {"contact_id": contact["id"], "title": TITLE,
                                                "due_at": "2030-01-01T10:00:00Z"}).json()
    carol = make_user("carol@example.com", name="Carol Leader")
    for user in (bob, carol, staff):
        other = bearer_client(user, raise_request_exception=False)
        session = Client(raise_request_exception=False)
        session.force_login(user)
        answers = [  # (answer, what the caller typed: echoing that back is not a leak)
            *((other.get(f"{API}/contacts", {"q": q}), q) for q in (NAME, EMAIL, PHONE, "(415) 555-0177")),
            (other.get(f"{API}/contacts", {"tag": TAG}), TAG), (session.get("/app/contacts/", {"q": NAME}), NAME),
            *((response, "") for response in [
            send(other, "GET", f"/contacts/{contact['id']}"), send(other, "DELETE", f"/notes/{note['id']}"),
            send(other, "PATCH", f"/contacts/{contact['id']}", {"emails": ["broken"]}),
            send(other, "PATCH", f"/contacts/{contact['id']}", {"first_name": "x" * 101}),
            send(other, "PATCH", f"/notes/{note['id']}", {"body": ""}),
            send(other, "PATCH", f"/followups/{followup['id']}", {"due_at": "not a date"}),
            send(other, "POST", f"/contacts/{contact['id']}/notes", {"body": "mine"}),
            send(other, "POST", f"/contacts/{contact['id']}/messages", {"channel": "fax"}),
            send(other, "GET", f"/contacts/{contact['id']}/messages"),
            send(other, "POST", "/followups", {"contact_id": contact["id"], "title": "x", "due_at": "2030-01-01"}),
            send(other, "GET", "/followups"), send(other, "GET", "/tags"), send(other, "GET", "/me/data"),
            session.get(f"/app/contacts/{contact['id']}/"), session.get("/app/followups/"),
            session.post(f"/app/contacts/{contact['id']}/notes", {"body": ""}),
            ])]
        for response, typed in answers:
            assert response.status_code < 500
            text = matrix.everything_in(response).decode("utf-8", "replace")
            for echo in {typed, typed.casefold()} - {""}:
                text = text.replace(echo, "")
            assert_clean(text, f"{user.email}'s answer ({response.status_code})")
    assert_clean(logs(), "the log")


# --- Email ----------------------------------------------------------------------------------------------------------


def test_no_email_carries_contact_data(api, alice, staff, logs, django_capture_on_commit_callbacks):
    """Signing up, staff access notices and account deletion all send email; none may carry a contact."""
    canary_contact(api)
    Client().post(f"{API}/auth/signup", {"name": NAME, "email": "new@example.com", "password": PASSWORD,
                                         "adult": True}, content_type="application/json")
    grant_support(user=alice)
    with django_capture_on_commit_callbacks(execute=True), request_scope(SimpleNamespace(user=staff)), \
            support_view(staff=staff, account_id=alice.pk, resource="contact list"):
        assert [c.emails for c in Contact.objects.owned_by(alice)] == [[EMAIL]]
    messages = outbox_messages()  # read now: deleting the account also clears its mail from the outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert send(api, "DELETE", "/me", {"password": PASSWORD}).status_code == 204
    messages += [m for m in outbox_messages() if m["Message-ID"] not in {n["Message-ID"] for n in messages}]
    subjects = [m["Subject"] for m in messages]
    assert len(messages) >= 3, f"signup, the staff access notice and the deletion each send one: {subjects}"
    for message in messages:
        headers = "\n".join(f"{k}: {v}" for k, v in message.items())
        assert_clean(headers + "\n" + message_text(message), f"the email “{message['Subject']}”")
    assert_clean(logs(), "the log")


# --- What the process writes outside Python's logging ---------------------------------------------------------------


def test_the_web_servers_access_log_leaves_out_query_strings():
    """Searches put names, emails and phone numbers in the query string: the access log prints paths only."""
    from lte import cli

    source = inspect.getsource(cli.run)
    match = re.search(r'"--access-logformat",\s*(\'[^\']*\'|"[^"]*")', source)
    assert match, "gunicorn's access log format is not set, and its default prints the query string"
    log_format = match.group(1)
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(u)s", "%({"):
        assert atom not in log_format, f"{atom} in {log_format} would write query strings or headers to the log"


def test_follow_up_reminders_keep_their_titles_out_of_the_log(alice, logs):
    """Jobs run inline in tests: whatever a scheduled job logs about due follow-ups carries no title."""
    contact = contact_create(owner=alice, first_name=NAME, emails=[EMAIL])
    followup_create(owner=alice, contact_id=contact.pk, title=TITLE,
                             due_at=timezone.now() - timedelta(hours=1))
    contact_update(owner=alice, contact_id=contact.pk,
                            data=ContactData(stage="customer", reorder_every_days=7))
    contact_delete(owner=alice, contact_id=contact.pk)
    assert_clean(logs(), "the log")
