"""A full disk: everything a seller has can still be read and exported, a write is refused with a clear 503
("nothing was changed"), and /healthz says "degraded", naming the check.

The disk fills at the database driver's boundary: every INSERT, UPDATE or DELETE fails with the error SQLite
(SQLITE_FULL, "database or disk is full") or PostgreSQL (53100 disk_full) gives on a full disk."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import zipfile
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connections
from django.test import Client

from lte.crm.models import Contact
from lte.crm.services.contacts import contact_create
from lte.lib import diskfull
from lte.testing.helpers import bearer_client, make_user

API = "/api/v1"
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture(autouse=True)
def no_disk_full_seen_yet(monkeypatch):
    monkeypatch.setattr(diskfull, "_last_seen", [])


@contextlib.contextmanager
def full_disk() -> Iterator[list[str]]:
    refused: list[str] = []

    def no_room(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            connection = context["connection"]
            refused.append(sql.split(None, 3)[:3][-1])
            with connection.wrap_database_errors:
                if connection.vendor == "sqlite":
                    raise sqlite3.OperationalError("database or disk is full")
                raise psycopg.errors.DiskFull("could not extend file: No space left on device")
        return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        for alias in ("default", "keystore"):
            stack.enter_context(connections[alias].execute_wrapper(no_room))
        yield refused


def test_it_keeps_reads_and_the_export_working_on_a_full_disk(alice):
    contact_create(owner=alice, first_name="Rosa", last_name="Parkes", emails=["rosa@example.com"])
    pages, api = Client(), bearer_client(alice)
    pages.force_login(alice)  # a fresh session: its first request notes "last seen", a write on the side
    with full_disk() as refused:
        for path in ("/app/", "/app/contacts/", "/app/your-data/"):
            response = pages.get(path)
            assert response.status_code == 200, path
        assert "Parkes" in pages.get("/app/contacts/").content.decode()
        listed = api.get(f"{API}/contacts")  # the token's first use: "last used", a write on the side
        assert listed.status_code == 200 and listed.json()["items"][0]["last_name"] == "Parkes"
        export = pages.get("/app/your-data/export")
        assert export.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
        assert "Parkes" in archive.read("contacts.csv").decode()
    assert refused, "the reads did try their writes on the side (session, session list, token)"


def test_it_refuses_a_write_on_a_full_disk_with_a_clear_503(alice):
    pages, api = Client(), bearer_client(alice)
    pages.force_login(alice)
    pages.get("/app/")  # the session's writes done while there is room
    with full_disk():
        answer = api.post(f"{API}/contacts", {"first_name": "Ana"}, content_type="application/json")
        assert answer.status_code == 503
        assert answer.json() == {"detail": str(diskfull.MESSAGE)}
        page = pages.post("/app/contacts/quick", {"name": "Ana"})
        assert page.status_code == 503
        assert "nothing was changed" in page.content.decode()
    assert not Contact.objects.owned_by(alice).exists()


def test_healthz_says_degraded_and_why_after_a_full_disk_refused_a_write(alice, settings):
    settings.MIN_FREE_DISK_BYTES = 0  # only the refused write counts here
    assert Client().get("/healthz").json() == {"status": "ok"}  # the contract's answer
    eve = bearer_client(make_user("eve@example.com"))
    with full_disk():
        assert eve.post(
            f"{API}/contacts", {"first_name": "Ana"}, content_type="application/json").status_code == 503
        health = Client().get("/healthz")
    assert health.status_code == 200  # reads still work: keep sending them
    assert health.json()["status"] == "degraded"
    assert health.json()["checks"]["disk"].startswith("full")


def test_healthz_says_degraded_when_free_space_runs_low(db, settings):
    settings.MIN_FREE_DISK_BYTES = 1 << 60  # more than any disk has free
    health = Client().get("/healthz").json()
    assert health["status"] == "degraded" and health["checks"]["disk"].startswith("low")
