"""When the seller finished or skipped the first-run steps (issue 15). Accounts that exist already have long
passed their first run: they are marked onboarded, so only new sign-ups see the steps."""

from django.db import migrations, models
from django.db.models import F


def mark_existing(apps, schema_editor) -> None:
    apps.get_model("accounts", "User").objects.update(onboarded_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_reminder_hour")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="onboarded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
