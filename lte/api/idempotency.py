"""`Idempotency-Key` on every API POST (CONTRACT.md, "Writes"): a repeat with the same key from the same account
within 24 hours answers as the first did and writes nothing again.

Two ninja decorators, added to the whole API in lte.api.api:
- `check_key` (view mode, before anything reads the body): refuses a key longer than 64 characters (or not
  printable ASCII) with 400, and remembers which operation runs, for the second one;
- `replay_or_record` (operation mode, after authentication and validation): for a signed-in account, either
  replays the stored answer, or runs the operation, renders its answer and stores it in ONE transaction with the
  write — so a write is never committed without its answer, and a failure after the write undoes it (a 5xx is
  rolled back, so the client's retry is safe).

Only 2xx answers are stored: an error wrote nothing, and the same request answers the same again. The key is
the account's, as the contract says: the same key on another path, or with another body, is a repeat too and
gets the first answer (marked `Idempotent-Replayed: true`). What is stored is the answer itself (encrypted,
lte.crm.models.IdempotentAnswer), not a pointer to re-render: "as the first did" holds even after the object
changed or was deleted. Two concurrent first requests: the unique (owner, key) row makes the second's
transaction fail; it is rolled back and the first's answer replayed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from lte.crm.models import IDEMPOTENCY_KEPT, IdempotentAnswer

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 64
REPLAYED = "Idempotent-Replayed"


def _key(request: HttpRequest) -> str | None:
    return request.headers.get(HEADER) if request.method == "POST" else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_key(run: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = _key(request)
        if key is not None:
            if not 0 < len(key) <= MAX_KEY_CHARS or not key.isascii() or not key.isprintable():
                return JsonResponse({"detail": f"{HEADER} is 1 to {MAX_KEY_CHARS} printable ASCII characters."},
                                    status=400)
            request._lte_operation = run.__self__  # type: ignore[attr-defined]  # (a bound Operation.run)
        return run(request, *args, **kwargs)

    return wrapper


def replay_or_record(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = _key(request)
        owner = getattr(request, "user", None)
        if key is None or owner is None or not owner.is_authenticated:
            return view(request, *args, **kwargs)  # no key, or no account to hold it (signup, token, webhooks)
        digest = _digest(key)
        try:
            with transaction.atomic():
                first = _first_answer(owner, digest)
                if first is not None:
                    return _replay(first)
                operation = request._lte_operation  # type: ignore[attr-defined]
                result = view(request, *args, **kwargs)
                response = operation._result_to_response(request, result,
                                                         operation.api.create_temporal_response(request))
                if 200 <= response.status_code < 300:
                    IdempotentAnswer.objects.filter(owner=owner, key_digest=digest).delete()  # an expired one
                    IdempotentAnswer.objects.create(
                        owner=owner, key_digest=digest, status=response.status_code,
                        content_type=response.get("Content-Type", ""), body=response.content.decode())
                elif response.status_code >= 500:
                    transaction.set_rollback(True)
                return response
        except IntegrityError:
            first = _first_answer(owner, digest)  # a concurrent first request with this key won the race
            if first is None:
                raise
            return _replay(first)

    return wrapper


def _first_answer(owner, digest: str) -> IdempotentAnswer | None:
    return (IdempotentAnswer.objects.owned_by(owner).select_for_update()
            .filter(key_digest=digest, created_at__gte=timezone.now() - IDEMPOTENCY_KEPT).first())


def _replay(answer: IdempotentAnswer) -> HttpResponse:
    response = HttpResponse(answer.body.encode(), status=answer.status, content_type=answer.content_type or None)
    response[REPLAYED] = "true"
    return response

