from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from lte.privacy.retention import purge_expired_sessions
from lte.testing.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_nightly_job_deletes_expired_sessions_and_their_list_rows(alice):
    client = Client()
    client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    assert Session.objects.count() == 1 and UserSession.objects.count() == 1
    assert purge_expired_sessions.call_local() == 0  # nothing expired: nothing deleted, twice over
    assert purge_expired_sessions.call_local() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert purge_expired_sessions.call_local() == 1
    assert Session.objects.count() == 0 and UserSession.objects.count() == 0


def test_the_job_is_on_the_schedule():
    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    assert "purge_expired_sessions" in names
