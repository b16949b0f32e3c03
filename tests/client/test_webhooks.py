"""verify_webhook: real deliveries from the gateway pass; anything altered does not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from apiinone import Client, WebhookVerificationError, verify_webhook
from tests.client.support import wait_for, webhook_receiver

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _signed(body: bytes, when: datetime | None = None, secret: str = SECRET) -> dict[str, str]:
    when = when or datetime.now(tz=UTC)
    signature = Webhook(secret).sign("msg_1", when, body.decode())
    return {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(int(when.timestamp())),
        "Webhook-Signature": signature,
    }


def test_good_and_bad_signatures() -> None:
    body = json.dumps({"type": "task.succeeded", "data": {"task_id": "task_1"}}).encode()
    headers = _signed(body)
    assert verify_webhook(SECRET, headers, body)["data"]["task_id"] == "task_1"
    assert verify_webhook(SECRET, headers, body.decode())["type"] == "task.succeeded"
    # Several signatures (a rotated secret, a later scheme): one good v1 is enough.
    several = f"v2,{'A' * 44} v1,bm90IGl0 {headers['Webhook-Signature']}"
    assert verify_webhook(SECRET, {**headers, "Webhook-Signature": several}, body)
    in_future = _signed(body, datetime.now(tz=UTC) + timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, in_future, body)

    refused = [
        (SECRET, headers, body.replace(b"task_1", b"task_2")),  # altered body
        ("whsec_" + "A" * 32, headers, body),  # another secret
        (SECRET, {**headers, "Webhook-Signature": "v1,bm90IGl0"}, body),  # wrong signature
        (SECRET, {**headers, "Webhook-Signature": "garbage"}, body),  # malformed
        (SECRET, {k: v for k, v in headers.items() if k != "Webhook-Id"}, body),  # missing
        (SECRET, _signed(body, datetime.now(tz=UTC) - timedelta(minutes=10)), body),  # old
        ("", headers, body),  # no secret
    ]
    for secret, bad_headers, bad_body in refused:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(secret, bad_headers, bad_body)
    not_an_object = b"[1, 2]"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, _signed(not_an_object), not_an_object)


def test_a_real_delivery_verifies(client: Client) -> None:
    secret = client.account.webhook_secret()
    with webhook_receiver() as (url, received):
        task = client.images.generate(model="flux-2", prompt="hooked", callback_url=url).wait()
        wait_for(lambda: len(received) == 1)
        delivery = received[0]
        event = verify_webhook(secret, delivery.headers, delivery.body)
        assert event["type"] == "task.succeeded" and event["data"]["task_id"] == task.id
        assert event["data"]["response"] == task.response
        with pytest.raises(WebhookVerificationError):
            verify_webhook("whsec_" + "B" * 32, delivery.headers, delivery.body)
        wait_for(lambda: client.tasks.webhooks(task.id)[0]["status"] == "delivered")
        [logged] = client.tasks.webhooks(task.id)
        assert logged["attempt_log"][0]["status_code"] == 204
        assert client.tasks.redeliver(task.id, logged["id"])["id"] == logged["id"]
        wait_for(lambda: len(received) == 2)  # the same delivery again, same webhook-id
    assert received[1].headers["webhook-id"] == delivery.headers["webhook-id"]
