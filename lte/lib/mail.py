"""The embedded default's email transport: each message is one RFC 5322 ``.eml`` file in the outbox."""

from __future__ import annotations

import email
import os
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.generator import BytesGenerator

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    """Writes every message atomically to ``LTE_DATA_DIR/outbox/<utc time>-<random>.eml`` (mode 0600)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        outbox = settings.OUTBOX_DIR
        outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    # What Django 5.2's message().as_bytes(linesep=…) does, through the stdlib (the stubs
                    # describe Django 6's message(), whose as_bytes() takes no linesep)
                    BytesGenerator(fh, mangle_from_=False).flatten(message.message(), linesep="\r\n")
                os.replace(tmp, outbox / name)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent


def purge_outbox_for(address: str) -> int:
    """Deletes the outbox files addressed to `address` (used when an account is deleted)."""
    outbox = settings.OUTBOX_DIR
    if not outbox.exists():
        return 0
    removed = 0
    wanted = address.strip().lower()
    for path in outbox.glob("*.eml"):
        try:
            with path.open("rb") as fh:
                headers = email.message_from_binary_file(fh)
        except OSError:
            continue
        recipients = ",".join(str(headers.get_all(h, [])) for h in ("To", "Cc", "Bcc")).lower()
        if wanted in recipients:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
