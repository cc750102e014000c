"""What a new account gets from the CRM when it signs up (the web's signup and POST /auth/signup both send
allauth's user_signed_up): its starter scripts. And the seller's open reorder reminders follow the hour they
choose for them (lte.accounts.events.reminder_hour_changed)."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from lte.accounts.events import reminder_hour_changed
from lte.crm.services.followups import reorders_to_hour
from lte.crm.starter import starter_templates_create


@receiver(user_signed_up, dispatch_uid="lte.crm.starter_scripts")
def give_starter_scripts(sender, request, user, **kwargs) -> None:
    starter_templates_create(owner=user)


@receiver(reminder_hour_changed, dispatch_uid="lte.crm.reorders_to_hour")
def move_reorders_to_hour(sender, user, **kwargs) -> None:
    reorders_to_hour(user)
