"""Re-importing our own export: contacts.csv with notes.csv, messages.csv and followups.csv (or the whole
export ZIP) into an account, giving back the same data — the "never locked in" promise, both ways."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from lte.crm import services
from lte.crm.models import Contact, FollowUp, Message, Note, StageChange
from lte.crm.services import ContactData
from lte.privacy.exports import unneutralise
from lte.vault.context import acting_for

FILES = ("contacts.csv", "notes.csv", "messages.csv", "followups.csv")
MAX_MEMBER_BYTES = 200 * 1024 * 1024


@dataclass
class Report:
    contacts: int = 0
    notes: int = 0
    messages: int = 0
    followups: int = 0
    errors: list[dict] = field(default_factory=list)


def _rows(archive: zipfile.ZipFile, name: str):
    if name not in archive.namelist():
        return
    info = archive.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        raise ValidationError(f"{name} is larger than we import at once.")
    with archive.open(name) as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        for row in reader:
            yield reader.line_num, {k: unneutralise(v or "") for k, v in row.items() if k is not None}


def _split(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.split(" | ")) if part] if text else []


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _dt(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def is_our_export(archive: zipfile.ZipFile) -> bool:
    return "contacts.csv" in archive.namelist() and "README.txt" in archive.namelist()


def reimport(*, owner, archive: zipfile.ZipFile) -> Report:
    """Creates the export's contacts (with their notes, messages and follow-ups) in `owner`'s account."""
    report = Report()
    ids: dict[str, Contact] = {}
    with acting_for(owner.pk):
        for line, row in _rows(archive, "contacts.csv"):
            try:
                with transaction.atomic():
                    social = dict(item.split(":", 1) for item in _split(row.get("social", "")) if ":" in item)
                    contact = services.contact_create(owner=owner, data=ContactData(
                        first_name=row.get("first_name", ""), last_name=row.get("last_name", ""),
                        emails=_split(row.get("emails", "")), phones=_split(row.get("phones", "")),
                        address=row.get("address") or None, birthday=_date(row.get("birthday", "")),
                        source=row.get("source", ""), stage=row.get("stage") or None,
                        tags=_split(row.get("tags", "")), customer_since=_date(row.get("customer_since", "")),
                        reorder_every_days=int(row["reorder_every_days"]) if row.get("reorder_every_days") else None,
                        social=social or None,
                    ))
                    stamps = {k: _dt(row.get(k, "")) for k in ("created_at", "updated_at", "last_contacted_at")}
                    Contact.objects.filter(pk=contact.pk).update(**{k: v for k, v in stamps.items()
                                                                     if v or k == "last_contacted_at"})
                    FollowUp.objects.filter(contact=contact, kind=FollowUp.Kind.REORDER).delete()  # from the file
                    StageChange.objects.filter(contact=contact).delete()
                ids[row.get("id", "")] = contact
                report.contacts += 1
            except (ValidationError, ValueError) as exc:
                report.errors.append({"file": "contacts.csv", "row": line, "error": _message(exc)})
        for line, row in _rows(archive, "notes.csv"):
            contact = ids.get(row.get("contact_id", ""))
            if contact is None:
                report.errors.append({"file": "notes.csv", "row": line, "error": "unknown contact_id"})
                continue
            try:
                Note.objects.create(owner=owner, contact=contact, body=row["body"],
                                    created_at=_dt(row.get("created_at", "")) or contact.created_at,
                                    updated_at=_dt(row.get("updated_at", "")) or contact.created_at)
                report.notes += 1
            except (ValueError, KeyError) as exc:
                report.errors.append({"file": "notes.csv", "row": line, "error": _message(exc)})
        for line, row in _rows(archive, "messages.csv"):
            contact = ids.get(row.get("contact_id", ""))
            if contact is None or row.get("channel") not in Message.Channel.values:
                report.errors.append({"file": "messages.csv", "row": line, "error": "unknown contact or channel"})
                continue
            Message.objects.create(owner=owner, contact=contact, channel=row["channel"],
                                   direction=row.get("direction") if row.get("direction") in ("in", "out") else "out",
                                   body=row.get("body", ""), sent_at=_dt(row.get("sent_at", "")) or contact.created_at)
            report.messages += 1
        for line, row in _rows(archive, "followups.csv"):
            contact = ids.get(row.get("contact_id", ""))
            if contact is None or not row.get("due_at"):
                report.errors.append({"file": "followups.csv", "row": line, "error": "unknown contact or no due_at"})
                continue
            FollowUp.objects.create(owner=owner, contact=contact, title=row.get("title") or "Follow up",
                                    kind=row.get("kind") if row.get("kind") in FollowUp.Kind.values else "follow_up",
                                    due_at=_dt(row["due_at"]), done_at=_dt(row.get("done_at", "")))
            report.followups += 1
    return report


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()) if hasattr(
            exc, "error_dict") else " ".join(exc.messages)
    return str(exc)[:200]
