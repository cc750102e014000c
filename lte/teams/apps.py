from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "lte.teams"
    label = "teams"
    verbose_name = "Teams"
