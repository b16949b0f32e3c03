"""Signing secrets: created once, rotatable, never written into the attempt log."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apiinone.db.tables import webhook_attempts
from apiinone.errors import NotFound
from apiinone.webhooks.secrets import ensure_secret, new_secret, rotate_secret
from apiinone.webhooks.signing import signed_headers
from tests.support.db import new_account
from tests.webhooks.conftest import Answer, Receiver, World, add_delivery, dispatcher_for

Factory = Callable[..., Awaitable[Receiver]]


def test_new_secret_is_whsec_and_32_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


async def test_ensure_is_stable_and_rotate_changes_it(world: World) -> None:
    fresh = await new_account(world.db)
    first, second = await asyncio.gather(
        ensure_secret(world.db, fresh), ensure_secret(world.db, fresh)
    )
    assert first == second == await ensure_secret(world.db, fresh)
    rotated = await rotate_secret(world.db, fresh)
    assert rotated != first and rotated == await ensure_secret(world.db, fresh)
    with pytest.raises(NotFound):
        await ensure_secret(world.db, "acct_missing")
    with pytest.raises(NotFound):
        await rotate_secret(world.db, "acct_missing")


def test_signed_headers_verify_and_tamper_fails() -> None:
    secret = new_secret()
    body = b'{"type":"task.succeeded","data":{"x":"\xc3\xa9"}}'
    headers = signed_headers(secret, "msg_abc", datetime.now(UTC), body)
    assert headers["webhook-id"] == "msg_abc" and headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["data"] == {"x": "é"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"succeeded", b"failed"), headers)


async def test_rotated_secret_signs_and_no_secret_is_logged(
    world: World, session: aiohttp.ClientSession, receiver_factory: Factory
) -> None:
    old = await ensure_secret(world.db, world.account_id)
    new = await rotate_secret(world.db, world.account_id)
    receiver = await receiver_factory(Answer(500), Answer(200))
    dispatcher = dispatcher_for(world.db, session, schedule=[0, 0, 0])
    await add_delivery(world, receiver.url)
    await add_delivery(world, "http://127.0.0.1:9/refused")  # an error text is logged too
    assert await dispatcher.run_once() == 2
    assert await dispatcher.run_once() >= 1
    body, headers = receiver.received[-1].body, receiver.received[-1].headers
    assert Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)
    async with world.db.read() as conn:
        rows = (await conn.execute(select(webhook_attempts))).fetchall()
    assert len(rows) >= 3 and any(row.error for row in rows)
    for secret in (old, new):
        for part in (secret, secret.removeprefix("whsec_")):
            assert all(part not in str(tuple(row)) for row in rows)
