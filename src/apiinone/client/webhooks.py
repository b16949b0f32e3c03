"""Checking the webhooks the gateway sends (Standard Webhooks: ``webhook-id``,
``webhook-timestamp``, ``webhook-signature`` = HMAC-SHA256 of ``id.timestamp.body``).

::

    from apiinone import verify_webhook

    event = verify_webhook(secret, request.headers, request.body)
    if event["type"] == "task.succeeded":
        urls = event["data"]["response"]
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from apiinone.client.errors import WebhookVerificationError

__all__ = ["verify_webhook"]

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes | str) -> dict[str, Any]:
    """The event of a genuine webhook, or :class:`WebhookVerificationError`.

    ``secret`` is the account's ``whsec_...`` secret (``client.account.webhook_secret()``),
    ``headers`` the request's headers (any mapping, any case) and ``body`` its raw bytes:
    parse the JSON only after this check. Timestamps more than five minutes from now are
    refused, so a recorded delivery cannot be replayed later.
    """
    try:
        return _verified(secret, headers, body)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise WebhookVerificationError(f"Webhook refused: malformed ({exc})") from exc


def _verified(secret: str, headers: Mapping[str, str], body: bytes | str) -> dict[str, Any]:
    key = _key(secret)
    plain = {str(k).lower(): str(v) for k, v in headers.items()}
    msg_id = plain.get("webhook-id")
    stamp = plain.get("webhook-timestamp")
    signatures = plain.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("Webhook refused: missing required headers")
    sent_at = int(stamp)
    if abs(time.time() - sent_at) > TOLERANCE_SECONDS:
        raise WebhookVerificationError("Webhook refused: the timestamp is too old or too new")
    text = body if isinstance(body, str) else body.decode()
    expected = hmac.new(key, f"{msg_id}.{stamp}.{text}".encode(), hashlib.sha256).digest()
    if not any(_matches(expected, signature) for signature in signatures.split(" ")):
        raise WebhookVerificationError("Webhook refused: no matching signature found")
    event = json.loads(text)
    if not isinstance(event, dict):
        raise WebhookVerificationError("Webhook refused: the body is not a JSON object")
    return event


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    key = base64.b64decode(encoded + "==")  # padding optional, as Standard Webhooks allows
    if not key:
        raise WebhookVerificationError("Webhook refused: the secret is empty")
    return key


def _matches(expected: bytes, versioned: str) -> bool:
    version, _, signature = versioned.partition(",")
    return version == "v1" and hmac.compare_digest(expected, base64.b64decode(signature))
