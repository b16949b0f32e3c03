"""Standard Webhooks headers for one delivery attempt."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from standardwebhooks import Webhook

__all__ = ["USER_AGENT", "signed_headers"]

USER_AGENT = "apiinone-webhooks/1"


def signed_headers(secret: str, msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
    (HMAC-SHA256 of ``id.timestamp.body``), plus the content type and user agent."""
    when = timestamp.astimezone(UTC) if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
