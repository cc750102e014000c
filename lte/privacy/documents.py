"""The versioned legal documents — the privacy policy, the terms of service and the cookie notice — and
telling people about meaningful changes.

Each text is kept as a file named `<kind>-<YYYY-MM-DD>.txt` (its published date) in `policies/` beside this
module, and `publish_policy` records it as a `PolicyVersion` row (published and effective dates, meaningful or
not). The version shown is the newest whose effective date has come. A database with no version of a kind yet
(a fresh install) shows the newest file of that kind dated today or earlier, so the pages work with no setup;
the first `publish_policy` of that kind records that file as the baseline.

The policy's promise: "If we update this policy in a way that meaningfully changes your rights, we'll email
you before the changes take effect. Small clarifications and typo fixes don't trigger notifications." So a
meaningful version must take effect at least POLICY_NOTICE_DAYS (30) days after it is published, every active
account with a verified address is emailed a short summary, and signed-in people see a banner until they
acknowledge it.

The email goes out once per version: `notify_policy_change` claims the version by setting `notified_at` (a
second call, a re-run or the hourly safety net finds it set and sends nothing), then queues batches, each a
job of its own that carries where the previous one stopped, so a worker that dies half-way resumes at its
batch instead of starting over.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lte.accounts.models import User
from lte.lib.prepared import Prepared
from lte.privacy.models import PolicyAcknowledgement, PolicyVersion

log = logging.getLogger(__name__)
POLICY_DIR = Path(__file__).resolve().parent / "policies"
NAME = re.compile(r"^(?P<kind>[a-z]+)-(?P<date>\d{4}-\d{2}-\d{2})\.txt$")
KINDS = ("privacy", "terms", "cookies")
SUMMARY_MAX = 1000
MAX_ATTEMPTS = 10
RETRY_SECONDS = 300

@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[str, ...]
    # The same text in reading order: ("p", paragraph) and ("ul", (item, ...)) blocks.
    blocks: tuple[tuple[str, str | tuple[str, ...]], ...] = ()

    @property
    def anchor(self) -> str:
        return slugify(self.heading)


@dataclass(frozen=True)
class Document:
    """One version of a document, parsed for display."""

    kind: str
    published: date
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    effective: date | None = None
    meaningful: bool = False
    summary: str = ""
    pk: int | None = None  # the PolicyVersion row; None for a file not yet recorded

    @property
    def effective_on(self) -> date:
        return self.effective or self.published

    @property
    def title(self) -> str:
        return kind_title(self.kind)


def kind_title(kind: str) -> str:
    """The document's name in the active language ("Privacy policy" is a msgid of the policy pages' footer)."""
    return _(str(PolicyVersion.Kind(kind).label))


PAGES = {"privacy": "site:privacy", "terms": "site:terms", "cookies": "site:cookies"}


def page_url(kind: str) -> str:
    """The page showing the version in effect."""
    return reverse(PAGES[kind])


def version_url(kind: str, published: date) -> str:
    """The page of one version (earlier, current or upcoming): `/privacy?version=2026-11-26`."""
    return f"{page_url(kind)}?version={published.isoformat()}"


def today() -> date:
    return timezone.now().date()  # UTC, like every date LTE stores


# --- The files ----------------------------------------------------------------------------------------


def files(kind: str) -> list[tuple[date, Path]]:
    """Every file of a kind, oldest first."""
    return sorted(
        (date.fromisoformat(m["date"]), path)
        for path in POLICY_DIR.iterdir()
        if (m := NAME.match(path.name)) and m["kind"] == kind
    )


def file_path(kind: str, published: date) -> Path:
    return POLICY_DIR / f"{kind}-{published.isoformat()}.txt"


def _from_file(kind: str, published: date, path: Path) -> Document:
    return parse(kind, published, path.read_text(encoding="utf-8"))


# --- The versions -------------------------------------------------------------------------------------


def _rows(kind: str) -> QuerySet:
    return PolicyVersion.objects.filter(kind=kind)


def _from_row(row) -> Document:
    doc = parse(row.kind, row.published_on, row.body)
    return Document(row.kind, row.published_on, doc.intro, doc.sections, effective=row.effective_on,
                    meaningful=row.meaningful, summary=row.summary, pk=row.pk)


def current(kind: str, on: date | None = None) -> Document:
    """The version in effect on `on` (today by default): the newest whose effective date has come."""
    on = on or today()
    row = (_rows(kind).filter(effective_on__lte=on, published_on__lte=on)
           .order_by("-effective_on", "-published_on").first())
    if row is not None:
        return _from_row(row)
    # No recorded version is in effect: the newest file older than every recorded version (so a file
    # published as an upcoming version never shows early).
    first = _rows(kind).order_by("published_on").values_list("published_on", flat=True).first()
    dated = [(published, path) for published, path in files(kind)
             if published <= on and (first is None or published < first)]
    dated = dated or files(kind)[:1]  # a clock set before the first file: show it rather than nothing
    if not dated:
        raise LookupError(f"No {kind} document in {POLICY_DIR}")
    published, path = dated[-1]
    return _from_file(kind, published, path)


def upcoming(kind: str, on: date | None = None) -> Document | None:
    """The next published meaningful version that is not in effect yet, if there is one."""
    on = on or today()
    row = (_rows(kind).filter(meaningful=True, published_on__lte=on, effective_on__gt=on)
           .order_by("effective_on", "-published_on").first())
    return _from_row(row) if row is not None else None


def version(kind: str, published: date, on: date | None = None) -> Document | None:
    """A published version by its date (past, current or upcoming), or None."""
    on = on or today()
    if published > on:
        return None
    row = _rows(kind).filter(published_on=published).first()
    if row is not None:
        return _from_row(row)
    if not _rows(kind).exists():
        path = file_path(kind, published)
        if path.is_file():
            return _from_file(kind, published, path)
    return None


def history(kind: str, on: date | None = None) -> list[dict]:
    """Every published version, newest first: {published, effective, meaningful, summary}."""
    on = on or today()
    rows = list(_rows(kind).filter(published_on__lte=on).order_by("-published_on")
                .values("published_on", "effective_on", "meaningful", "summary"))
    if rows:
        return [{"published": r["published_on"], "effective": r["effective_on"], "meaningful": r["meaningful"],
                 "summary": r["summary"]} for r in rows]
    return [{"published": d, "effective": d, "meaningful": False, "summary": ""}
            for d, _path in reversed(files(kind)) if d <= on]


# --- Publishing ------------------------------------------------------------------------------------------


def notice_days() -> int:
    return int(getattr(settings, "POLICY_NOTICE_DAYS", 30))


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

    The text comes from `body` or from the file at `path` (by default `lte/privacy/policies/<kind>-<published
    date>.txt`). `published_on` defaults to today (it can't be in the future); `effective_on` defaults to
    the publication date for a small fix, and to today + the notice period for a meaningful change, which
    must not take effect sooner unless `force`. Raises ValidationError naming what is wrong.
    """
    this_day = today()
    errors: dict[str, str] = {}
    if kind not in PolicyVersion.Kind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}: use one of {', '.join(PolicyVersion.Kind.values)}."})
    published_on = published_on or _date_from_path(path) or this_day
    if published_on > this_day:
        errors["published_on"] = _("A version is published on the day it is recorded, not in the future.")
    if body is None:
        file = Path(path) if path is not None else file_path(kind, published_on)
        if not file.is_file():
            raise ValidationError({"body": f"No text given and no file at {file}."})
        body = file.read_text(encoding="utf-8")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = _("The text is empty.")
    summary = (summary or "").strip()
    if meaningful:
        effective_on = effective_on or this_day + timedelta(days=notice_days())
        if not summary:
            errors["summary"] = _("A meaningful change needs a short plain summary for the email and the banner.")
        if effective_on < this_day + timedelta(days=notice_days()) and not force:
            errors["effective_on"] = (
                f"A meaningful change takes effect at least {notice_days()} days after people are told: "
                f"on {this_day + timedelta(days=notice_days())} or later (or force it)."
            )
    else:
        effective_on = effective_on or published_on
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep the summary under {SUMMARY_MAX} characters."
    if effective_on < published_on:
        errors["effective_on"] = _("A version can't take effect before it is published.")
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
                transaction.on_commit(lambda: notify_policy_change(version.pk))
    except IntegrityError as exc:
        raise ValidationError({"published_on": f"A {kind} version published on {published_on} exists already."}) \
            from exc
    return version


def _date_from_path(path: str | Path | None) -> date | None:
    if path is None:
        return None
    m = NAME.match(Path(path).name)
    return date.fromisoformat(m["date"]) if m else None


def _record_baseline(kind: str, *, before: date) -> None:
    """The first recorded version of a kind also records the file shown until now, so the history is whole
    and the page doesn't go blank while an upcoming version waits for its date."""
    if PolicyVersion.objects.filter(kind=kind).exists():
        return
    older = [(published, path) for published, path in files(kind) if published < before]
    if older:
        published, path = older[-1]
        PolicyVersion.objects.create(kind=kind, published_on=published, effective_on=published, meaningful=False,
                                     body=path.read_text(encoding="utf-8").strip())


# --- Telling everyone: the notice email, once, in batches ------------------------------------------------


def notice_recipients() -> QuerySet:
    """Every active account whose address is verified, in a stable order (for batches)."""
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True)
    return User.objects.filter(is_active=True).filter(Exists(verified)).order_by("pk")


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
    version = PolicyVersion.objects.filter(pk=version_id, meaningful=True).first()
    if version is None:
        return 0
    recipients = notice_recipients()
    if after:
        recipients = recipients.filter(pk__gt=after)
    users = list(recipients.only("pk", "email", "name", "language")[: batch_size()])
    if not users:
        log.info("policy notice %s: done", version_id)
        return 0
    context = {
        "base_url": settings.BASE_URL,
        "title": kind_title(version.kind),
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
        context = {**context, "name": user.get_short_name() or user.name, "title": kind_title(context["kind"])}
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


# --- The banner and acknowledgements ----------------------------------------------------------------------


def _pending(user_id, this_day, joined_on):
    acknowledged = PolicyAcknowledgement.objects.filter(user=user_id, version=OuterRef("pk"))
    return (PolicyVersion.objects.filter(meaningful=True, published_on__lte=this_day, published_on__gte=joined_on)
            .exclude(Exists(acknowledged)).order_by("effective_on", "kind"))


# Compiled once: the banner's question is asked on every signed-in page.
_PENDING = Prepared(_pending, [PolicyAcknowledgement._meta.get_field("user"),
                               PolicyVersion._meta.get_field("published_on"),
                               PolicyVersion._meta.get_field("published_on")])


def pending_for(user) -> list[PolicyVersion]:
    """Meaningful versions published since the account was made that the user hasn't acknowledged yet,
    each with `upcoming` (not in effect yet) and `url` (its page)."""
    if user is None or not user.is_authenticated:
        return []
    this_day = today()
    versions: list[PolicyVersion] = _PENDING.instances(user.pk, this_day, user.created_at.date())
    for version in versions:
        version.upcoming = version.effective_on > this_day  # type: ignore[attr-defined]
        version.url = version_url(version.kind, version.published_on)  # type: ignore[attr-defined]
    return versions


def acknowledge(*, user, version_id: int) -> PolicyAcknowledgement | None:
    """Records that the user saw a meaningful version (once); None if there is no such published version."""
    version = PolicyVersion.objects.filter(pk=version_id, meaningful=True,
                                           published_on__lte=today()).first()
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
            "title": kind_title(ack.version.kind),
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


# --- Text to sections -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def parse(kind: str, published: date, text: str) -> Document:
    """Plain text to sections: a short line without a full stop is a heading, '- ' lines are list items."""
    intro: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    blocks: list[tuple[str, str | tuple[str, ...]]] = []
    run: list[str] = []  # list items not yet closed into a block

    def flush() -> None:
        if run:
            blocks.append(("ul", tuple(run)))
            run.clear()

    def close() -> None:
        flush()
        if heading is not None:
            paragraphs = tuple(str(b) for kind_, b in blocks if kind_ == "p")
            items = tuple(item for kind_, b in blocks if kind_ == "ul" for item in b)
            sections.append(Section(heading, paragraphs, items, tuple(blocks)))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- "):
            run.append(line[2:])
        elif len(line) < 60 and not line.endswith((".", ":", "!", "?")):
            close()
            heading, blocks = line, []
        elif heading is None:
            intro.append(line)
        else:
            flush()
            blocks.append(("p", line))
    close()
    return Document(kind, published, tuple(intro), tuple(sections))
