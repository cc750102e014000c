from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "lte.site"
    label = "site"
    verbose_name = "Public site"
