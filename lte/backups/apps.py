from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "lte.backups"
    label = "backups"
    verbose_name = "Backups"
