"""Retention jobs for what we record about people."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lte.privacy.models import LoginRecord
from lte.privacy.usage import roll_up

LOGIN_DAYS = 90


@db_periodic_task(crontab(hour="0", minute="23"))
def roll_up_usage() -> int:
    """Anonymous daily counts from the raw events; raw events older than 90 days are deleted."""
    return roll_up()


@db_periodic_task(crontab(hour="0", minute="37"))
def purge_old_login_records() -> int:
    return LoginRecord.objects.filter(at__lt=timezone.now() - timedelta(days=LOGIN_DAYS)).delete()[0]

