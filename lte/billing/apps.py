from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "lte.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from lte.billing import signals  # noqa: F401  (connects the email-change receiver)
