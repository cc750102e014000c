"""Adding and deleting pipeline stages (issue 15: "stages can't be added or deleted"), from the board, the stages
page and the API (POST /stages, DELETE /stages/{slug}?move_to=): a deleted stage's contacts move to the stage the
seller picks, with the move on each timeline, and nothing of theirs is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from lte.crm.models import Contact, FollowUp, Stage, StageChange
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.crm.services.stages import MAX_STAGES, first_stage, stage_create, stage_delete, stage_rule_set, stages_of
from lte.crm.tests.test_import import imported
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db
API = "/api/v1"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def slugs(user) -> list[str]:
    return [s.slug for s in stages_of(user)]


def test_a_new_stage_goes_at_the_end_with_a_slug_from_its_name(alice):
    before = slugs(alice)
    stage = stage_create(owner=alice, name="  Sample sent  ")
    assert (stage.slug, stage.name) == ("sample-sent", "Sample sent")
    assert slugs(alice) == [*before, "sample-sent"]
    # Another name that makes the same slug, and a name with no Latin letters, still get slugs of their own.
    assert stage_create(owner=alice, name="Sample: sent!").slug == "sample-sent-2"
    assert stage_create(owner=alice, name="样品").slug == "stage"
    assert stage_create(owner=alice, name="试用").slug == "stage-2"


def test_stage_names_are_unique_and_a_pipeline_has_a_limit(alice):
    stages_of(alice)
    with pytest.raises(ValidationError, match="already a stage"):
        stage_create(owner=alice, name="customer")  # "Customer" exists: case doesn't make it another stage
    with pytest.raises(ValidationError):
        stage_create(owner=alice, name="   ")
    while len(stages_of(alice)) < MAX_STAGES:
        stage_create(owner=alice, name=f"Step {len(stages_of(alice))}")
    with pytest.raises(ValidationError, match=f"at most {MAX_STAGES}"):
        stage_create(owner=alice, name="One too many")
    assert len(stages_of(alice)) == MAX_STAGES


def test_renaming_onto_another_stages_name_is_refused(alice_client, alice):
    stages_of(alice)
    response = alice_client.post("/app/stages/presented/rename", {"presented-name": "Contacted"}, follow=True)
    assert "already a stage" in response.content.decode()
    assert Stage.objects.get(owner=alice, slug="presented").name == "Presented"
    alice_client.post("/app/stages/presented/rename", {"presented-name": "PRESENTED"})  # its own name: fine
    assert Stage.objects.get(owner=alice, slug="presented").name == "PRESENTED"


@time_machine.travel(NOW, tick=False)
def test_deleting_a_stage_moves_its_contacts_with_the_move_on_their_timelines(alice):
    stage_rule_set(owner=alice, slug="following-up", followup_days=2)
    ana = contact_create(owner=alice, first_name="Ana", stage="presented")
    ben = contact_create(owner=alice, first_name="Ben", stage="presented")
    cy = contact_create(owner=alice, first_name="Cy", stage="contacted")
    with acting_for(alice.pk):
        note_create(owner=alice, contact_id=ana.pk, body="Loves the tea")
    with pytest.raises(ValidationError, match="Choose the stage"):
        stage_delete(owner=alice, slug="presented")
    with pytest.raises(ValidationError, match="another stage"):
        stage_delete(owner=alice, slug="presented", move_to="presented")
    with pytest.raises(ValidationError, match="no stage"):
        stage_delete(owner=alice, slug="presented", move_to="nowhere")
    assert Stage.objects.filter(owner=alice, slug="presented").exists()  # refused: nothing changed

    assert stage_delete(owner=alice, slug="presented", move_to="following-up") == 2
    assert "presented" not in slugs(alice)
    for contact in (ana, ben):
        contact.refresh_from_db()
        assert contact.stage.slug == "following-up" and contact.updated_at == NOW
        [move] = StageChange.objects.filter(contact=contact, to_name="Following up")
        assert move.from_name == "Presented"
    cy.refresh_from_db()
    assert cy.stage.slug == "contacted"
    # The seller tidied the pipeline; nobody was worked, so the stage's rule made no follow-ups.
    assert not FollowUp.objects.filter(owner=alice).exists()
    assert ana.notes.count() == 1 and Contact.objects.filter(owner=alice).count() == 3


def test_an_empty_stage_needs_no_target_and_the_last_stage_stays(alice):
    stages_of(alice)
    assert stage_delete(owner=alice, slug="not-now") == 0
    for slug in slugs(alice)[1:]:
        stage_delete(owner=alice, slug=slug)
    assert slugs(alice) == ["new-lead"]
    with pytest.raises(ValidationError, match="at least one stage"):
        stage_delete(owner=alice, slug="new-lead")
    assert slugs(alice) == ["new-lead"]


@time_machine.travel(NOW, tick=False)
def test_contacts_moved_into_customer_become_customers_with_their_reorder_reminder(alice):
    stages_of(alice)
    ana = contact_create(owner=alice, first_name="Ana", stage="presented", reorder_every_days=30)
    stage_delete(owner=alice, slug="presented", move_to="customer")
    ana.refresh_from_db()
    assert ana.customer_since is not None
    [reminder] = FollowUp.objects.filter(contact=ana, kind=FollowUp.Kind.REORDER, done_at__isnull=True)
    assert reminder.due_at.date() > NOW.date()


def test_without_new_lead_new_contacts_and_imported_rows_start_in_the_first_stage(alice):
    stages_of(alice)
    stage_delete(owner=alice, slug="new-lead")
    assert first_stage(alice).slug == "contacted"
    assert contact_create(owner=alice, first_name="Ana").stage.slug == "contacted"
    job = imported(alice, "First Name,Last Name,Stage\nBen,Ortiz,\nCy,Lee,new-lead\n")
    assert job.status == "done", job.report
    stages_by_name = dict(Contact.objects.filter(owner=alice).values_list("first_name", "stage__slug"))
    assert stages_by_name == {"Ana": "contacted", "Ben": "contacted", "Cy": "contacted"}


# --- The API ------------------------------------------------------------------------------------------------


def test_the_api_adds_and_deletes_stages(alice, api):
    created = api.post(f"{API}/stages", {"name": "Sample sent"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json() == {"slug": "sample-sent", "name": "Sample sent", "position": 7, "followup_days": None}
    assert api.get(f"{API}/stages").json()[-1]["slug"] == "sample-sent"
    again = api.post(f"{API}/stages", {"name": "sample SENT"}, content_type="application/json")
    assert again.status_code == 400
    assert again.json()["detail"] == {"name": ["There is already a stage called “Sample sent”."]}
    for bad in ({"name": ""}, {"name": "x" * 41}, {"name": "x", "id": 1}, {}):  # the schema's answer, as elsewhere
        assert api.post(f"{API}/stages", bad, content_type="application/json").status_code == 422, bad
    assert api.post(f"{API}/stages", {"name": " \t "}, content_type="application/json").status_code == 400

    ana = api.post(f"{API}/contacts", {"first_name": "Ana", "stage": "sample-sent"}, content_type="application/json")
    refused = api.delete(f"{API}/stages/sample-sent")
    assert refused.status_code == 400
    assert refused.json()["detail"] == {"move_to": ["Choose the stage its contacts move to."]}
    assert api.delete(f"{API}/stages/sample-sent?move_to=customer").status_code == 204
    assert api.get(f"{API}/contacts/{ana.json()['id']}").json()["stage"] == "customer"
    assert api.delete(f"{API}/stages/sample-sent").status_code == 404
    assert "sample-sent" not in [s["slug"] for s in api.get(f"{API}/stages").json()]


def test_another_accounts_stage_is_never_reached(alice, bob, api, bob_api):
    stage_create(owner=bob, name="Bobs stage")
    assert api.delete(f"{API}/stages/bobs-stage").status_code == 404
    assert bob_api.get(f"{API}/stages").json()[-1]["slug"] == "bobs-stage"
    stages_of(alice)
    contact_create(owner=bob, first_name="Zed", stage="presented")
    assert api.delete(f"{API}/stages/presented").status_code == 204  # alice's own, empty "presented"
    assert Contact.objects.get(owner=bob).stage.slug == "presented"
    assert "presented" in slugs(bob)


# --- The pages ----------------------------------------------------------------------------------------------


def test_the_board_adds_a_stage_and_links_each_column_to_its_deletion(alice_client, alice):
    page = alice_client.get("/app/board/").content.decode()
    assert 'action="/app/stages/add"' in page and 'name="new-name"' in page
    assert 'href="/app/stages/not-now/delete?next=/app/board/"' in page
    response = alice_client.post("/app/stages/add", {"new-name": "Sample sent", "next": "/app/board/"})
    assert response.status_code == 302 and response["Location"] == "/app/board/#col-sample-sent"
    page = alice_client.get("/app/board/").content.decode()
    assert 'id="col-sample-sent"' in page and "Stage “Sample sent” added at the end." in page
    refused = alice_client.post("/app/stages/add", {"new-name": "Sample sent", "next": "/app/board/"}, follow=True)
    assert "already a stage" in refused.content.decode()
    assert slugs(alice).count("sample-sent") == 1


def test_the_stages_page_adds_and_deletes_with_a_choice_of_where_contacts_go(alice_client, alice):
    page = alice_client.get("/app/stages/").content.decode()
    assert 'href="/app/stages/presented/delete"' in page and 'action="/app/stages/add"' in page
    alice_client.post("/app/stages/add", {"new-name": "Sample sent"})
    ana = contact_create(owner=alice, first_name="Ana", stage="presented")

    confirm = alice_client.get("/app/stages/presented/delete").content.decode()
    assert "1 contact is in this stage" in confirm
    assert '<select name="move_to"' in confirm and 'value="sample-sent"' in confirm
    assert 'value="presented"' not in confirm  # not into itself
    missing = alice_client.post("/app/stages/presented/delete", {"move_to": ""})
    assert missing.status_code == 200 and Stage.objects.filter(owner=alice, slug="presented").exists()
    done = alice_client.post("/app/stages/presented/delete", {"move_to": "sample-sent"}, follow=True)
    assert "its contact is now in Sample sent" in done.content.decode()
    ana.refresh_from_db()
    assert ana.stage.slug == "sample-sent"

    empty = alice_client.get("/app/stages/not-now/delete").content.decode()
    assert "No contact is in this stage." in empty and "move_to" not in empty
    assert alice_client.post("/app/stages/not-now/delete", {}).status_code == 302
    assert alice_client.get("/app/stages/no-such-stage/delete").status_code == 404
    assert alice_client.post("/app/stages/no-such-stage/delete", {}).status_code == 404


def test_the_last_stage_has_no_delete_button_and_its_page_says_why(alice_client, alice):
    stages_of(alice)
    for slug in slugs(alice)[1:]:
        stage_delete(owner=alice, slug=slug)
    assert "/delete" not in alice_client.get("/app/stages/").content.decode()
    assert "/app/stages/new-lead/delete" not in alice_client.get("/app/board/").content.decode()
    page = alice_client.get("/app/stages/new-lead/delete").content.decode()
    assert "a pipeline keeps at least one" in page and "<form" not in page.split("<main")[1].split("</main>")[0]
    alice_client.post("/app/stages/new-lead/delete", {})
    assert slugs(alice) == ["new-lead"]
