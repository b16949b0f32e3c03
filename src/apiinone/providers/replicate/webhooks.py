"""Replicate's webhooks: signed per Standard Webhooks.

Each delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (space-separated ``v1,<base64 HMAC-SHA256>`` of
``"{id}.{timestamp}.{body}"``), keyed by the account's secret (``whsec_...``) from
``GET /v1/webhooks/default/secret`` (``{"key": "whsec_..."}``). The body is the
prediction. Timestamps more than five minutes off are refused (replays).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import (
    EmptyWebhookSecretError,
    Webhook,
    WebhookVerificationError,
)

__all__ = ["WebhookSignatureError", "verify_replicate_webhook"]


class WebhookSignatureError(Exception):
    """A webhook whose signature, headers or body cannot be trusted."""


def verify_replicate_webhook(
    secret: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The webhook's JSON body once its signature is checked; raises
    :class:`WebhookSignatureError` otherwise."""
    try:
        hook = Webhook(secret)
    except (
        binascii.Error,
        ValueError,
        RuntimeError,
        EmptyWebhookSecretError,
    ) as exc:
        raise WebhookSignatureError("the webhook signing secret is not a valid whsec_ key") from exc
    try:
        payload: Any = hook.verify(body, dict(headers))
    except WebhookVerificationError as exc:
        raise WebhookSignatureError(f"webhook refused: {exc}") from exc
    except (binascii.Error, ValueError) as exc:  # malformed signature list, body, or JSON
        raise WebhookSignatureError("webhook refused: malformed signature or body") from exc
    if not isinstance(payload, dict):
        raise WebhookSignatureError("webhook refused: the body is not a JSON object")
    return payload
