"""/today: what the seller has to do today, in their own timezone (lte.crm.queries.today)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from lte.crm import queries
from lte.crm.api import ContactOut, FollowUpOut

router = Router(tags=["today"])


class TodayOut(Schema):
    due: list[FollowUpOut]
    overdue: list[FollowUpOut]
    birthdays: list[ContactOut]
    reorders: list[FollowUpOut]


@router.get("/today", response=TodayOut)
def today(request: HttpRequest):
    return queries.today(request.user)
