"""Who is asking: the decryption guard's view of the current request or job.

A sensitive value opens only for its owner — the signed-in user of the current request, or a job that
declared it acts for that owner — or for staff holding an approved support grant, after the access has
been logged. Anything else raises, so a bug in a query or a future team feature leaks ciphertext,
never a contact.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied


class VaultAccessDenied(PermissionDenied):
    """Someone other than the owner (or logged, granted support) tried to read a sensitive value."""


@dataclass(frozen=True)
class _Acting:
    owner_id: uuid.UUID


_request: ContextVar[object | None] = ContextVar("lte_vault_request", default=None)
_acting: ContextVar[_Acting | None] = ContextVar("lte_vault_acting", default=None)

# Set by the privacy app: (staff_user, owner_id, what) -> bool. It must write the access log entry
# (and commit it) before answering True, and answer True only under an active, user-approved grant.
StaffAccessHook = Callable[[object, uuid.UUID, str], bool]
_staff_access_hook: list[StaffAccessHook] = []


def register_staff_access_hook(hook: StaffAccessHook) -> None:
    _staff_access_hook[:] = [hook]


@contextlib.contextmanager
def request_scope(request: object) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextlib.contextmanager
def acting_for(owner_id: uuid.UUID | str) -> Iterator[None]:
    """For jobs and commands that work on one account's data (imports, exports, re-encryption)."""
    token = _acting.set(_Acting(uuid.UUID(str(owner_id))))
    try:
        yield
    finally:
        _acting.reset(token)


def check_can_read(owner_id: uuid.UUID, what: str) -> None:
    """Raises VaultAccessDenied unless the current context may read this owner's sensitive data."""
    acting = _acting.get()
    if acting is not None:
        if acting.owner_id == owner_id:
            return
        raise VaultAccessDenied("this job acts for another account")
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is None or not getattr(user, "is_authenticated", False):
        raise VaultAccessDenied("no signed-in owner")
    if user.pk == owner_id:
        return
    if getattr(user, "is_staff", False) and _staff_access_hook and _staff_access_hook[0](user, owner_id, what):
        return
    raise VaultAccessDenied("not the owner")
