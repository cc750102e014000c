from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lte.privacy"
    label = "privacy"
    verbose_name = "Privacy and your rights"

    def ready(self) -> None:
        from lte.privacy import signals, staff, tasks_rights  # noqa: F401
        from lte.privacy.declarations import declare

        declare()
