from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lte.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from lte.accounts import signals  # noqa: F401
