"""Privacy jobs: telling everyone about a meaningful policy change, and forgetting settled child reports.

The policy-change email goes out once per version: `notify_policy_change` claims the version by setting
`notified_at` (a second call, a re-run or the hourly safety net finds it set and sends nothing), then
queues batches, each a job of its own that carries where the previous one stopped, so a worker that dies
half-way resumes at its batch instead of starting over.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lte.privacy.models import PolicyVersion

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
RETRY_SECONDS = 300
CHILD_REPORT_KEEP_DAYS = 90


def batch_size() -> int:
    return max(1, int(getattr(settings, "POLICY_NOTICE_BATCH", 200)))


@db_task(retries=3, retry_delay=60)
def notify_policy_change(version_id: int) -> bool:
    """Starts the emails about a meaningful version, once. True if this call started them."""
    claimed = PolicyVersion.objects.filter(pk=version_id, meaningful=True, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return False
    send_policy_notice_batch(version_id, "", 1)
    return True


@db_task(retries=0)
def send_policy_notice_batch(version_id: int, after: str, attempt: int) -> int:
    """Emails the next batch of recipients (ids greater than `after`), then queues the following batch.

    A failed send queues this batch again from the last address that went out (never resending to the
    ones before it), up to MAX_ATTEMPTS times.
    """
    from lte.privacy.policies import notice_recipients, version_url

    version = PolicyVersion.objects.filter(pk=version_id, meaningful=True).first()
    if version is None:
        return 0
    users = notice_recipients()
    if after:
        users = users.filter(pk__gt=after)
    users = list(users.only("pk", "email", "name", "language")[: batch_size()])
    if not users:
        log.info("policy notice %s: done", version_id)
        return 0
    context = {
        "base_url": settings.BASE_URL,
        "title": str(PolicyVersion.Kind(version.kind).label),
        "kind": version.kind,
        "effective_on": version.effective_on,
        "summary": version.summary,
        "url": settings.BASE_URL + version_url(version.kind, version.published_on),
    }
    sent = 0
    last = after
    with get_connection() as connection:
        for user in users:
            try:
                _message(user, context, connection).send()
            except Exception:
                log.exception("policy notice %s: sending failed, attempt %s", version_id, attempt)
                if attempt < MAX_ATTEMPTS:
                    send_policy_notice_batch.schedule((version_id, last, attempt + 1), delay=RETRY_SECONDS)
                return sent
            sent += 1
            last = str(user.pk)
    send_policy_notice_batch(version_id, last, 1)
    return sent


def _message(user, context: dict, connection) -> EmailMessage:
    with translation.override(user.language or "en"):
        context = {**context, "name": user.get_short_name() or user.name}
        subject = render_to_string("emails/policy_change-subject.txt", context).strip()
        body = render_to_string("emails/policy_change-body.txt", context)
    return EmailMessage(f"LTE: {subject}", body, None, [user.email], connection=connection)


@db_periodic_task(crontab(minute="23"), retries=3, retry_delay=60)
def notify_pending_policy_changes() -> int:
    """Safety net: a meaningful version whose job was lost (a crash before it was queued) still gets sent."""
    started = 0
    for version_id in PolicyVersion.objects.filter(meaningful=True, notified_at__isnull=True).values_list(
        "pk", flat=True
    ):
        started += bool(notify_policy_change.call_local(version_id))
    return started


@db_periodic_task(crontab(hour="4", minute="41"), retries=3, retry_delay=60)
def purge_settled_child_reports() -> int:
    """A settled child report (dismissed or acted on) is deleted after 90 days: it names people."""
    from lte.privacy.models import ChildReport

    cutoff = timezone.now() - timedelta(days=CHILD_REPORT_KEEP_DAYS)
    deleted, _rows = ChildReport.objects.filter(resolved_at__lt=cutoff).delete()
    return deleted
