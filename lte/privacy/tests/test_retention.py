"""The retention table: every period the policy names is a row, and each row's job is on the schedule."""

from datetime import timedelta

from huey.contrib.djhuey import HUEY

from lte.privacy.retention import RETENTION


def test_every_period_has_its_job_on_the_schedule():
    scheduled = set(HUEY._registry._periodic_tasks)
    for name, period in RETENTION.items():
        assert period.job.task_class in scheduled, name


def test_the_periods_are_the_policys():
    kept = {name: period.kept for name, period in RETENTION.items()}
    assert kept == {
        "login_records": timedelta(days=90),
        "usage_events": timedelta(days=90),
        "sessions": timedelta(days=30),
        "child_reports": timedelta(days=90),
        "tombstones": timedelta(days=91),
        "idempotent_answers": timedelta(hours=24),  # CONTRACT.md, "Writes"
        "data_backups": timedelta(days=90),
        "key_backups": timedelta(days=7),
    }
