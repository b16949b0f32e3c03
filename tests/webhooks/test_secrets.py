"""Signing secrets: created once, rotatable, sealed at rest, never written into the attempt log."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apiinone.db.tables import accounts, webhook_attempts
from apiinone.errors import NotFound, ServiceUnavailable
from apiinone.sealing import Sealer
from apiinone.webhooks.secrets import ensure_secret, new_secret, reseal_all, rotate_secret
from apiinone.webhooks.signing import signed_headers
from tests.support.db import new_account
from tests.webhooks.conftest import (
    SEALER,
    Answer,
    Receiver,
    World,
    add_delivery,
    dispatcher_for,
)

Factory = Callable[..., Awaitable[Receiver]]


def test_new_secret_is_whsec_and_32_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


async def test_ensure_is_stable_and_rotate_changes_it(world: World) -> None:
    fresh = await new_account(world.db)
    first, second = await asyncio.gather(
        ensure_secret(world.db, SEALER, fresh), ensure_secret(world.db, SEALER, fresh)
    )
    assert first == second == await ensure_secret(world.db, SEALER, fresh)
    rotated = await rotate_secret(world.db, SEALER, fresh)
    assert rotated != first and rotated == await ensure_secret(world.db, SEALER, fresh)
    with pytest.raises(NotFound):
        await ensure_secret(world.db, SEALER, "acct_missing")
    with pytest.raises(NotFound):
        await rotate_secret(world.db, SEALER, "acct_missing")


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
    old = await ensure_secret(world.db, SEALER, world.account_id)
    new = await rotate_secret(world.db, SEALER, world.account_id)
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


async def _stored(world: World, account_id: str) -> str:
    async with world.db.read() as conn:
        value = (
            await conn.execute(select(accounts.c.webhook_secret).where(accounts.c.id == account_id))
        ).scalar_one()
    return str(value)


async def _store(world: World, account_id: str, value: str) -> None:
    async with world.db.write() as conn:
        await conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(webhook_secret=value)
        )


async def test_the_secret_is_stored_sealed_and_bound_to_its_account(world: World) -> None:
    secret = await ensure_secret(world.db, SEALER, world.account_id)
    stored = await _stored(world, world.account_id)
    assert stored.startswith("sealed:v1:") and secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    assert len(stored) <= accounts.c.webhook_secret.type.length  # type: ignore[attr-defined]
    assert await ensure_secret(world.db, SEALER, world.account_id) == secret
    # The sealed cell copied onto another account does not open there.
    other = await new_account(world.db)
    await _store(world, other, stored)
    with pytest.raises(ServiceUnavailable):
        await ensure_secret(world.db, SEALER, other)


async def test_a_clear_secret_left_from_before_is_read_then_sealed(world: World) -> None:
    legacy = new_secret()
    await _store(world, world.account_id, legacy)
    assert await ensure_secret(world.db, SEALER, world.account_id) == legacy
    stored = await _stored(world, world.account_id)
    assert stored.startswith("sealed:v1:") and legacy not in stored
    assert await ensure_secret(world.db, SEALER, world.account_id) == legacy


async def test_secret_key_rotation_reseals_under_the_new_key(world: World) -> None:
    old_key, new_key = "old-secret-key-" + "a" * 32, "new-secret-key-" + "b" * 32
    old = Sealer(old_key)
    secret = await rotate_secret(world.db, old, world.account_id)
    legacy_account = await new_account(world.db)
    legacy = new_secret()
    await _store(world, legacy_account, legacy)  # a clear value is sealed by the rotation too
    with pytest.raises(ServiceUnavailable):  # the new key alone cannot read the old seal
        await ensure_secret(world.db, Sealer(new_key), world.account_id)
    both = Sealer(new_key, previous=[old_key])
    assert await ensure_secret(world.db, both, world.account_id) == secret
    assert await reseal_all(world.db, both, batch=1) == 2
    assert await reseal_all(world.db, both) == 0  # nothing left to do
    assert await ensure_secret(world.db, Sealer(new_key), world.account_id) == secret
    assert await ensure_secret(world.db, Sealer(new_key), legacy_account) == legacy
    with pytest.raises(ServiceUnavailable):
        await ensure_secret(world.db, old, world.account_id)
