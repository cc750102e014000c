"""Publishing the privacy policy, terms and cookie notice, telling people about meaningful changes, and
their acknowledgements.

The policy's promise: "If we update this policy in a way that meaningfully changes your rights, we'll
email you before the changes take effect. Small clarifications and typo fixes don't trigger
notifications." So a meaningful version must take effect at least POLICY_NOTICE_DAYS (30) days after it
is published, every active account with a verified address is emailed a short summary (by a job, in
batches, once), and signed-in people see a banner until they acknowledge it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet

from lte.privacy.models import PolicyAcknowledgement, PolicyVersion
from lte.site import policies as documents

SUMMARY_MAX = 1000


def notice_days() -> int:
    return int(getattr(settings, "POLICY_NOTICE_DAYS", 30))


version_url = documents.version_url


# --- Publishing ------------------------------------------------------------------------------------------


def policy_publish(
    kind: str,
    body: str | None = None,
    *,
    path: str | Path | None = None,
    published_on: date | None = None,
    effective_on: date | None = None,
    meaningful: bool = False,
    summary: str = "",
    force: bool = False,
) -> PolicyVersion:
    """Records a version of a document and, when it is meaningful, queues the email to every active user.

    The text comes from `body` or from the file at `path` (by default `lte/site/policies/<kind>-<published
    date>.txt`). `published_on` defaults to today (it can't be in the future); `effective_on` defaults to
    the publication date for a small fix, and to today + the notice period for a meaningful change, which
    must not take effect sooner unless `force`. Raises ValidationError naming what is wrong.
    """
    today = documents.today()
    errors: dict[str, str] = {}
    if kind not in PolicyVersion.Kind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}: use one of {', '.join(PolicyVersion.Kind.values)}."})
    published_on = published_on or _date_from_path(path) or today
    if published_on > today:
        errors["published_on"] = "A version is published on the day it is recorded, not in the future."
    if body is None:
        file = Path(path) if path is not None else documents.file_path(kind, published_on)
        if not file.is_file():
            raise ValidationError({"body": f"No text given and no file at {file}."})
        body = file.read_text(encoding="utf-8")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = "The text is empty."
    summary = (summary or "").strip()
    if meaningful:
        effective_on = effective_on or today + timedelta(days=notice_days())
        if not summary:
            errors["summary"] = "A meaningful change needs a short plain summary for the email and the banner."
        if effective_on < today + timedelta(days=notice_days()) and not force:
            errors["effective_on"] = (
                f"A meaningful change takes effect at least {notice_days()} days after people are told: "
                f"on {today + timedelta(days=notice_days())} or later (or force it)."
            )
    else:
        effective_on = effective_on or published_on
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep the summary under {SUMMARY_MAX} characters."
    if effective_on < published_on:
        errors["effective_on"] = "A version can't take effect before it is published."
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            _record_baseline(kind, before=published_on)
            version = PolicyVersion.objects.create(
                kind=kind, published_on=published_on, effective_on=effective_on, meaningful=meaningful,
                summary=summary, body=body,
            )
            if meaningful:
                transaction.on_commit(lambda: _queue_notice(version.pk))
    except IntegrityError as exc:
        raise ValidationError({"published_on": f"A {kind} version published on {published_on} exists already."}) \
            from exc
    return version


def _date_from_path(path: str | Path | None) -> date | None:
    if path is None:
        return None
    m = documents.NAME.match(Path(path).name)
    return date.fromisoformat(m["date"]) if m else None


def _record_baseline(kind: str, *, before: date) -> None:
    """The first recorded version of a kind also records the file shown until now, so the history is whole
    and the page doesn't go blank while an upcoming version waits for its date."""
    if PolicyVersion.objects.filter(kind=kind).exists():
        return
    older = [(published, path) for published, path in documents.files(kind) if published < before]
    if older:
        published, path = older[-1]
        PolicyVersion.objects.create(kind=kind, published_on=published, effective_on=published, meaningful=False,
                                     body=path.read_text(encoding="utf-8").strip())


def _queue_notice(version_id: int) -> None:
    from lte.privacy.tasks import notify_policy_change

    notify_policy_change(version_id)


# --- Who is told -------------------------------------------------------------------------------------------


def notice_recipients() -> QuerySet:
    """Every active account whose address is verified, in a stable order (for batches)."""
    from lte.accounts.models import User

    verified = EmailAddress.objects.filter(user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True)
    return User.objects.filter(is_active=True).filter(Exists(verified)).order_by("pk")


# --- The banner and acknowledgements ----------------------------------------------------------------------


def pending_for(user) -> list[PolicyVersion]:
    """Meaningful versions published since the account was made that the user hasn't acknowledged yet,
    each with `upcoming` (not in effect yet) and `url` (its page)."""
    if user is None or not user.is_authenticated:
        return []
    today = documents.today()
    acknowledged = PolicyAcknowledgement.objects.filter(user=user, version=OuterRef("pk"))
    versions = list(
        PolicyVersion.objects.filter(meaningful=True, published_on__lte=today,
                                     published_on__gte=user.created_at.date())
        .exclude(Exists(acknowledged))
        .order_by("effective_on", "kind")
        .only("pk", "kind", "published_on", "effective_on", "summary")
    )
    for version in versions:
        version.upcoming = version.effective_on > today  # type: ignore[attr-defined]
        version.url = version_url(version.kind, version.published_on)  # type: ignore[attr-defined]
    return versions


def acknowledge(*, user, version_id: int) -> PolicyAcknowledgement | None:
    """Records that the user saw a meaningful version (once); None if there is no such published version."""
    version = PolicyVersion.objects.filter(pk=version_id, meaningful=True,
                                           published_on__lte=documents.today()).first()
    if version is None:
        return None
    ack, _created = PolicyAcknowledgement.objects.get_or_create(user=user, version=version)
    return ack


def acknowledgements_of(user) -> list[dict]:
    """The user's acknowledgements, newest first, for the "Your data" page and the export."""
    rows = (PolicyAcknowledgement.objects.filter(user=user).select_related("version").order_by("-at"))
    return [
        {
            "kind": ack.version.kind,
            "title": str(PolicyVersion.Kind(ack.version.kind).label),
            "published_on": ack.version.published_on,
            "effective_on": ack.version.effective_on,
            "summary": ack.version.summary,
            "acknowledged_at": ack.at,
            "url": version_url(ack.version.kind, ack.version.published_on),
            # the same, under the names the export columns use (policy, version, at)
            "policy": str(PolicyVersion.Kind(ack.version.kind).label),
            "version": ack.version.published_on,
            "at": ack.at,
        }
        for ack in rows
    ]
