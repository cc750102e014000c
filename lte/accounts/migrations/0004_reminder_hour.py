"""The seller's chosen hour for the reorder reminders (issue 14): 09:00 where they are until they choose."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_languages_five")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="reminder_hour",
            field=models.PositiveSmallIntegerField(default=9),
        ),
    ]
