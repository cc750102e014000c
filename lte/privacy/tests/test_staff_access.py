"""Staff access you can see: grants or written reasons, a hash-chained append-only log, lte audit verify."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from lte.crm.models import Note
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.privacy.models import StaffAccess
from lte.privacy.services import your_data
from lte.privacy.staff import grant_support, record_staff_action, revoke_support, support_view, verify_chain
from lte.testing.helpers import outbox_messages
from lte.vault.context import VaultAccessDenied, acting_for, request_scope
from lte.vault.keys import KeysDestroyed

pytestmark = pytest.mark.django_db


class _Request:
    def __init__(self, user):
        self.user = user


@pytest.fixture
def alices_note(alice):
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Private")
        return note_create(owner=alice, contact=contact, body="a private note")


def test_staff_without_grant_or_reason_are_refused_and_read_nothing(alice, staff, alices_note):
    with pytest.raises(ValidationError), support_view(staff=staff, account_id=alice.pk, resource="notes"):
        pass
    with request_scope(_Request(staff)), pytest.raises(VaultAccessDenied):
        _ = Note.objects.get(pk=alices_note.pk).body
    assert not StaffAccess.objects.exists()


def test_with_the_users_grant_staff_read_and_the_access_is_logged_first(alice, staff, alices_note,
                                                                         django_capture_on_commit_callbacks):
    grant_support(user=alice)
    with django_capture_on_commit_callbacks(execute=True), request_scope(_Request(staff)), \
            support_view(staff=staff, account_id=alice.pk, resource="notes") as entry:
        assert StaffAccess.objects.filter(pk=entry.pk).exists()  # written before anything is shown
        assert Note.objects.get(pk=alices_note.pk).body == "a private note"
    with request_scope(_Request(staff)), pytest.raises(VaultAccessDenied):  # the view is over
        _ = Note.objects.get(pk=alices_note.pk).body
    log = your_data(alice)["staff_access_log"]
    assert [(e["basis"], e["action"], e["resource"]) for e in log] == [("grant", "view", "notes")]
    assert any("support team opened your account" in m["Subject"] for m in outbox_messages())


def test_a_grant_expires_or_is_revoked(alice, staff, alices_note):
    grant_support(user=alice, hours=1)
    revoke_support(user=alice)
    with pytest.raises(ValidationError), support_view(staff=staff, account_id=alice.pk, resource="notes"):
        pass


def test_break_glass_needs_a_written_reason_which_the_user_sees(alice, staff, alices_note):
    with support_view(staff=staff, account_id=alice.pk, resource="notes", reason="Ticket 4411: sync bug report"):
        pass
    [entry] = your_data(alice)["staff_access_log"]
    assert entry["basis"] == "reason" and entry["reason"] == "Ticket 4411: sync bug report"
    assert "Ticket" not in StaffAccess.objects.values_list("reason", flat=True).get()  # sealed at rest


def test_staff_read_only_the_account_they_opened(alice, bob, staff, alices_note):
    grant_support(user=bob)
    with request_scope(_Request(staff)), support_view(staff=staff, account_id=bob.pk, resource="notes"), \
            pytest.raises(VaultAccessDenied):
        _ = Note.objects.get(pk=alices_note.pk).body


def test_the_log_is_a_hash_chain_that_verifies(alice, bob, staff):
    for account in (alice, bob, alice):
        record_staff_action(staff=staff, account_id=account.pk, action="view", resource="contacts", basis="reason",
                            reason="Investigating ticket 12")
    assert verify_chain() == (True, None, 3)
    call_command("audit", "verify")


def test_the_database_refuses_to_change_or_delete_log_entries(alice, staff):
    record_staff_action(staff=staff, account_id=alice.pk, action="view", resource="contacts", basis="reason",
                        reason="Investigating ticket 12")
    for statement in ("UPDATE privacy_staffaccess SET action = 'nothing'", "DELETE FROM privacy_staffaccess"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert StaffAccess.objects.count() == 1


def test_audit_verify_names_the_first_tampered_entry(alice, staff):
    for _ in range(3):
        record_staff_action(staff=staff, account_id=alice.pk, action="view", resource="contacts", basis="reason",
                            reason="Investigating ticket 12")
    with connection.cursor() as cursor:  # an attacker with database access drops the triggers first
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER privacy_staffaccess_no_update")
        else:
            cursor.execute("ALTER TABLE privacy_staffaccess DISABLE TRIGGER privacy_staffaccess_append_only")
        cursor.execute("UPDATE privacy_staffaccess SET resource = 'nothing to see' WHERE seq = 2")
    assert verify_chain() == (False, 2, 1)
    with pytest.raises(CommandError, match="entry 2"):
        call_command("audit", "verify")


def test_staff_access_entries_survive_the_accounts_deletion_without_its_details(alice, staff):
    from lte.privacy.deletion import account_delete

    record_staff_action(staff=staff, account_id=alice.pk, action="view", resource="contacts", basis="reason",
                        reason="Investigating ticket 12")
    account_delete(user=alice)
    assert StaffAccess.objects.count() == 1 and verify_chain()[0]
    with acting_for(alice.pk), pytest.raises(KeysDestroyed):
        _ = StaffAccess.objects.get().reason  # shredded with the account's key
