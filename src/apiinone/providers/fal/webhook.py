"""fal's webhooks, read as a wake-up signal only.

When a submission carries ``?fal_webhook=<url>``, fal POSTs the outcome there once the
request is done (retried up to 10 times over 2 hours while the receiver fails)::

    {"request_id": "...", "gateway_request_id": "...", "status": "OK" | "ERROR",
     "payload": {...the result, or the error's details...} | null,
     "error": "Invalid status code: 422" | null}

(``payload`` is null, with a ``payload_error``, when the result could not be serialized.)
``gateway_request_id`` names the last attempt after fal's retries; ``request_id`` is the
one the queue API knows.

fal signs each delivery with ED25519: headers ``X-Fal-Webhook-Request-Id``,
``X-Fal-Webhook-User-Id``, ``X-Fal-Webhook-Timestamp`` and ``X-Fal-Webhook-Signature``
(hex) over ``request_id\\nuser_id\\ntimestamp\\nsha256_hex(body)``, with public keys from the
JWKS at ``https://rest.alpha.fal.ai/.well-known/jwks.json``. This gateway does not fetch
those keys nor check the signature: a delivery only makes the engine poll the task at once,
and the poll (made with our key, to fal) is what decides the task's outcome, so a forged
delivery can cost one early poll and nothing else. Nothing in the body is ever trusted.
"""

from __future__ import annotations

from typing import NamedTuple

import orjson

__all__ = ["FalWebhook", "FalWebhookError", "parse_fal_webhook"]

_STATUSES = frozenset({"OK", "ERROR"})


class FalWebhookError(ValueError):
    """A body that is not a fal webhook."""


class FalWebhook(NamedTuple):
    request_id: str
    status: str  # "OK" or "ERROR"


def parse_fal_webhook(body: bytes) -> FalWebhook:
    """``(request_id, status)`` of a delivery; :class:`FalWebhookError` if it is not one."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FalWebhookError("a fal webhook body must be JSON") from exc
    if not isinstance(payload, dict):
        raise FalWebhookError("a fal webhook body must be a JSON object")
    request_id, status = payload.get("request_id"), payload.get("status")
    if not isinstance(request_id, str) or not request_id or len(request_id) > 200:
        raise FalWebhookError("a fal webhook names its request_id")
    if status not in _STATUSES:
        raise FalWebhookError(f"a fal webhook's status is OK or ERROR, not {status!r}")
    return FalWebhook(request_id=request_id, status=status)
