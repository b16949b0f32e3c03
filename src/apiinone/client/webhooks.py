"""Checking the webhooks the gateway sends (Standard Webhooks: ``webhook-id``,
``webhook-timestamp``, ``webhook-signature`` = HMAC-SHA256 of ``id.timestamp.body``).

::

    from apiinone import verify_webhook

    event = verify_webhook(secret, request.headers, request.body)
    if event["type"] == "task.succeeded":
        urls = event["data"]["response"]
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any

from apiinone.client.errors import WebhookVerificationError

__all__ = ["verify_webhook"]


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes | str) -> dict[str, Any]:
    """The event of a genuine webhook, or :class:`WebhookVerificationError`.

    ``secret`` is the account's ``whsec_...`` secret (``client.account.webhook_secret()``),
    ``headers`` the request's headers (any mapping, any case) and ``body`` its raw bytes:
    parse the JSON only after this check. Timestamps more than five minutes from now are
    refused, so a recorded delivery cannot be replayed later.
    """
    from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
    from standardwebhooks.webhooks import WebhookVerificationError as Invalid

    plain = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        event = Webhook(secret).verify(body, plain)
    except Invalid as exc:
        raise WebhookVerificationError(f"Webhook refused: {exc}") from exc
    except EmptyWebhookSecretError as exc:
        raise WebhookVerificationError("Webhook refused: the secret is empty") from exc
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise WebhookVerificationError(f"Webhook refused: malformed ({exc})") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("Webhook refused: the body is not a JSON object")
    return event
