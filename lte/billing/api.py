"""POST /api/v1/billing/webhook: Stripe's events, verified by their signature, each handled once."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from lte.billing.services import WebhookRejected, WebhookRetryLater, webhook_handle
from lte.lib.schemas import Detail

router = Router(tags=["billing"])


@router.post("/billing/webhook", auth=None, response={200: Detail, 400: Detail, 503: Detail})
def billing_webhook(request: HttpRequest):
    """Stripe's events. A missing or wrong `Stripe-Signature` → 400; an event id already handled → 200, nothing
    done again. The subscription's state is fetched from Stripe, so events may arrive in any order; 503 when
    Stripe can't be reached for it (nothing recorded: Stripe's retry is handled)."""
    try:
        outcome = webhook_handle(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except WebhookRejected as error:
        return Status(400, {"detail": str(error)})
    except WebhookRetryLater as error:  # Stripe retries any non-2xx answer later
        return Status(503, {"detail": str(error)})
    return Status(200, {"detail": outcome})
