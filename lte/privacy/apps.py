from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lte.privacy"
    label = "privacy"
    verbose_name = "Privacy and your rights"

    def ready(self) -> None:
        from lte.privacy import signals  # noqa: F401
