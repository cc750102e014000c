from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "lte.billing"
    label = "billing"
    verbose_name = "Billing"
