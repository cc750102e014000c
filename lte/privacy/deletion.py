"""Deleting an account, in one place: the one-tap self-deletion, staff's deletions (a child report, the
admin), the job that finishes a deletion a crash interrupted, and a restore's replay of the tombstones.

Every deletion goes the same way:
1. a tombstone in the key store first (account id and time), so a crash half-way is finished by
   `enforce_tombstones` and no restore brings the account back;
2. every row (`accounts_rows_delete`): the registry's owned and derived tables with one set-based DELETE
   each, every table before the tables it points to (nothing is collected in Python, so it stays fast at
   100,000 contacts), then the account itself and its few account rows through the ORM, which follows every
   relation left; on SQLite each in a transaction of its own (all in one on PostgreSQL): a crash between two
   of them leaves the tombstone, so the account is closed and `enforce_tombstones` finishes it;
3. the account's sessions end;
4. its keys leave the live key store, after which no backup of its data can be read;
5. on SQLite, once committed, both write-ahead logs are checkpointed and emptied: secure_delete (on every
   connection, lte.settings) zeroes the deleted rows in the pages written now, but the WAL keeps the old pages,
   names in plain text, until a checkpoint resets it — on a busy instance, until a clean stop.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence

from allauth.core import ratelimit
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.http import HttpRequest
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lte.accounts.models import User
from lte.accounts.services import mfa_code_valid
from lte.backups.engine import register_accounts_remover
from lte.billing.services import billing_forget_account
from lte.billing.tasks import stripe_customer_deletion
from lte.lib.emails import send_account_deleted
from lte.lib.mail import purge_outbox_for
from lte.privacy import registry
from lte.vault.keys import KEYSTORE, destroy_account_keys, record_tombstone, tombstoned_ids
from lte.vault.models import AccountIndexKey, AccountKey

logger = logging.getLogger("lte.privacy.deletion")

BATCH = 500  # accounts per statement: far below every database's limit on parameters
# SQLite's page cache while a deletion runs (KiB; the default is 2 MiB): a big account's rows leave several
# indexes keyed by random UUIDs, and with the default cache each of those pages is read and written again and
# again. Measured at 100,000 contacts and 300,000 notes: a third less time. Given back when the deletion ends.
DELETION_CACHE_KIB = 64 * 1024

# Called with the user before their rows go, e.g. to cancel a Stripe subscription once billing exists.
before_account_deletion: list[Callable[[User], None]] = []


# --- Deleting an account ------------------------------------------------------------------------------


class TooManyAttempts(PermissionDenied):
    """The account's re-authentication budget is spent: nothing was checked, nothing was deleted."""


def confirm_identity(request: HttpRequest, user: User, *, password: str = "", code: str = "") -> bool:
    """The password or a two-factor code, each attempt spending allauth's re-authentication budget (the same
    action and key as the re-authentication page: per user), so a wrong guess costs as much here as there."""
    if not ratelimit.consume(request, action="reauthenticate", user=user):
        raise TooManyAttempts("Too many attempts: nothing was deleted. Please wait a few minutes and try again.")
    if password and user.check_password(password):
        return True
    return bool(code) and is_mfa_enabled(user) and mfa_code_valid(user=user, code=code)


def account_delete_confirmed(request: HttpRequest, *, user: User, password: str = "", code: str = "") -> None:
    """One-tap deletion behind a confirmation: everything leaves the live database at once, the keys are
    destroyed, sessions and tokens die, the outbox forgets the address, and a confirmation email goes out.
    Raises TooManyAttempts when the re-authentication budget is spent, PermissionDenied on a wrong answer."""
    if not confirm_identity(request, user, password=password, code=code):
        raise PermissionDenied("The password (or two-factor code) is not right: nothing was deleted.")
    email, name, language = user.email, user.name, user.language
    for hook in before_account_deletion:
        hook(user)
    account_delete(user=user)
    purge_outbox_for(email)
    transaction.on_commit(lambda: send_account_deleted(email=email, name=name, language=language))


def account_delete(*, user: User) -> None:
    """Deletes the account now: a tombstone first (so a crash half-way is finished by the next
    enforce_tombstones run and no restore brings it back), then every row in one transaction, every
    session, and last the account's keys — after which no backup of its data can be read."""
    record_tombstone(user.pk)
    _erase([user])
    destroy_account_keys(user.pk)
    transaction.on_commit(empty_the_write_ahead_logs)
    user.deleted = True  # this request's user object outlives the row: nothing may be recorded for it now


def _erase(users: Sequence[User]) -> int:
    """Steps 2 and 3: the rows in one transaction, then the sessions. Returns the rows deleted."""
    sessions = list(UserSession.objects.filter(user__in=users))
    _stripe_customers_forget(users)
    deleted = accounts_rows_delete([user.pk for user in users])
    get_usersessions_adapter().end_sessions(sessions)
    return deleted


def _stripe_customers_forget(users: Sequence[User]) -> None:
    """Their Stripe customers (subscription cancelled, customer deleted) by a job that retries until Stripe
    confirms: our own deletion never waits for Stripe. Only the customer id stays until then."""
    for user in users:
        pending_id = billing_forget_account(user)
        if pending_id is not None:
            transaction.on_commit(functools.partial(stripe_customer_deletion, pending_id))


# --- The rows: one algorithm for every deletion -----------------------------------------------------------


def accounts_rows_delete(owner_ids: Iterable[uuid.UUID | str], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Deletes every row of these accounts from the database `using` and returns how many rows went. Accounts
    that are not (any more) in that database cost nothing.

    The registry's owned and derived tables (the big ones) get one plain `DELETE … WHERE owner IN (…)` each,
    in `registry.deletion_order` (each table before the tables it points to), written here in SQL because
    Django's public `QuerySet.delete()` would first load every row of a table that others point to; on SQLite
    each table in its own transaction, so no transaction holds a whole big account (the write-ahead log stays
    small); on PostgreSQL all in one. The
    account's own rows are then few: `User.delete()` follows each relation left (sessions list, addresses,
    two-factor, logins…), in a last transaction. Inside a caller's transaction all of it is that one.
    The same statements on SQLite and PostgreSQL.
    """
    wanted = [uuid.UUID(str(owner_id)) for owner_id in owner_ids]
    total = 0
    # PostgreSQL: one transaction after all (its DELETEs only mark rows, and each commit waits for its flush to
    # disk); the tables' own transactions become savepoints inside it.
    whole = transaction.atomic(using=using) if connections[using].vendor != "sqlite" else contextlib.nullcontext()
    with whole, _big_cache(connections[using]):
        for start in range(0, len(wanted), BATCH):
            present = list(User._base_manager.using(using).filter(pk__in=wanted[start:start + BATCH])
                           .values_list("pk", flat=True))
            if not present:
                continue
            total += _bulk_delete(present, using=using)
            with transaction.atomic(using=using):
                deleted, _per_model = User._base_manager.using(using).filter(pk__in=present).delete()
            total += deleted
    return total


@contextlib.contextmanager
def _big_cache(connection) -> Iterator[None]:
    """SQLite: a page cache of DELETION_CACHE_KIB for the deletion, the connection's own size again after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-DELETION_CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before):d}")


def _bulk_delete(owner_ids: list[uuid.UUID], *, using: str) -> int:
    connection = connections[using]
    total = 0
    with connection.cursor() as cursor:
        for model, entry in registry.deletion_order([registry.DERIVED, registry.OWNED]):
            assert entry.user_field is not None  # the registry requires it of owned and derived rows
            condition, field = _condition(model, entry.user_field, connection.ops.quote_name)
            placeholders = ", ".join(["%s"] * len(owner_ids))
            with transaction.atomic(using=using):
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608 (names: _meta)
                    f"WHERE {condition.format(placeholders)}",
                    [field.get_db_prep_value(owner_id, connection) for owner_id in owner_ids],
                )
                total += max(cursor.rowcount, 0)
    return total


def _condition(model: type[models.Model], lookup: str, quote: Callable[[str], str]) -> tuple[str, models.Field]:
    """The SQL test that picks a model's rows by a registry lookup ("owner_id", "contact__owner_id"), with
    `{}` where the account ids go, and the field whose database values those ids must take. A relation on the
    way becomes a sub-select of the related table's key."""
    name, _, rest = lookup.partition("__")
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:  # a lookup walks forward: a column, a key
        raise TypeError(f"{model._meta.label}: {lookup!r} does not start at a column")
    column = quote(field.column)
    if not rest:
        return f"{column} IN ({{}})", field
    if not isinstance(field, models.ForeignKey):
        raise TypeError(f"{model._meta.label}: {name!r} in {lookup!r} is not a foreign key")
    related = field.related_model
    assert not isinstance(related, str)  # resolved once the apps are loaded
    inner, leaf = _condition(related, rest, quote)
    target = field.target_field.column
    assert target is not None  # a foreign key points at a column
    sub_select = (f"SELECT {quote(target)} "  # noqa: S608 (names from _meta, values as parameters)
                  f"FROM {quote(related._meta.db_table)} WHERE {inner}")
    return f"{column} IN ({sub_select})", leaf


register_accounts_remover(accounts_rows_delete)


def empty_the_write_ahead_logs() -> None:
    """Step 5: the old pages of the rows and keys just deleted leave the disk. `wal_checkpoint(TRUNCATE)` copies
    the WAL's pages (the zeroed ones last) into the database file and truncates the log. It waits for readers
    (busy_timeout); one still busy after that only delays this to the next checkpoint, which is logged."""
    for alias in (DEFAULT_DB_ALIAS, KEYSTORE):
        connection = connections[alias]
        if connection.vendor != "sqlite":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _frames, _copied = cursor.fetchone()
        except DatabaseError as exc:  # the deletion is committed: this never undoes or fails it
            logger.warning("after a deletion, the %s WAL could not be checkpointed: %s", alias, exc)
            continue
        if busy:
            logger.warning("after a deletion, the %s WAL is still in use: emptied at the next checkpoint", alias)


# --- Finishing what a crash interrupted ---------------------------------------------------------------------


def interrupted_deletions_finish() -> int:
    """Accounts with a tombstone lose what is left of them: their rows and sessions, then their keys.
    Returns the rows deleted (0 when no deletion was interrupted)."""
    ids = tombstoned_ids()
    users = list(User.objects.filter(pk__in=ids).only("pk"))
    deleted = _erase(users) if users else 0
    with_keys = set(AccountKey.objects.using(KEYSTORE).filter(owner_id__in=ids).values_list("owner_id", flat=True))
    with_keys |= set(AccountIndexKey.objects.using(KEYSTORE).filter(owner_id__in=ids)
                     .values_list("owner_id", flat=True))
    for owner_id in with_keys:
        destroy_account_keys(owner_id)
    if users or with_keys:
        transaction.on_commit(empty_the_write_ahead_logs)
    return deleted


@db_periodic_task(crontab(minute="*/15"))
def enforce_tombstones() -> int:
    """Finishes any deletion a crash interrupted: accounts with a tombstone lose their rows and keys."""
    return interrupted_deletions_finish()
