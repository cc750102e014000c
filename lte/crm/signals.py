"""What a new account gets from the CRM when it signs up (the web's signup and POST /auth/signup both send
allauth's user_signed_up): its starter scripts."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from lte.crm.starter import starter_templates_create


@receiver(user_signed_up, dispatch_uid="lte.crm.starter_scripts")
def give_starter_scripts(sender, request, user, **kwargs) -> None:
    starter_templates_create(owner=user)
