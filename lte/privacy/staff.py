"""Staff access you can see: support needs the user's time-limited grant or a written reason, and every
access is appended to a hash-chained log before any of the account's data is decrypted."""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lte.accounts.models import User
from lte.lib.emails import send_staff_access_notice
from lte.privacy.models import StaffAccess, SupportGrant
from lte.vault.context import acting_for, register_staff_access_hook
from lte.vault.fields import Sealed, seal_value

GRANT_HOURS = 24
GENESIS = "0" * 64


@dataclass(frozen=True)
class _Session:
    staff_id: uuid.UUID
    account_id: uuid.UUID


_support: ContextVar[_Session | None] = ContextVar("lte_support_session", default=None)


# --- Grants -----------------------------------------------------------------------------------------


@transaction.atomic
def grant_support(*, user, hours: int = GRANT_HOURS) -> SupportGrant:
    """The user lets support view their account for `hours` (the settings toggle)."""
    SupportGrant.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return SupportGrant.objects.create(user=user, expires_at=timezone.now() + timedelta(hours=hours))


def revoke_support(*, user) -> int:
    return SupportGrant.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def active_grant(account_id) -> SupportGrant | None:
    return (SupportGrant.objects.filter(user_id=account_id, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-expires_at").first())


# --- The hash-chained log ------------------------------------------------------------------------------


def _canonical(entry: StaffAccess, reason_token: str) -> bytes:
    return json.dumps({
        "seq": entry.seq, "at": entry.at.isoformat(), "account": str(entry.account_id), "staff": str(entry.staff_id),
        "staff_name": entry.staff_name, "basis": entry.basis, "reason": reason_token, "action": entry.action,
        "resource": entry.resource,
    }, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, entry: StaffAccess, reason_token: str) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(entry, reason_token)).hexdigest()


def record_staff_action(*, staff, account_id, action: str, resource: str, basis: str, reason: str = "") -> StaffAccess:
    """Appends one entry (committed before returning, so it exists before anything is shown)."""
    if basis not in ("grant", "reason"):
        raise ValueError("basis is 'grant' or 'reason'")
    account_id = uuid.UUID(str(account_id))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # one writer at a time keeps the chain a line
                cursor.execute("LOCK TABLE privacy_staffaccess IN EXCLUSIVE MODE")
        last = StaffAccess.objects.order_by("-seq").values("seq", "entry_hash").first()
        seq = (last["seq"] + 1) if last else 1
        prev = last["entry_hash"] if last else GENESIS
        entry = StaffAccess(seq=seq, at=timezone.now(), account_id=account_id, staff_id=staff.pk,
                            staff_name=staff.get_full_name() or "staff", basis=basis,
                            action=action[:40], resource=resource[:80], prev_hash=prev)
        with acting_for(account_id):  # the reason is sealed under the account's own key
            token = seal_value(StaffAccess._meta.get_field("reason"), entry, reason.strip() or "-")
        entry.reason = Sealed(token)
        entry.entry_hash = entry_hash(prev, entry, token)
        entry.save(force_insert=True)
    _notify(account_id, entry)
    return entry


def _notify(account_id: uuid.UUID, entry: StaffAccess) -> None:
    transaction.on_commit(lambda: _send_notice(account_id, entry))


def _send_notice(account_id: uuid.UUID, entry: StaffAccess) -> None:
    user = User.objects.filter(pk=account_id, is_active=True).first()
    if user is not None:
        send_staff_access_notice(email=user.email, name=user.name, language=user.language, action=entry.action,
                                 at=entry.at, timezone_name=user.timezone)


def verify_chain() -> tuple[bool, int | None, int]:
    """(ok, first bad seq or None, entries checked)."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for row in StaffAccess.objects.order_by("seq").iterator(chunk_size=1000):
        token = row.__dict__["reason"]
        if row.seq != expected_seq or row.prev_hash != prev or row.entry_hash != entry_hash(prev, row, token):
            return False, row.seq, checked
        prev = row.entry_hash
        expected_seq += 1
        checked += 1
    return True, None, checked


# --- Support sessions and the vault hook -----------------------------------------------------------------


@contextlib.contextmanager
def support_view(*, staff, account_id, resource: str, reason: str = "") -> Iterator[StaffAccess]:
    """Opens an account's data to `staff` for one view: needs an active grant or a written reason, and
    logs the access first. Inside, the vault lets this staff member read that account only."""
    if not getattr(staff, "is_staff", False):
        raise PermissionDenied("staff only")
    account_id = uuid.UUID(str(account_id))
    if active_grant(account_id) is not None:
        basis = "grant"
    elif len((reason or "").strip()) >= 10:
        basis = "reason"
    else:
        raise ValidationError(_("No active grant from the user: write the reason for this access (10+ characters)."))
    entry = record_staff_action(staff=staff, account_id=account_id, action="view", resource=resource, basis=basis,
                                reason=reason.strip())
    token = _support.set(_Session(staff.pk, account_id))
    try:
        yield entry
    finally:
        _support.reset(token)


def _vault_hook(user, owner_id, what: str) -> bool:
    session = _support.get()
    return session is not None and session.staff_id == user.pk and session.account_id == owner_id


register_staff_access_hook(_vault_hook)


# --- Append-only in the database itself ---------------------------------------------------------------

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS privacy_staffaccess_no_update BEFORE UPDATE ON privacy_staffaccess
       BEGIN SELECT RAISE(ABORT, 'the staff access log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS privacy_staffaccess_no_delete BEFORE DELETE ON privacy_staffaccess
       BEGIN SELECT RAISE(ABORT, 'the staff access log is append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION privacy_staffaccess_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'the staff access log is append-only';
       END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS privacy_staffaccess_append_only ON privacy_staffaccess",
    """CREATE TRIGGER privacy_staffaccess_append_only BEFORE UPDATE OR DELETE ON privacy_staffaccess
       FOR EACH ROW EXECUTE FUNCTION privacy_staffaccess_append_only()""",
]
