"""Refuse to run with a master key that can't open the key store (never guess, never overwrite)."""

from django.core.checks import Error, register
from django.db.utils import DatabaseError

from lte.vault.keys import unknown_master_key_ids


@register("security", "database")
def master_key_opens_the_key_store(app_configs, databases=None, **kwargs):
    if databases is not None and "keystore" not in databases:
        return []

    try:
        missing = unknown_master_key_ids()
    except DatabaseError:
        return []  # not migrated yet: nothing is wrapped, nothing to check
    if not missing:
        return []
    return [Error(
        f"The key store holds keys wrapped by master key(s) {', '.join(sorted(missing))}, which are not "
        "configured. LTE refuses to start rather than lose data: set LTE_MASTER_KEY (or restore "
        "master.key) to the key(s) used before, newest first.",
        id="lte.vault.E001",
    )]
